"""The router on in-memory venues (tests/router_venues.py): inventory, limits, staleness, quote
amounts and refusals, each checked against exact venue quotes."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest

from connectors.venue import QtyBasis, Side, Venue
from engine.errors import InvalidValue
from engine.router import NoRoute, RoutePlan, Router, RouteRequest

from router_venues import BookVenue, PoolVenue

D = Decimal


def _venues() -> list[Venue]:
    return [
        BookVenue("book", asks=[(D(3001), D(5)), (D(3003), D(10))],
                  bids=[(D(2999), D(5)), (D(2997), D(10))], fee=D("0.001")),
        PoolVenue("pool", D(500), D(1_500_000), gas=D(3), fee=D("0.0005")),
    ]


def _plan(request: RouteRequest, venues: list[Venue] | None = None,
          **kwargs: object) -> RoutePlan:
    inventory = kwargs.pop("inventory", None)
    router = Router(venues or _venues(), **kwargs)  # type: ignore[arg-type]
    return asyncio.run(router.plan(request, inventory))  # type: ignore[arg-type]


def test_plan_when_both_venues_help_then_split_and_totals_equal_exact_quotes() -> None:
    plan = _plan(RouteRequest("WETH/USDC", Side.BUY, D(20)))  # more than the book holds
    assert {leg.venue for leg in plan.legs} == {"book", "pool"}
    assert plan.base_qty == 20 and plan.unfilled == 0
    assert plan.quote_qty == sum(leg.quote_qty for leg in plan.legs)
    assert plan.gas == D(3) and plan.all_in_price > plan.avg_price


def test_plan_when_inventory_caps_a_venue_then_it_takes_no_more_than_held() -> None:
    plan = _plan(RouteRequest("WETH/USDC", Side.SELL, D(12)), inventory={"book": D(2)})
    book = next(leg for leg in plan.legs if leg.venue == "book")
    assert book.base_qty <= 2 and plan.base_qty == 12
    assert any("book" in line and "inventory" in line for line in plan.explanation)


def test_plan_when_limit_price_binds_then_marginal_within_limit_and_rest_unfilled() -> None:
    plan = _plan(RouteRequest("WETH/USDC", Side.BUY, D(100), limit_price=D(3010)))
    assert plan.unfilled > 0
    assert all(leg.quote.marginal_price <= D(3010) for leg in plan.legs)


def test_plan_when_by_quote_amount_then_spends_exactly_the_budget() -> None:
    plan = _plan(RouteRequest("WETH/USDC", Side.BUY, D(30_000), QtyBasis.QUOTE))
    assert plan.quote_qty == D(30_000)
    for venue in _venues():
        alone = asyncio.run(venue.quote("WETH/USDC", Side.BUY, D(30_000), QtyBasis.QUOTE))
        assert plan.base_qty >= alone.base_qty - plan.gas / D(3000)


def test_plan_when_a_venue_is_stale_then_left_out_and_said_so() -> None:
    venues = _venues()
    old = BookVenue("old-book", asks=[(D(2990), D(50))], bids=[(D(3010), D(50))],
                    observed_ns=time.time_ns() - 30 * 10**9)
    plan = _plan(RouteRequest("WETH/USDC", Side.BUY, D(5)), [*venues, old],
                 max_quote_age_s=5.0)
    assert "old-book" not in {leg.venue for leg in plan.legs}
    assert any(line.startswith("old-book: unused; its state is") for line in plan.explanation)
    with pytest.raises(NoRoute, match="too old"):
        _plan(RouteRequest("WETH/USDC", Side.BUY, D(5)), [old], max_quote_age_s=5.0)


@pytest.mark.parametrize(("request_", "error", "field"), [
    (RouteRequest("WETH/USDC", Side.BUY, D(0)), InvalidValue, "qty"),
    (RouteRequest("WETH/USDC", Side.BUY, D("NaN")), InvalidValue, "qty"),
    (RouteRequest("WETH/USDC", Side.BUY, D(1), limit_price=D(-1)), InvalidValue, "limit_price"),
    (RouteRequest("WETH/USDC", Side.BUY, D(1), max_slippage_bps=D(-5)), InvalidValue,
     "max_slippage_bps"),
    (RouteRequest("DOGE/USDC", Side.BUY, D(1)), NoRoute, "symbol"),
    (RouteRequest("WETH/USDC", Side.BUY, D(1), limit_price=D(100)), NoRoute, "limit_price"),
])
def test_plan_when_request_is_wrong_then_typed_error_names_the_field(
    request_: RouteRequest, error: type[Exception], field: str,
) -> None:
    with pytest.raises(error) as refused:
        _plan(request_)
    assert getattr(refused.value, "field", None) == field
