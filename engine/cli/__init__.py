"""The `crossbook` command line: wires components together, holds no trading logic.

Each command lives in its own module and is imported only when it is the one being run (the
help lists them all): the engine's modules pull in ccxt, web3, scipy and the rest, and a
command should not pay to import what it does not use.
"""

from __future__ import annotations

import importlib
import sys

import typer

# command -> module; each module has a typer `app`, except `route`, a single command.
_COMMANDS = {
    "algo": "engine.cli.algo",
    "devnet": "engine.cli.devnet",
    "frost": "engine.cli.frost",
    "journal": "engine.cli.journal",
    "order": "engine.cli.order",
    "quote": "engine.cli.quote",
    "risk": "engine.cli.risk",
    "route": "engine.cli.route",
    "screen": "engine.cli.screen",
    "signer": "engine.cli.signer",
    "simex": "engine.cli.simex",
    "strategy": "engine.cli.strategy",
    "treasury": "engine.cli.treasury",
}

app = typer.Typer(
    name="crossbook",
    help="Crossbook: one order book over centralized exchanges and on-chain AMMs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

__all__ = ["app", "main"]


@app.callback()
def _commands() -> None:
    """Crossbook: one order book over centralized exchanges and on-chain AMMs."""
    # A callback keeps `crossbook COMMAND` a group even when one command is registered.


def _register(name: str) -> None:
    module = importlib.import_module(_COMMANDS[name])
    if name == "route":
        app.command(name="route")(module.route)
    else:
        app.add_typer(module.app, name=name)


def main() -> None:
    """Run the command line."""
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    for name in [wanted] if wanted in _COMMANDS else sorted(_COMMANDS):
        _register(name)
    app()
