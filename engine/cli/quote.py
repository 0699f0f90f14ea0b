"""`crossbook quote amm`: an exact quote from any Uniswap V2 pair or V3 pool on any RPC."""

from __future__ import annotations

from typing import Annotated

import typer

from chain.devnet import connect
from chain.errors import ChainError
from connectors.amm import quote_pool
from connectors.errors import InvalidQuoteRequest
from engine.cli.output import ExitCode, console, exit_code_for, fail, print_json, table

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
