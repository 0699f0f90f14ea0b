"""How every `crossbook` command speaks: a rich table by default, one JSON object with --json,
and an exit status that tells scripts what kind of failure happened."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from chain.errors import (
    AnvilNotInstalled,
    ChainError,
    DevnetNotRunning,
    PortInUse,
    RetryableChainError,
)
from engine import model

# Not a terminal (CI logs, pipes): wide enough that addresses and prices are never cut.
_WIDTH = None if sys.stdout.isatty() else 140
console = Console(width=_WIDTH)
error_console = Console(stderr=True, soft_wrap=True)  # one line per message, never cut


class ExitCode(IntEnum):
    """Exit statuses shared by every command (DESIGN.md, 'Conventions for commands')."""

    OK = 0
    REFUSED = 1  # a domain refusal: risk, compliance, validation, a failed deployment
    USAGE = 2  # the command line or a file it names is wrong
    UNREACHABLE = 3  # a dependency (RPC node, venue, tool) is missing or not answering


def _json_default(value: Any) -> Any:
    # Prices and quantities are decimal strings in JSON; integers (base units) stay integers.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def print_json(document: Any) -> None:
    """Print one JSON object on stdout."""
    sys.stdout.write(json.dumps(document, default=_json_default, sort_keys=True) + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A rich table with right-aligned numbers."""
    grid = Table(title=title, title_justify="left")
    numeric = [bool(rows) and all(isinstance(r[i], int | Decimal) for r in rows)
               for i in range(len(columns))]
    for column, is_number in zip(columns, numeric, strict=True):
        grid.add_column(column, justify="right" if is_number else "left")
    for row in rows:
        grid.add_row(*(str(cell) for cell in row))
    return grid


def decimal_option(option: str, text: str) -> Decimal:
    """A decimal given on the command line; a usage error (exit 2) naming the option if not."""
    try:
        return Decimal(text)
    except InvalidOperation:
        fail(ExitCode.USAGE, f"{option}: {text!r} is not a decimal number")


def plain(value: Decimal) -> Decimal:
    """Without trailing zeros and never in exponent form: 25.000 -> 25, 1E+2 -> 100."""
    return Decimal(model.plain(value))


def four_places(value: Decimal) -> Decimal:
    """A price or cost as tables show it."""
    return value.quantize(Decimal("0.0001"))


def fail(code: ExitCode, message: str) -> NoReturn:
    """Print a one-paragraph error on stderr and exit with `code`."""
    error_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(int(code))


def exit_code_for(error: ChainError) -> ExitCode:
    """Classify a chain error into the shared exit statuses."""
    if isinstance(error, RetryableChainError | AnvilNotInstalled | DevnetNotRunning):
        return ExitCode.UNREACHABLE
    if isinstance(error, PortInUse):
        return ExitCode.USAGE
    return ExitCode.REFUSED


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the typed errors a command can raise into a message and an exit status."""
    try:
        yield
    except ChainError as error:
        fail(exit_code_for(error), str(error))


