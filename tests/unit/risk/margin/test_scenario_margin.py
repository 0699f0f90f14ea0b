"""Deribit-style scenario margin on cases a person can check with a calculator.

The expected numbers are recomputed here from the Black-76 formula written out with math.erfc,
independently of the engine's vectorised kernel."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from risk.errors import MissingMarketData
from risk.margin import (
    MarketData,
    OptionPosition,
    OptionRight,
    PerpetualPosition,
    Portfolio,
    PortfolioMarginConfig,
    ScenarioBook,
    SpotBalance,
    scenario_grid,
)
from risk.margin.scenarios import vol_shock_scale

INDEX = 100_000.0
MARKET = MarketData({"BTC": Decimal(100_000)})
MAIN_ONLY = PortfolioMarginConfig(extended_moves=(), delta_shock_rate=0, roll_shock_rate=0,
                                  option_contingency_rate=0)


def black(forward: float, strike: float, days: float, vol: float, call: bool) -> float:
    std = vol * math.sqrt(days / 365)
    d1 = math.log(forward / strike) / std + std / 2
    n = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    if call:
        return forward * n(d1) - strike * n(d1 - std)
    return strike * n(std - d1) - forward * n(-d1)


def option(right: OptionRight, strike: int, quantity: str, days: int = 30,
           vol: str = "0.6") -> OptionPosition:
    return OptionPosition("deribit", f"BTC-{strike}-{right.value}", "BTC", right,
                          Decimal(strike), Decimal(days), Decimal(quantity), Decimal(vol))


def hand_worst_loss(legs: list[tuple[bool, float, float]], days: float, vol: float,
                    price_range: float = 0.16) -> tuple[float, float, str]:
    """Worst P&L over 9 moves x (vol x 1.5, x 1, x 0.75) for 30-day options (scale 1)."""
    worst, where = 0.0, ""
    for move in np.linspace(-price_range, price_range, 9):
        for label, shocked in (("up", vol * 1.5), ("same", vol), ("down", vol * 0.75)):
            pnl = sum(q * (black(INDEX * (1 + move), k, days, shocked, call)
                           - black(INDEX, k, days, vol, call)) for call, k, q in legs)
            if pnl < worst:
                worst, where = pnl, f"{move:+.2%} vol {label}"
    return -worst, worst, where


def test_grid_when_btc_then_nine_moves_over_16pct_times_three_vols_plus_extended() -> None:
    grid = scenario_grid(0.16, PortfolioMarginConfig())
    assert grid.size == 9 * 3 + 8
    assert list(np.unique(grid.moves[:27]).round(4)) == [-0.16, -0.12, -0.08, -0.04, 0.0, 0.04,
                                                        0.08, 0.12, 0.16]
    assert list(grid.vol_state[:6]) == [1, 0, -1, 1, 0, -1]
    assert np.all(grid.vol_state[27:] == 1)  # extended moves only under vol up
    # Deribit keeps a fraction of extended-table P&L: range / |move|.
    assert grid.weight[27:] == pytest.approx([0.16 / 0.66, 0.16 / 0.33, 0.32, 0.16, 0.08,
                                              0.16 / 3, 0.04, 0.032])


def test_vol_shock_scale_when_under_and_over_30_days_then_powers_03_and_013() -> None:
    config = PortfolioMarginConfig()
    scale = vol_shock_scale(np.array([15.0, 30.0, 60.0, 0.2]), config)
    assert scale == pytest.approx([2 ** 0.3, 1.0, 0.5 ** 0.13, 30 ** 0.3])  # 0.2 d floored to 1


def test_eth_range_when_default_config_then_18pct() -> None:
    assert PortfolioMarginConfig().range_of("ETH") == 0.18
    assert PortfolioMarginConfig().range_of("BTC") == 0.16


def test_short_straddle_when_main_grid_then_worst_loss_equals_hand_calculation() -> None:
    portfolio = Portfolio(options=(option(OptionRight.CALL, 100_000, "-1"),
                                   option(OptionRight.PUT, 100_000, "-1")))
    margin = ScenarioBook.build(portfolio, MARKET, MAIN_ONLY).margin()
    expected, _, where = hand_worst_loss([(True, 100_000, -1), (False, 100_000, -1)], 30, 0.6)
    (btc,) = margin.per_underlying
    assert btc.worst_loss == pytest.approx(expected, rel=1e-12)
    assert btc.worst_scenario == where
    assert where.endswith("vol up") and where.startswith(("+16.00%", "-16.00%"))
    assert btc.maintenance_margin == pytest.approx(0.8 * expected, rel=1e-12)


def test_short_straddle_when_all_addons_then_maintenance_is_08_of_their_sum() -> None:
    portfolio = Portfolio(options=(option(OptionRight.CALL, 100_000, "-1"),
                                   option(OptionRight.PUT, 100_000, "-1")))
    config = PortfolioMarginConfig(extended_moves=())
    (btc,) = ScenarioBook.build(portfolio, MARKET, config).margin().per_underlying
    std = 0.6 * math.sqrt(30 / 365)
    n_d1 = 0.5 * math.erfc(-(std / 2) / math.sqrt(2))
    net_delta = -(n_d1 - (1 - n_d1))  # short call delta + short put delta
    assert btc.delta_shock == pytest.approx(0.01 * abs(net_delta) * INDEX, rel=1e-9)
    assert btc.roll_shock == pytest.approx(0.005 * math.sqrt(30 / 365) * abs(net_delta) * INDEX,
                                           rel=1e-9)
    assert btc.contingency == pytest.approx(0.01 * 2 * INDEX)  # 2 net short at one strike
    total = btc.worst_loss + btc.delta_shock + btc.roll_shock + btc.contingency
    assert btc.initial_margin == pytest.approx(total)
    assert btc.maintenance_margin == pytest.approx(0.8 * total)


def test_iron_condor_when_main_grid_then_hand_loss_and_below_the_wing_width() -> None:
    legs = [(False, 85_000, 1), (False, 90_000, -1), (True, 110_000, -1), (True, 115_000, 1)]
    portfolio = Portfolio(options=tuple(
        option(OptionRight.CALL if call else OptionRight.PUT, k, str(q)) for call, k, q in legs))
    (btc,) = ScenarioBook.build(portfolio, MARKET, MAIN_ONLY).margin().per_underlying
    expected, _, where = hand_worst_loss([(c, float(k), float(q)) for c, k, q in legs], 30, 0.6)
    credit = sum(-q * black(INDEX, k, 30, 0.6, c) for c, k, q in legs)
    assert btc.worst_loss == pytest.approx(expected, rel=1e-12)
    assert btc.worst_scenario == where
    assert 0 < btc.worst_loss < 5_000 - credit  # never more than the wing width less credit


def test_iron_condor_when_extended_moves_then_they_cannot_dominate_a_capped_loss() -> None:
    legs = [(False, 85_000, 1), (False, 90_000, -1), (True, 110_000, -1), (True, 115_000, 1)]
    portfolio = Portfolio(options=tuple(
        option(OptionRight.CALL if call else OptionRight.PUT, k, str(q)) for call, k, q in legs))
    full = PortfolioMarginConfig(delta_shock_rate=0, roll_shock_rate=0, option_contingency_rate=0)
    with_ext = ScenarioBook.build(portfolio, MARKET, full).margin().per_underlying[0]
    without = ScenarioBook.build(portfolio, MARKET, MAIN_ONLY).margin().per_underlying[0]
    assert with_ext.worst_loss == pytest.approx(without.worst_loss)


def test_naked_short_call_when_far_otm_then_extended_table_sets_the_margin() -> None:
    portfolio = Portfolio(options=(option(OptionRight.CALL, 160_000, "-1"),))
    config = PortfolioMarginConfig(delta_shock_rate=0, roll_shock_rate=0,
                                   option_contingency_rate=0)
    (btc,) = ScenarioBook.build(portfolio, MARKET, config).margin().per_underlying
    assert btc.worst_scenario == "extended +500.00% vol up"
    vol_up = 0.6 * 1.5
    loss = black(600_000, 160_000, 30, vol_up, True) - black(INDEX, 160_000, 30, 0.6, True)
    assert btc.worst_loss == pytest.approx(0.16 / 5 * loss, rel=1e-12)


def test_dampener_when_configured_then_reduces_extended_losses_only() -> None:
    portfolio = Portfolio(options=(option(OptionRight.CALL, 160_000, "-1"),))
    base = PortfolioMarginConfig(delta_shock_rate=0, roll_shock_rate=0, option_contingency_rate=0)
    damped = base.model_copy(update={"extended_dampener_usd": 1_000.0})
    plain = ScenarioBook.build(portfolio, MARKET, base).margin().per_underlying[0].worst_loss
    relieved = ScenarioBook.build(portfolio, MARKET, damped).margin().per_underlying[0]
    assert relieved.worst_loss == pytest.approx(plain - 1_000.0)


def test_perpetual_hedged_by_spot_when_scenarios_then_no_scenario_loss() -> None:
    portfolio = Portfolio(
        spot=(SpotBalance("binance", "BTC", Decimal(2)),),
        perpetuals=(PerpetualPosition("binance", "BTCUSDT", "BTC", Decimal(-2),
                                      Decimal(100_000)),))
    (btc,) = ScenarioBook.build(portfolio, MARKET).margin().per_underlying
    assert btc.worst_loss == pytest.approx(0.0, abs=1e-6)
    assert btc.delta_shock == pytest.approx(0.0, abs=1e-9)


def test_long_perpetual_when_down_16pct_then_loses_16pct_of_notional() -> None:
    portfolio = Portfolio(perpetuals=(PerpetualPosition("binance", "BTCUSDT", "BTC", Decimal(1),
                                                        Decimal(100_000)),))
    (btc,) = ScenarioBook.build(portfolio, MARKET, MAIN_ONLY).margin().per_underlying
    assert btc.worst_loss == pytest.approx(16_000.0)
    assert btc.worst_scenario.startswith("-16.00%")


def test_margin_with_leg_when_added_then_equals_full_rebuild() -> None:
    book_positions = Portfolio(options=(option(OptionRight.CALL, 100_000, "-1"),
                                        option(OptionRight.PUT, 95_000, "2", days=60)))
    leg = option(OptionRight.PUT, 100_000, "-1.5", days=7, vol="0.8")
    cached = ScenarioBook.build(book_positions, MARKET).margin_with(leg)
    rebuilt = ScenarioBook.build(book_positions.with_position(leg), MARKET).margin()
    assert cached.maintenance_margin == pytest.approx(rebuilt.maintenance_margin, rel=1e-12)
    assert cached.equity == pytest.approx(rebuilt.equity, rel=1e-12)
    assert cached.per_underlying[0].worst_scenario == rebuilt.per_underlying[0].worst_scenario


def test_margin_when_utilisation_then_maintenance_over_equity() -> None:
    portfolio = Portfolio(spot=(SpotBalance("deribit", "USDC", Decimal(100_000)),),
                          options=(option(OptionRight.CALL, 100_000, "-1"),))
    margin = ScenarioBook.build(portfolio, MARKET).margin()
    premium = black(INDEX, 100_000, 30, 0.6, True)
    assert margin.equity == pytest.approx(100_000 - premium)
    assert margin.utilisation == pytest.approx(margin.maintenance_margin / margin.equity)


def test_build_when_underlying_has_no_index_then_refuses() -> None:
    eth_option = OptionPosition("deribit", "ETH-3000-C", "ETH", OptionRight.CALL, Decimal(3000),
                                Decimal(30), Decimal(-1), Decimal("0.7"))
    with pytest.raises(MissingMarketData, match="ETH"):
        ScenarioBook.build(Portfolio(options=(eth_option,)), MARKET)


def test_build_when_unknown_asset_held_then_refuses_rather_than_ignoring_it() -> None:
    with pytest.raises(MissingMarketData, match="PEPE"):
        ScenarioBook.build(Portfolio(spot=(SpotBalance("binance", "PEPE", Decimal(10**9)),)),
                           MARKET)


def test_liquidation_buffer_with_when_linear_book_then_exact_move_that_eats_the_surplus() -> None:
    long_perp = PerpetualPosition("binance", "BTCUSDT", "BTC", Decimal(1), Decimal(100_000))
    portfolio = Portfolio(spot=(SpotBalance("binance", "USDT", Decimal(25_000)),),
                          perpetuals=(long_perp,))
    book = ScenarioBook.build(portfolio, MARKET)
    # MM = 0.8 x (16,000 worst loss + 1,000 delta shock) = 13,600; surplus 11,400 = 1e5 x 0.114.
    assert book.margin().maintenance_margin == pytest.approx(13_600)
    assert book.liquidation_buffer_with() == pytest.approx(0.114)
    # A second long perpetual: MM 27,200 > equity 25,000, already breached.
    assert book.liquidation_buffer_with(long_perp) == 0.0


def test_liquidation_buffer_with_when_surplus_exceeds_the_grid_then_none() -> None:
    portfolio = Portfolio(spot=(SpotBalance("binance", "USDT", Decimal(40_000)),),
                          perpetuals=(PerpetualPosition("binance", "BTCUSDT", "BTC", Decimal(1),
                                                        Decimal(100_000)),))
    assert ScenarioBook.build(portfolio, MARKET).liquidation_buffer_with() is None


def test_margin_results_when_scenario_and_standard_then_one_money_surface() -> None:
    from risk.margin import StandardMargin
    from risk.margin.book import MarginTotals
    from risk.margin.scenarios import PortfolioMargin, UnderlyingMargin

    scenario = PortfolioMargin(1000.004, (UnderlyingMargin("BTC", 0, "", 0, 0, 0, 100.001,
                                                           80.0011),))
    standard = StandardMargin(1000.004, 60.0, 50.0, 40.001, 30.0011)
    for margin in (scenario, standard):
        assert isinstance(margin, MarginTotals)
        assert margin.maintenance_margin_usd == Decimal("80.01")  # up to the cent
        assert margin.initial_margin_usd == Decimal("100.01")
        assert margin.equity_usd == Decimal("1000.00")  # down to the cent
        assert margin.utilisation == pytest.approx(80.0011 / 1000.004)
    assert PortfolioMargin(-1.0, ()).utilisation == float("inf")
    assert StandardMargin(0.0, 0, 0, 0, 0).utilisation == 0.0
