"""Scenario vectors add up: a leg priced alone and added to the cached totals gives the margin
of the whole portfolio rebuilt from scratch, for any mix of positions and legs."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.margin import (
    MarketData,
    OptionPosition,
    OptionRight,
    PerpetualPosition,
    Portfolio,
    Position,
    ScenarioBook,
    SpotBalance,
    WalletBalance,
)

MARKET = MarketData({"BTC": Decimal(100_000), "ETH": Decimal(4_000)}, {"WETH": "ETH"})
quantities = st.decimals(min_value=Decimal(-20), max_value=Decimal(20), places=3).filter(
    lambda q: q != 0)


@st.composite
def positions(draw: st.DrawFn) -> Position:
    kind = draw(st.sampled_from(["option", "perp", "spot", "wallet", "cash"]))
    underlying = draw(st.sampled_from(["BTC", "ETH"]))
    index = 100_000 if underlying == "BTC" else 4_000
    q = draw(quantities)
    if kind == "option":
        strike = Decimal(index) * draw(st.decimals(Decimal("0.6"), Decimal("1.6"), places=2))
        return OptionPosition("deribit", "x", underlying,
                              draw(st.sampled_from(list(OptionRight))), strike,
                              Decimal(draw(st.integers(1, 400))), q,
                              draw(st.decimals(Decimal("0.2"), Decimal("1.5"), places=2)))
    if kind == "perp":
        return PerpetualPosition("binance", "x", underlying, q, Decimal(index))
    if kind == "wallet":
        return WalletBalance(1, "0xa", "WETH", abs(q))
    return SpotBalance("binance", underlying if kind == "spot" else "USDC", q)


def _portfolio(items: list[Position]) -> Portfolio:
    portfolio = Portfolio()
    for item in items:
        portfolio = portfolio.with_position(item)
    return portfolio


@settings(max_examples=150, derandomize=True, deadline=None)
@given(book=st.lists(positions(), min_size=1, max_size=12),
       legs=st.lists(positions(), min_size=1, max_size=3))
def test_margin_with_legs_when_priced_alone_then_equals_full_rebuild(
    book: list[Position], legs: list[Position]
) -> None:
    cached = ScenarioBook.build(_portfolio(book), MARKET)
    incremental = cached.margin_with(*legs)
    rebuilt = ScenarioBook.build(_portfolio(book + legs), MARKET).margin()
    assert incremental.equity == pytest.approx(rebuilt.equity, rel=1e-9, abs=1e-6)
    assert incremental.maintenance_margin == pytest.approx(rebuilt.maintenance_margin,
                                                           rel=1e-9, abs=1e-6)
    by_name = {u.underlying: u for u in rebuilt.per_underlying}
    for u in incremental.per_underlying:
        assert u.worst_loss == pytest.approx(by_name[u.underlying].worst_loss, rel=1e-9,
                                             abs=1e-6)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(book=st.lists(positions(), min_size=2, max_size=8))
def test_scenario_vectors_when_summed_then_equal_the_book_totals(book: list[Position]) -> None:
    whole = ScenarioBook.build(_portfolio(book), MARKET)
    empty = ScenarioBook.build(Portfolio(), MARKET)
    legs = [empty.leg(p) for p in book]
    for name, totals in whole.totals.items():
        summed = sum((leg.pnl for leg in legs if leg.underlying == name),
                     np.zeros_like(totals.pnl))
        np.testing.assert_allclose(summed, totals.pnl, rtol=1e-9, atol=1e-6)
