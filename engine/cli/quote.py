"""`crossbook quote amm`: an exact quote from any Uniswap V2 pair or V3 pool on any RPC.
`crossbook quote venues`: one order quoted on every venue of the running devnet."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from chain.devnet import connect
from chain.errors import ChainError
from connectors.amm import quote_pool
from connectors.amm.path_venue import venues_for_symbol
from connectors.amm.venue import amm_venues_from_manifest
from connectors.errors import InvalidQuoteRequest, VenueError
from connectors.venue import QtyBasis, Side, VenueQuote
from engine.cli.devnet import StateDir, devnet_at
from engine.cli.output import (
    ExitCode,
    console,
    decimal_option,
    exit_code_for,
    fail,
    four_places,
    plain,
    print_json,
    reported_errors,
    table,
)

app = typer.Typer(help="Quote venues exactly from their current state.", no_args_is_help=True)


@app.command()
def amm(
    rpc: Annotated[str, typer.Option(help="JSON-RPC URL of the chain.")],
    pool: Annotated[str, typer.Option(help="Uniswap V2 pair or V3 pool address.")],
    token_in: Annotated[str, typer.Option(help="Address of the token paid in.")],
    amount_in: Annotated[int | None, typer.Option(help="Exact input, base units.")] = None,
    amount_out: Annotated[int | None, typer.Option(help="Exact output, base units.")] = None,
    block: Annotated[int | None, typer.Option(help="Quote at this block (default: latest).")]
    = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Quote a swap: base-unit amounts, average price, ticks crossed, the block, partial fill."""
    if (amount_in is None) == (amount_out is None):
        fail(ExitCode.USAGE, "give exactly one of --amount-in and --amount-out")
    try:
        quote = quote_pool(connect(rpc), pool, token_in, amount_in, amount_out, block)
    except InvalidQuoteRequest as error:
        fail(ExitCode.REFUSED, str(error))
    except ChainError as error:
        fail(exit_code_for(error), str(error))
    if json_output:
        print_json(quote.to_json())
        return
    console.print(table(f"{quote.kind.value} quote at block {quote.block}",
                        ["amount in", "amount out", "avg price", "ticks crossed", "partial"],
                        [[quote.amount_in, quote.amount_out, f"{quote.avg_price:.10g}",
                          quote.ticks_crossed, "yes" if quote.partial else "no"]]))


@app.command()
def venues(
    symbol: Annotated[str, typer.Option(help="Market, BASE/QUOTE, e.g. WETH/USDC.")],
    side: Annotated[Side, typer.Option(help="Taker side.")],
    qty: Annotated[str, typer.Option(help="Quantity, a decimal in human units.")],
    basis: Annotated[QtyBasis, typer.Option(help="Count --qty in the base or quote asset.")]
    = QtyBasis.BASE,
    state_dir: StateDir = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Quote one order on every venue of the running devnet, cheapest all-in first."""
    amount = decimal_option("--qty", qty)
    with reported_errors():
        manifest = devnet_at(state_dir).status()
        amm = amm_venues_from_manifest(connect(manifest["rpc_url"]), manifest)
    quotes: list[VenueQuote] = []
    try:
        for venue in venues_for_symbol(amm, symbol):
            quotes.append(venue.quote_now(symbol, side, amount, basis))
    except VenueError as error:
        fail(ExitCode.REFUSED, str(error))
    if not quotes:
        fail(ExitCode.REFUSED, f"symbol: no venue of the devnet trades {symbol}")
    quotes.sort(key=_all_in_price, reverse=side is Side.SELL)
    if json_output:
        print_json({"symbol": symbol, "side": side.value, "qty": str(amount),
                    "basis": basis.value, "quotes": [q.to_json() for q in quotes]})
        return
    rows = [[q.venue, plain(q.base_qty), plain(q.quote_qty), four_places(q.avg_price),
             four_places(q.marginal_price), four_places(q.fee), four_places(q.fixed_cost),
             four_places(_all_in_price(q)), "yes" if q.partial else "no", q.stamp.block]
            for q in quotes]
    console.print(table(f"{side.value} {amount} {basis.value} of {symbol}",
                        ["venue", "base", "quote", "avg price", "marginal", "fee", "gas",
                         "all-in price", "partial", "block"], rows))


def _all_in_price(quote: VenueQuote) -> Decimal:
    """Average price with the fixed cost spread over the size: paid on a buy, lost on a sell."""
    sign = 1 if quote.side is Side.BUY else -1
    return (quote.quote_qty + sign * quote.fixed_cost) / quote.base_qty
