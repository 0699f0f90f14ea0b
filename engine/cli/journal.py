"""`crossbook journal orders|events|verify`: read the write-ahead journal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from engine.cli.output import ExitCode, console, fail, print_json, table
from engine.config import load_settings
from engine.errors import JournalError
from engine.journal import Journal, JournalConfig
from engine.model import OrderAccepted, OrderCreated, OrderDenied, OrderEvent, OrderFilled

app = typer.Typer(help="Inspect the order journal: orders, their events, replay checks.",
                  no_args_is_help=True)

Url = Annotated[str | None, typer.Option("--url", help="Journal URL (default: journal_url "
                                         "from crossbook.toml or CROSSBOOK_JOURNAL_URL).")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]


def _journal(url: str | None) -> Journal:
    try:
        return Journal(JournalConfig(url=url or load_settings().journal_url))
    except JournalError as error:
        fail(ExitCode.UNREACHABLE, str(error))


@app.command()
def orders(url: Url = None, json_output: Json = False) -> None:
    """List every order with its status and fills, from the projections."""
    projections = _journal(url).projections()
    rows = sorted(projections.orders.values(), key=lambda order: order.created_ts_ns)
    if json_output:
        print_json({"orders": [order.model_dump(mode="json") for order in rows]})
        return
    console.print(table("Orders", ["client order id", "venue", "instrument", "side", "qty",
                                   "filled", "avg price", "status"], [
        [o.client_order_id, o.venue, o.instrument.id, o.side.value, o.qty, o.filled_qty,
         o.avg_fill_price if o.avg_fill_price is not None else "-", o.status.value]
        for o in rows
    ]))


@app.command()
def events(
    order: Annotated[str | None, typer.Option(help="Only this client order id.")] = None,
    url: Url = None,
    json_output: Json = False,
) -> None:
    """List journaled events in log order, each with its sequence number."""
    logged = [(seq, event) for seq, event in _journal(url).events()
              if order is None or event.client_order_id == order]
    if json_output:
        print_json({"events": [{"seq": seq, **event.model_dump(mode="json")}
                               for seq, event in logged]})
        return
    console.print(table("Events", ["seq", "time (UTC)", "client order id", "event", "detail"], [
        [seq, _iso(event.ts_ns), event.client_order_id, getattr(event, "kind", "-"),
         _describe(event)]
        for seq, event in logged
    ]))


def _iso(ts_ns: int) -> str:
    seconds, nanos = divmod(ts_ns, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{nanos:09d}Z"


def _describe(event: OrderEvent) -> str:
    """The one fact an operator wants from each kind of event."""
    if isinstance(event, OrderFilled):
        return f"{event.fill.qty} @ {event.fill.price} (trade {event.fill.trade_id})"
    if isinstance(event, OrderCreated):
        o = event.order
        price = f" @ {o.limit_price}" if o.limit_price is not None else ""
        return f"{o.side.value} {o.qty} {o.instrument.id}{price} on {o.venue}"
    if isinstance(event, OrderAccepted):
        return f"venue order {event.venue_order_id}"
    if isinstance(event, OrderDenied):
        return f"{event.reason_code}: {event.detail}"
    return str(getattr(event, "reason", ""))


@app.command()
def verify(url: Url = None, json_output: Json = False) -> None:
    """Replay the log and check it rebuilds exactly the stored projections (exit 1 if not)."""
    journal = _journal(url)
    stored, replayed = journal.projections(), journal.replay()
    consistent = stored == replayed
    summary = {"consistent": consistent, "events": len(journal.events()),
               "orders": len(replayed.orders), "fills": len(replayed.fills)}
    if json_output:
        print_json(summary)
    else:
        console.print(table("Journal replay", list(summary), [list(summary.values())]))
    if not consistent:
        raise typer.Exit(int(ExitCode.REFUSED))
