"""The single-leg scenario pricing (plain floats, the pre-trade path) against the vectorised
book path (numpy over options) on random legs: the same numbers to 1e-9 relative.

The vectorised path is `option_scenario_pnl`, the one that revalues the whole book; the leg
path is `ScenarioBook.leg`. Both follow Black-76 in Deribit's convention, so any difference
beyond rounding is a bug in one of them."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from risk.margin import (
    MarketData,
    OptionPosition,
    OptionRight,
    Portfolio,
    PortfolioMarginConfig,
    ScenarioBook,
    black76,
    scenario_grid,
)
from risk.margin.book import compile_book
from risk.margin.scenarios import option_scenario_pnl

MARKET = MarketData({"BTC": Decimal(100_000), "ETH": Decimal(3_000)})


def random_legs(n: int, seed: int) -> list[OptionPosition]:
    rng = np.random.default_rng(seed)
    legs = []
    for i in range(n):
        underlying = "BTC" if rng.random() < 0.5 else "ETH"
        index = float(MARKET.index(underlying))
        strike = round(index * rng.uniform(0.4, 2.5), 2)
        days = int(rng.integers(1, 720))
        vol = round(float(rng.uniform(0.05, 2.0)), 4)
        quantity = round(float(rng.uniform(-50, 50)), 1) or 1.0
        forward = None if rng.random() < 0.7 else Decimal(repr(round(index * 1.01, 2)))
        legs.append(OptionPosition(
            "deribit", f"{underlying}-{i}", underlying,
            OptionRight.CALL if rng.random() < 0.5 else OptionRight.PUT,
            Decimal(repr(strike)), Decimal(days), Decimal(repr(quantity)), Decimal(repr(vol)),
            forward))
    return legs


@pytest.mark.parametrize("config", [PortfolioMarginConfig(),
                                    PortfolioMarginConfig(price_moves=11, min_days=2.0)])
def test_leg_scenario_when_random_options_then_equals_vectorised_book_path(
        config: PortfolioMarginConfig) -> None:
    book = ScenarioBook.build(Portfolio(), MARKET, config)
    for leg in random_legs(300, seed=9):
        fast = book.leg(leg)
        alone = compile_book(Portfolio(options=(leg,)), MARKET)
        grid = scenario_grid(config.range_of(leg.underlying), config)
        vectorised = option_scenario_pnl(alone.options, [grid], config)[:, 0]
        assert fast.pnl.shape == vectorised.shape
        # relative to the leg's own scale: a scenario P&L near zero is a difference of two
        # prices, so its rounding is that of the prices, not of the (tiny) difference
        scale = max(float(np.abs(vectorised).max()), 1e-300)
        np.testing.assert_allclose(fast.pnl, vectorised, rtol=1e-9, atol=1e-9 * scale)
        greeks = black76(alone.options.forward, alone.options.strike, alone.options.days,
                         alone.options.vol, alone.options.is_call)
        q = float(leg.quantity)
        assert fast.delta == pytest.approx(q * float(greeks.delta[0]), rel=1e-9, abs=1e-12)
        assert fast.value_usd == pytest.approx(q * float(greeks.price[0]), rel=1e-9,
                                               abs=1e-9 * abs(q) * float(alone.options.forward[0]))


def test_margin_with_random_leg_when_cached_book_then_equals_full_rebuild() -> None:
    legs = random_legs(60, seed=21)
    book_positions, new = Portfolio(options=tuple(legs[:40])), legs[40:]
    cached = ScenarioBook.build(book_positions, MARKET)
    for leg in new:
        fast = cached.margin_with(leg)
        rebuilt = ScenarioBook.build(book_positions.with_position(leg), MARKET).margin()
        assert fast.maintenance_margin == pytest.approx(rebuilt.maintenance_margin, rel=1e-9)
        assert fast.equity == pytest.approx(rebuilt.equity, rel=1e-9)
        for ours, theirs in zip(fast.per_underlying, rebuilt.per_underlying, strict=True):
            assert ours.worst_loss == pytest.approx(theirs.worst_loss, rel=1e-9)


def test_engine_with_legs_when_greeks_cached_then_carried_forward_equal_to_a_rebuild() -> None:
    from risk.margin import MarginEngine, SpotBalance

    legs = random_legs(30, seed=5)
    engine = MarginEngine(Portfolio(options=tuple(legs[:20])), MARKET)
    assert engine.greeks  # cached now: with_legs must carry it, not drop or keep it stale
    added = (*legs[20:], SpotBalance("binance", "BTC", Decimal("1.5")),
             SpotBalance("binance", "USDT", Decimal(-150_000)))
    moved = engine.with_legs(*added)
    assert "greeks" in moved.__dict__
    rebuilt = MarginEngine(engine.portfolio.with_positions(*added), MARKET).greeks
    assert [g.underlying for g in moved.greeks] == [g.underlying for g in rebuilt]
    for ours, theirs in zip(moved.greeks, rebuilt, strict=True):
        for name in ("delta", "gamma", "vega", "theta", "rho"):
            assert getattr(ours, name) == pytest.approx(getattr(theirs, name), rel=1e-9,
                                                        abs=1e-9)
