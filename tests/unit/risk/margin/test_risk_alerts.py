"""Alerts trip at their thresholds; delta-hedge proposals never overshoot; the engine facade
answers utilisation and liquidation buffer, and reuses cached totals for new legs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from risk.margin import (
    AlertKind,
    AlertThresholds,
    GreeksTotal,
    HedgeConfig,
    HedgeInstrument,
    MarginEngine,
    MarginEngineConfig,
    MarketData,
    OptionPosition,
    OptionRight,
    PerpetualPosition,
    Portfolio,
    Side,
    SpotBalance,
    check_alerts,
    propose_delta_hedges,
)

MARKET = MarketData({"BTC": Decimal(100_000)})


def totals(delta: float, vega: float = 0.0, underlying: str = "BTC") -> GreeksTotal:
    return GreeksTotal(underlying, 100_000.0, delta, 0.0, vega, 0.0, 0.0)


def test_alerts_when_each_threshold_crossed_then_one_alert_each() -> None:
    thresholds = AlertThresholds(max_margin_utilisation=0.5, min_liquidation_move=0.2,
                                 max_abs_delta_usd=50_000, max_abs_vega_usd=1_000)
    alerts = check_alerts(thresholds, utilisation=0.6, liquidation_buffer=0.1,
                          greeks=(totals(-1.0, vega=-2_000),))
    assert [a.kind for a in alerts] == [AlertKind.MARGIN_UTILISATION,
                                        AlertKind.LIQUIDATION_BUFFER, AlertKind.DELTA,
                                        AlertKind.VEGA]
    assert alerts[2].value == -100_000 and alerts[2].subject == "BTC"


def test_alerts_when_inside_every_threshold_then_none() -> None:
    thresholds = AlertThresholds(max_margin_utilisation=0.5, min_liquidation_move=0.2,
                                 max_abs_delta_usd=50_000)
    assert check_alerts(thresholds, utilisation=0.4, liquidation_buffer=None,
                        greeks=(totals(0.4),)) == ()


def test_hedge_when_long_delta_beyond_band_then_sell_whole_lots_only() -> None:
    config = HedgeConfig(enabled=True, band_usd=10_000)
    (proposal,) = propose_delta_hedges((totals(1.23456),), config)
    assert (proposal.venue, proposal.instrument) == ("deribit", "BTC-PERPETUAL")
    assert proposal.side is Side.SELL and proposal.quantity == Decimal("1.234")
    assert proposal.delta_after == pytest.approx(0.00056)


def test_hedge_when_short_delta_then_buy() -> None:
    (proposal,) = propose_delta_hedges((totals(-0.5),), HedgeConfig(band_usd=1_000))
    assert proposal.side is Side.BUY and proposal.quantity == Decimal("0.5")


def test_hedge_when_inside_band_or_no_instrument_then_no_proposal() -> None:
    config = HedgeConfig(band_usd=10_000,
                         instruments={"ETH": HedgeInstrument(venue="d", instrument="ETH-PERP",
                                                             lot_size=Decimal("0.01"))})
    assert propose_delta_hedges((totals(0.05), totals(3.0, underlying="SOL")), config) == ()


def _desk() -> Portfolio:
    return Portfolio(
        spot=(SpotBalance("binance", "USDT", Decimal(20_000)),),
        perpetuals=(PerpetualPosition("binance", "BTCUSDT", "BTC", Decimal(1),
                                      Decimal(100_000)),),
        options=(OptionPosition("deribit", "BTC-C", "BTC", OptionRight.CALL, Decimal(120_000),
                                Decimal(14), Decimal(-1), Decimal("0.5")),))


def test_engine_when_hedging_disabled_then_no_proposals_even_with_delta() -> None:
    assert MarginEngine(_desk(), MARKET).hedge_proposals() == ()
    enabled = MarginEngineConfig(hedge=HedgeConfig(enabled=True, band_usd=1_000))
    (proposal,) = MarginEngine(_desk(), MARKET, enabled).hedge_proposals()
    assert proposal.side is Side.SELL


def test_engine_when_utilisation_high_then_alert_and_buffer_reported() -> None:
    config = MarginEngineConfig(alerts=AlertThresholds(max_margin_utilisation=0.01,
                                                       min_liquidation_move=0.5))
    engine = MarginEngine(_desk(), MARKET, config)
    buffer = engine.liquidation_buffer()
    assert buffer is not None and 0 < buffer < 0.5
    kinds = {a.kind for a in engine.alerts()}
    assert kinds == {AlertKind.MARGIN_UTILISATION, AlertKind.LIQUIDATION_BUFFER}


def test_engine_with_legs_when_leg_added_then_cached_totals_equal_a_fresh_engine() -> None:
    leg = OptionPosition("deribit", "BTC-P", "BTC", OptionRight.PUT, Decimal(90_000),
                         Decimal(14), Decimal(-2), Decimal("0.55"))
    engine = MarginEngine(_desk(), MARKET)
    engine.portfolio_margin()  # warm the cache
    after = engine.with_legs(leg)
    fresh = MarginEngine(_desk().with_position(leg), MARKET)
    assert after.portfolio_margin().maintenance_margin == pytest.approx(
        fresh.portfolio_margin().maintenance_margin, rel=1e-12)
    assert engine.portfolio_margin_with(leg).utilisation == pytest.approx(
        fresh.portfolio_margin().utilisation, rel=1e-12)
    assert after.greeks[0].delta == pytest.approx(fresh.greeks[0].delta)
