"""`crossbook route`: the cheapest all-in split of one order over every venue, explained."""

from __future__ import annotations

import asyncio
import contextlib
import os
from decimal import Decimal
from typing import Annotated

import typer

from chain.devnet import connect
from connectors.amm.path_venue import venues_for_symbol
from connectors.amm.venue import amm_venues_from_manifest
from connectors.cex import CexVenue, CexVenueConfig
from connectors.errors import RetryableVenueError, VenueError
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, binance_ccxt_urls
from connectors.venue import QtyBasis, Side, Venue
from engine.cli.devnet import StateDir, devnet_at
from engine.cli.output import (
    ExitCode,
    console,
    decimal_option,
    fail,
    four_places,
    plain,
    print_json,
    reported_errors,
    table,
)
from engine.errors import InvalidValue
from engine.router import RoutePlan, Router, RouteRequest


def _optional(option: str, text: str | None) -> Decimal | None:
    return None if text is None else decimal_option(option, text)


def route(
    symbol: Annotated[str, typer.Option(help="Market, BASE/QUOTE, e.g. WETH/USDC.")],
    side: Annotated[Side, typer.Option(help="Taker side.")],
    qty: Annotated[str, typer.Option(help="Quantity, a decimal in human units.")],
    basis: Annotated[QtyBasis, typer.Option(help="Count --qty in the base or quote asset.")]
    = QtyBasis.BASE,
    limit_price: Annotated[str | None, typer.Option(
        help="Stop where the marginal price passes this (buy: above, sell: below).")] = None,
    max_slippage_bps: Annotated[str | None, typer.Option(
        help="Stop this many bps past the best price at zero size.")] = None,
    cex: Annotated[list[str] | None, typer.Option(
        "--cex", help="A Binance-API exchange to include, as NAME=URL (e.g. "
        "simex=http://127.0.0.1:8765); repeat for several. Keys from CROSSBOOK_CEX_API_KEY "
        "and CROSSBOOK_CEX_API_SECRET (default: simex's demo account).")] = None,
    state_dir: StateDir = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Plan an order across the devnet's pools and any --cex exchange: legs, costs, why."""
    request = RouteRequest(symbol, side, decimal_option("--qty", qty), basis,
                           _optional("--limit-price", limit_price),
                           _optional("--max-slippage-bps", max_slippage_bps))
    exchanges = [_exchange(spec) for spec in cex or []]
    with reported_errors():
        manifest = devnet_at(state_dir).status()
        amm = amm_venues_from_manifest(connect(manifest["rpc_url"]), manifest)
        # every pool of the symbol, or two-pool paths to it where no pool trades it directly
        venues: list[Venue] = list(venues_for_symbol(amm, symbol))
    try:
        plan = asyncio.run(_plan(request, venues, exchanges))
    except (InvalidValue, VenueError) as error:
        fail(ExitCode.REFUSED if not isinstance(error, RetryableVenueError)
             else ExitCode.UNREACHABLE, str(error))
    if json_output:
        print_json(plan.to_json())
        return
    _print(plan)


def _exchange(spec: str) -> CexVenueConfig:
    name, sep, url = spec.partition("=")
    if not sep or not name or not url.startswith("http"):
        fail(ExitCode.USAGE, f"--cex: {spec!r} is not NAME=http://host:port")
    key = os.environ.get("CROSSBOOK_CEX_API_KEY", DEFAULT_API_KEY)
    secret = os.environ.get("CROSSBOOK_CEX_API_SECRET", DEFAULT_API_SECRET)
    return CexVenueConfig(name, key, secret, urls=binance_ccxt_urls(url))


async def _plan(request: RouteRequest, venues: list[Venue],
                exchanges: list[CexVenueConfig]) -> RoutePlan:
    async with contextlib.AsyncExitStack() as stack:
        for config in exchanges:
            venues.append(await stack.enter_async_context(CexVenue(config)))
        return await Router(venues).plan(request)


def _print(plan: RoutePlan) -> None:
    r = plan.request
    q = four_places
    rows = [[leg.venue, plain(leg.base_qty), plain(leg.quote_qty), q(leg.quote.avg_price),
             q(leg.quote.marginal_price), q(leg.quote.fee), q(leg.quote.fixed_cost)]
            for leg in plan.legs]
    rows.append(["total", plain(plan.base_qty), plain(plan.quote_qty), q(plan.avg_price),
                 q(plan.stop_price), q(plan.fees), q(plan.gas)])
    console.print(table(f"route: {r.side.value} {r.qty} {r.basis.value} of {r.symbol}",
                        ["venue", "base", "quote", "avg price", "marginal", "fee", "gas"], rows))
    console.print(f"all-in price {q(plan.all_in_price)}  impact {plan.impact_bps} bps vs best "
                  f"{q(plan.reference_price)}  unfilled {plain(plan.unfilled)}  quotes at "
                  f"block {', '.join(map(str, plan.blocks)) or '-'}  planned in "
                  f"{plan.planning_ns / 1e6:.1f} ms")
    for line in plan.explanation:
        console.print(f"  - {line}")
