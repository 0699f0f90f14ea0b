"""Pricing a package before it is sent: premium at the touch, Greeks against finite differences
of the Black-76 price, the margin engine's view before and after, and the delta hedge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.model import InstrumentKind, OptionRight, Side
from engine.strategies import (
    InvalidStrategy,
    LegRole,
    delta_hedged,
    iron_condor,
    package_delta,
    parse_expiry,
    perpetual,
    price_package,
    spot,
    straddle,
)
from risk.margin import MarginEngine, MarketData, Portfolio, SpotBalance, black76_price

from strategy_support import INDEX, NOW_NS, board, iv_at, listing

D = Decimal
ACCOUNT = Portfolio(spot=(SpotBalance("deribit", "BTC", D(10)),))


def _fd_greeks(strike: Decimal, expiry: str, right: OptionRight) -> tuple[float, float, float]:
    """Delta, vega (per vol point) and theta (per day) by central differences."""
    f, k = float(INDEX), float(strike)
    days = (parse_expiry(expiry) - NOW_NS) / 86_400e9
    v = float(iv_at(strike))
    call = right is OptionRight.CALL

    def p(f_: float = f, d: float = days, v_: float = v) -> float:
        return float(black76_price(f_, k, d, v_, call))

    h = 1.0
    delta = (p(f_=f + h) - p(f_=f - h)) / (2 * h)
    vega = (p(v_=v + 1e-4) - p(v_=v - 1e-4)) / (2e-4) / 100
    theta = (p(d=days - 1e-3) - p(d=days + 1e-3)) / 2e-3
    return delta, vega, theta


async def test_iron_condor_preview_when_priced_then_premium_is_bids_sold_minus_asks_bought(
) -> None:
    b = board()
    condor = iron_condor("BTC", "27DEC26", [D(80_000), D(90_000), D(110_000), D(120_000)],
                         D(2), await listing(b))
    preview = await price_package(condor, b, ACCOUNT, NOW_NS)
    t = [await b.ticker(leg.instrument) for leg in condor.legs]
    expected = 2 * (t[0].ask - t[1].bid - t[2].bid + t[3].ask)  # type: ignore[operator]
    assert preview.net_premium_coin == expected < 0  # the condor is sold for a credit
    assert preview.net_premium_usd == (expected * INDEX).quantize(D("0.01"))
    assert [q.price for q in preview.legs] == [t[0].ask, t[1].bid, t[2].bid, t[3].ask]
    doc = preview.to_json()
    assert doc["net_premium"]["direction"] == "credit"  # type: ignore[index]
    assert [leg["instrument"] for leg in doc["legs"]] == [  # type: ignore[attr-defined]
        "BTC-27DEC26-80000-P", "BTC-27DEC26-90000-P", "BTC-27DEC26-110000-C",
        "BTC-27DEC26-120000-C"]
    assert preview.executable


async def test_preview_greeks_when_compared_to_finite_differences_then_agree() -> None:
    b = board()
    condor = iron_condor("BTC", "27DEC26", [D(80_000), D(90_000), D(110_000), D(120_000)],
                         D(1), await listing(b))
    preview = await price_package(condor, b, ACCOUNT, NOW_NS)
    delta = vega = theta = 0.0
    for leg in condor.legs:
        assert leg.instrument.strike is not None and leg.instrument.right is not None
        d, v, th = _fd_greeks(leg.instrument.strike, "27DEC26", leg.instrument.right)
        delta, vega, theta = delta + leg.side.sign * d, vega + leg.side.sign * v, \
            theta + leg.side.sign * th
    assert preview.greeks.delta == pytest.approx(delta, rel=1e-6, abs=1e-9)
    assert preview.greeks.vega == pytest.approx(vega, rel=1e-5)
    assert preview.greeks.theta == pytest.approx(theta, rel=1e-4)
    assert preview.greeks.vega < 0 < preview.greeks.theta  # short vol, earns time decay


async def test_preview_margin_when_legs_added_then_equals_engine_over_portfolio_after() -> None:
    b = board()
    condor = iron_condor("BTC", "27DEC26", [D(80_000), D(90_000), D(110_000), D(120_000)],
                         D(5), await listing(b))
    preview = await price_package(condor, b, ACCOUNT, NOW_NS)
    after = ACCOUNT
    for position in preview.positions:
        after = after.with_position(position)
    direct = MarginEngine(after, MarketData({"BTC": INDEX})).portfolio_margin()
    assert preview.margin_after.maintenance_usd == direct.maintenance_margin_usd
    assert preview.margin_before.maintenance_usd == MarginEngine(
        ACCOUNT, MarketData({"BTC": INDEX})).portfolio_margin().maintenance_margin_usd
    assert preview.margin_after.maintenance_usd != preview.margin_before.maintenance_usd
    # equity after = premium received + the legs at their model value: it loses the
    # half-spreads crossed (up to the board's marks being rounded to the 0.0001 tick)
    crossed = sum((q.qty * abs(q.price - q.mark) for q in preview.legs), D(0)) * INDEX
    change = preview.margin_after.equity_usd - preview.margin_before.equity_usd
    rounding = sum((q.qty for q in preview.legs), D(0)) * D("0.00005") * INDEX
    assert abs(change + crossed) <= rounding
    assert crossed > 0


async def test_delta_hedged_straddle_when_hedged_then_residual_delta_under_half_a_lot() -> None:
    b = board()
    strad = straddle("BTC", "27DEC26", D(110_000), D(3), await listing(b))
    delta = await package_delta(strad, b, NOW_NS)
    assert delta < D("-0.5")  # the put is in the money: short delta
    lot = D("0.001")
    hedged = await delta_hedged(strad, b, NOW_NS, spot("BTC"), lot)
    hedge = hedged.hedge_leg
    assert hedge is not None and hedge.role is LegRole.HEDGE and hedge.side is Side.BUY
    assert abs(delta + hedged.leg_qty(hedge)) <= lot / 2
    preview = await price_package(hedged, b, ACCOUNT, NOW_NS, hedge_venue="binance",
                                  hedge_book=(D(99_999), D(100_001)))
    assert abs(preview.greeks.delta) <= float(lot / 2) + 1e-9
    assert preview.legs[-1].price == D(100_001) and preview.venue_of(hedge) == "binance"
    assert hedged.label == "delta-hedged straddle"


async def test_delta_hedged_when_hedge_is_wrong_then_refused_by_field() -> None:
    b = board()
    strad = straddle("BTC", "27DEC26", D(100_000), D(1), await listing(b))
    perp = perpetual("BTC")
    assert perp.kind is InstrumentKind.PERPETUAL
    with pytest.raises(InvalidStrategy) as other:
        await delta_hedged(strad, b, NOW_NS, perpetual("ETH"), D("0.001"))
    assert other.value.field == "hedge"
    with pytest.raises(InvalidStrategy) as lot:
        await delta_hedged(strad, b, NOW_NS, perp, D(0))
    assert lot.value.field == "hedge_lot"
    once = await delta_hedged(strad, b, NOW_NS, perp, D("0.001"))
    with pytest.raises(InvalidStrategy) as twice:
        await delta_hedged(once, b, NOW_NS, perp, D("0.001"))
    assert twice.value.field == "hedge"
