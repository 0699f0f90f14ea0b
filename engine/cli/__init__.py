"""The `crossbook` command line: wires components together, holds no trading logic."""

from __future__ import annotations

import typer

from engine.cli import (
    algo,
    devnet,
    frost,
    journal,
    order,
    quote,
    risk,
    route,
    screen,
    signer,
    simex,
    treasury,
)

app = typer.Typer(
    name="crossbook",
    help="Crossbook: one order book over centralized exchanges and on-chain AMMs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(algo.app, name="algo")
app.add_typer(devnet.app, name="devnet")
app.add_typer(frost.app, name="frost")
app.add_typer(journal.app, name="journal")
app.add_typer(order.app, name="order")
app.add_typer(quote.app, name="quote")
app.add_typer(risk.app, name="risk")
app.command(name="route")(route.route)
app.add_typer(screen.app, name="screen")
app.add_typer(signer.app, name="signer")
app.add_typer(simex.app, name="simex")
app.add_typer(treasury.app, name="treasury")

__all__ = ["app", "main"]


def main() -> None:
    """Run the command line."""
    app()
