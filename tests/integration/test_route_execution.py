"""Routing on the devnet, end to end: a plan over every pool venue executes in one Safe
transaction through our executor, and what the pools paid equals what the plan said."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3

from chain.wallet import HopKind, Route, fills_from_receipt, single_hop_legs, swap_calls
from connectors.amm.venue import AmmVenues, amm_venues_from_manifest
from connectors.venue import Side
from engine.router import RoutePlan, Router, RouteRequest

from cli import crossbook
from safe_desk import Desk, make_desk

pytestmark = pytest.mark.integration


@pytest.fixture
def venues(w3: Web3, devnet: dict[str, Any]) -> AmmVenues:
    return amm_venues_from_manifest(w3, devnet)


def _execute(desk: Desk, venues: AmmVenues, plan: RoutePlan) -> Any:
    """Every leg of a buy-by-base plan as one exact-output route, paid from the Safe."""
    by_name = {v.name: v for v in venues.venues}
    legs = single_hop_legs([
        (HopKind.UNISWAP_V3 if by_name[leg.venue].spec.kind.value == "uniswap_v3"
         else HopKind.UNISWAP_V2, by_name[leg.venue].spec.address,
         int(leg.base_qty.scaleb(18))) for leg in plan.legs], exact_input=False)
    weth, usdc = desk.token("WETH").address, desk.token("USDC").address
    route = Route(usdc, weth, legs, min_amount_out=int(plan.base_qty.scaleb(18)),
                  max_amount_in=int(plan.quote_qty.scaleb(6)), deadline=2**32 - 1)
    return desk.run(swap_calls(desk.w3, desk.executor, route))


def test_plan_when_executed_through_the_safe_then_pools_pay_exactly_the_plan(
    w3: Web3, devnet: dict[str, Any], venues: AmmVenues,
) -> None:
    desk = make_desk(w3, devnet)
    plan = asyncio.run(Router(venues.venues).plan(RouteRequest("WETH/USDC", Side.BUY,
                                                               Decimal(120))))
    assert len(plan.legs) >= 2 and plan.unfilled == 0
    receipt = _execute(desk, venues, plan)
    fills = {f.pool: f for f in fills_from_receipt(w3, desk.executor, receipt)}
    by_name = {v.name: v for v in venues.venues}
    for leg in plan.legs:
        fill = fills[by_name[leg.venue].spec.address]
        assert fill.amount_out == int(leg.base_qty.scaleb(18))
        assert fill.amount_in == int(leg.quote_qty.scaleb(6))  # realised cost == planned
    # Better than any single pool could have done, all-in.
    for venue in venues.for_symbol("WETH/USDC"):
        alone = venue.quote_now("WETH/USDC", Side.BUY, Decimal(120))
        assert plan.quote_qty + plan.gas < alone.quote_qty + alone.fixed_cost


def test_replan_when_part_filled_then_the_rest_is_routed_on_fresh_state(
    w3: Web3, devnet: dict[str, Any], venues: AmmVenues,
) -> None:
    desk = make_desk(w3, devnet)
    router = Router(venues.venues)
    first = asyncio.run(router.plan(RouteRequest("WETH/USDC", Side.BUY, Decimal(60))))
    _execute(desk, venues, first)  # somebody (here: we) moved the pools
    venues.refresh_now()
    rest = asyncio.run(router.replan(first, Decimal(20)))
    assert rest is not None and rest.request.qty == 40 and rest.base_qty == 40
    assert rest.blocks[0] > first.blocks[0]
    assert rest.avg_price > first.avg_price  # the pools are dearer after our own buying
    assert asyncio.run(router.replan(first, Decimal(60))) is None


def test_route_cli_when_json_then_legs_add_up_and_explanation_names_every_venue(
    devnet: dict[str, Any], venues: AmmVenues,
) -> None:
    result = crossbook("route", "--symbol", "WETH/USDC", "--side", "sell", "--qty", "150",
                       "--state-dir", devnet["state_dir"], "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert sum(Decimal(leg["base_qty"]) for leg in plan["legs"]) == Decimal(150)
    assert Decimal(plan["quote_qty"]) == sum(Decimal(leg["quote_qty"]) for leg in plan["legs"])
    assert Decimal(plan["unfilled"]) == 0 and plan["exact_venue_choice"] is True
    named = " ".join(plan["explanation"])
    assert all(v.name in named for v in venues.for_symbol("WETH/USDC"))


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--symbol", "WETH/USDC", "--side", "buy", "--qty", "5", "--limit-price", "2000"], 1,
     "within the limits"),
    (["--symbol", "DOGE/USDC", "--side", "buy", "--qty", "5"], 1, "no venue trades"),
    (["--symbol", "WETH/USDC", "--side", "buy", "--qty", "-5"], 1, "qty"),
    (["--symbol", "WETH/USDC", "--side", "buy", "--qty", "five"], 2, "not a decimal"),
])
def test_route_cli_when_request_cannot_be_routed_then_exit_code_says_why(
    devnet: dict[str, Any], args: list[str], code: int, message: str,
) -> None:
    result = crossbook("route", *args, "--state-dir", devnet["state_dir"])
    assert result.returncode == code, result.stderr
    assert message in result.stderr
