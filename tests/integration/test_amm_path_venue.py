"""Two-pool paths as venues (WBTC/WETH through USDC): exact against QuoterV2's path quotes,
conformant to the Venue protocol, built over disjoint pools, and routable."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3

from connectors.amm.path_venue import AmmPathVenue, venues_for_symbol
from connectors.amm.venue import AmmVenues, amm_venues_from_manifest
from connectors.errors import InvalidQuoteRequest
from connectors.venue import QtyBasis, Side
from engine.router import Router, RouteRequest

from venue_conformance import check_venue_conforms

pytestmark = pytest.mark.integration


def _encoded_path(tokens: list[str], fees: list[int]) -> bytes:
    packed = bytes.fromhex(tokens[0][2:])
    for fee, token in zip(fees, tokens[1:], strict=True):
        packed += fee.to_bytes(3, "big") + bytes.fromhex(token[2:])
    return packed


@pytest.fixture
def venues(w3: Web3, devnet: dict[str, Any]) -> AmmVenues:
    return amm_venues_from_manifest(w3, devnet)


def _v3_path(paths: list[AmmPathVenue]) -> AmmPathVenue:
    return next(p for p in paths if p.name ==
                "path:uniswap_v3:WBTC/USDC:3000>uniswap_v3:WETH/USDC:500")


def test_path_venues_when_built_then_each_pool_used_once(venues: AmmVenues) -> None:
    paths = [v for v in venues_for_symbol(venues, "WBTC/WETH") if isinstance(v, AmmPathVenue)]
    assert len(paths) == 2  # two WBTC/USDC pools, each with its own WETH/USDC pool
    used = [p.x_pool.name for p in paths] + [p.y_pool.name for p in paths]
    assert len(used) == len(set(used))


def test_path_venue_when_selling_by_base_or_buying_by_quote_then_equals_quoter_v2_path(
    w3: Web3, devnet: dict[str, Any], venues: AmmVenues,
) -> None:
    path = _v3_path([v for v in venues_for_symbol(venues, "WBTC/WETH")
                     if isinstance(v, AmmPathVenue)])
    wbtc, usdc, weth = (devnet["tokens"][s]["address"] for s in ("WBTC", "USDC", "WETH"))
    quoter = w3.eth.contract(address=devnet["uniswap_v3"]["quoter_v2"],
                             abi=devnet["abis"]["QuoterV2"]).functions
    sell = path.quote_now("WBTC/WETH", Side.SELL, Decimal(2))
    expected, *_ = quoter.quoteExactInput(_encoded_path([wbtc, usdc, weth], [3000, 500]),
                                          2 * 10**8).call()
    assert int(sell.quote_qty.scaleb(18)) == expected
    buy = path.quote_now("WBTC/WETH", Side.BUY, Decimal(30), QtyBasis.QUOTE)
    expected, *_ = quoter.quoteExactInput(_encoded_path([weth, usdc, wbtc], [500, 3000]),
                                          30 * 10**18).call()
    assert int(buy.base_qty.scaleb(8)) == expected
    assert buy.fixed_cost > 0 and "via USDC" in buy.detail


async def test_path_venue_when_checked_then_conforms_to_the_venue_protocol(
    venues: AmmVenues,
) -> None:
    for venue in venues_for_symbol(venues, "WBTC/WETH"):
        await check_venue_conforms(venue, "WBTC/WETH",
                                   [Decimal("0.05"), Decimal("0.5"), Decimal(2)])


def test_router_when_no_pool_trades_the_pair_then_routes_over_paths(venues: AmmVenues) -> None:
    candidates = venues_for_symbol(venues, "WBTC/WETH")
    plan = asyncio.run(Router(candidates).plan(RouteRequest("WBTC/WETH", Side.BUY,
                                                            Decimal(3))))
    assert plan.base_qty == 3 and all(leg.venue.startswith("path:") for leg in plan.legs)
    assert venues_for_symbol(venues, "WBTC/DOGE") == []
    with pytest.raises(InvalidQuoteRequest):
        _v3_path([v for v in candidates if isinstance(v, AmmPathVenue)]).quote_now(
            "WETH/WBTC", Side.BUY, Decimal(1))
