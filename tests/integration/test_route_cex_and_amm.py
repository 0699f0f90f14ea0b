"""One order routed over simex (through the real ccxt client) and the devnet pools, then sent:
the CEX leg as a market order through the CEX venue, the pool legs in one Safe transaction.
What each venue charged equals what the plan said it would, up to how simex books its fee."""

from __future__ import annotations

import asyncio
import json
import random
import sys
from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3

from chain.wallet import HopKind, Route, fills_from_receipt, single_hop_legs, swap_calls
from connectors.amm.venue import amm_venues_from_manifest
from connectors.cex import CexVenue, CexVenueConfig
from connectors.orders import OrderKind, OrderRequest, VenueOrderStatus
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET
from connectors.simex.makers import SymbolMaker
from connectors.venue import Side, Venue
from engine.router import Router, RouteRequest

from safe_desk import make_desk

pytestmark = pytest.mark.integration


async def test_plan_over_simex_and_pools_when_sent_then_each_venue_charges_the_plan(
    simex: Any, w3: Web3, devnet: dict[str, Any],
) -> None:
    maker = simex.engine.add_account("route-maker", "x", {})
    SymbolMaker(simex, simex.config.symbols[0], maker, random.Random(7)).requote()
    amm = amm_venues_from_manifest(w3, devnet)
    desk = make_desk(w3, devnet)
    config = CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                            urls=simex.ccxt_urls())
    async with CexVenue(config) as cex:
        venues: list[Venue] = [*amm.venues, cex]
        plan = await Router(venues).plan(RouteRequest("WETH/USDC", Side.BUY, Decimal(60)))
        names = {leg.venue for leg in plan.legs}
        assert "simex" in names and names & {v.name for v in amm.venues}, plan.explanation
        cex_leg = next(leg for leg in plan.legs if leg.venue == "simex")
        report = await cex.place(OrderRequest("route-cex-1", "WETH/USDC", Side.BUY,
                                              OrderKind.MARKET, cex_leg.base_qty))
        assert report.status is VenueOrderStatus.FILLED
        assert report.filled_qty == cex_leg.base_qty
        fee = cex.markets()[0].taker_fee
        # simex charges a buyer's fee in the base asset; the plan counts it in quote
        assert abs(report.filled_quote * (1 + fee) - cex_leg.quote_qty) <= cex_leg.quote_qty * \
            Decimal("1e-9")
    by_name = {v.name: v for v in amm.venues}
    pool_legs = [leg for leg in plan.legs if leg.venue in by_name]
    route = Route(desk.token("USDC").address, desk.token("WETH").address, single_hop_legs([
        (HopKind.UNISWAP_V3 if by_name[leg.venue].spec.kind.value == "uniswap_v3"
         else HopKind.UNISWAP_V2, by_name[leg.venue].spec.address,
         int(leg.base_qty.scaleb(18))) for leg in pool_legs], exact_input=False),
        min_amount_out=int(sum(leg.base_qty for leg in pool_legs).scaleb(18)),
        max_amount_in=int(sum(leg.quote_qty for leg in pool_legs).scaleb(6)),
        deadline=2**32 - 1)
    fills = {f.pool: f for f in fills_from_receipt(
        w3, desk.executor, desk.run(swap_calls(w3, desk.executor, route)))}
    for leg in pool_legs:
        assert fills[by_name[leg.venue].spec.address].amount_in == int(leg.quote_qty.scaleb(6))


async def test_route_cli_when_cex_given_then_plans_across_it_and_the_pools(
    simex: Any, devnet: dict[str, Any],
) -> None:
    maker = simex.engine.add_account("cli-maker", "x", {})
    SymbolMaker(simex, simex.config.symbols[0], maker, random.Random(3)).requote()
    # The CLI runs as its own process; simex serves it from this test's event loop.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.cli", "route", "--symbol", "WETH/USDC", "--side", "buy",
        "--qty", "60", "--cex", f"simex={simex.rest_url}", "--state-dir", devnet["state_dir"],
        "--json", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    plan = json.loads(out)
    assert "simex" in {leg["venue"] for leg in plan["legs"]}
    assert Decimal(plan["base_qty"]) == 60
    bad = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.cli", "route", "--symbol", "WETH/USDC", "--side", "buy",
        "--qty", "1", "--cex", "simex", "--state-dir", devnet["state_dir"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await bad.communicate()
    assert bad.returncode == 2 and b"NAME=http" in err
