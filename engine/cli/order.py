"""`crossbook order serve|new-key|submit|cancel|status|list`: the OMS behind a local API.

`serve` runs the engine (journal, venues, gate, OMS, algorithms) and its REST + WebSocket API;
the other commands are clients of that server (URL from --url or CROSSBOOK_API_URL, key from
CROSSBOOK_API_KEY only).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.api import (
    ApiKeys,
    ApiServer,
    MarginSetup,
    api_call,
    build_engine,
    desk_margin,
    risk_gate,
    use_gate,
)
from engine.cli.output import ExitCode, console, fail, print_json, table
from engine.config import load_settings
from engine.errors import CrossbookError, InvalidValue, VenueUnreachable
from engine.journal import Journal, JournalConfig
from engine.model import OrderType, Side, TimeInForce
from risk.errors import RiskError

app = typer.Typer(help="Enter, cancel and follow orders through the OMS API server.",
                  no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]
Url = Annotated[str | None, typer.Option("--url", help="API server (default CROSSBOOK_API_URL "
                                                       "or http://127.0.0.1:8780).")]
KeysFile = Annotated[Path, typer.Option("--keys-file", help="Hashes of the API keys.")]
_KEYS = Path(".crossbook/api_keys.json")
_ORDER_COLUMNS = ["client order id", "venue", "symbol", "side", "type", "qty", "filled",
                  "avg price", "status", "reason"]


def request(method: str, path: str, body: object | None = None, url: str | None = None) -> Any:
    """Call the API server; exit with the shared status on any error answer."""
    try:
        status, answer = api_call(method, path, body, url)
    except VenueUnreachable as error:
        fail(ExitCode.UNREACHABLE, str(error))
    except InvalidValue as error:
        fail(ExitCode.USAGE, str(error))
    if status < 400:
        return answer
    refusal = answer.get("error", {}) if isinstance(answer, dict) else {}
    message = f"{refusal.get('field', '?')}: {refusal.get('rule', answer)}"
    if status == 401:
        fail(ExitCode.USAGE, f"the API key was refused ({message})")
    if status == 503:
        fail(ExitCode.UNREACHABLE, message)
    fail(ExitCode.REFUSED if status in (404, 422) else ExitCode.USAGE, message)


def order_row(o: dict[str, Any]) -> list[Any]:
    return [o["client_order_id"], o["venue"], f"{o['instrument']['base']}/"
            f"{o['instrument']['quote']}", o["side"], o["order_type"], Decimal(o["qty"]),
            Decimal(o["filled_qty"]), o["avg_fill_price"] or "-", o["status"],
            o["reason"] or ""]


def _show_order(order: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print_json({"order": order})
    else:
        console.print(table("Order", _ORDER_COLUMNS, [order_row(order)]))
    if order["status"] in ("denied", "rejected"):
        raise typer.Exit(int(ExitCode.REFUSED))


@app.command()
def submit(
    venue: Annotated[str, typer.Option(help="Execution venue name.")],
    symbol: Annotated[str, typer.Option(help="BASE/QUOTE.")],
    side: Annotated[Side, typer.Option(help="buy or sell.")],
    qty: Annotated[str, typer.Option(help="Quantity in base, a decimal.")],
    order_type: Annotated[OrderType, typer.Option("--type", help="market, limit, limit_maker.")]
    = OrderType.MARKET,
    limit: Annotated[str | None, typer.Option(help="Limit price (limit types).")] = None,
    tif: Annotated[TimeInForce, typer.Option(help="gtc, ioc or fok.")] = TimeInForce.IOC,
    request_id: Annotated[str | None, typer.Option(
        help="Idempotency key: the same id never makes a second order.")] = None,
    url: Url = None,
    json_output: Json = False,
) -> None:
    """Submit one order; it is gated, journaled, then sent. Exit 1 if denied or rejected."""
    body: dict[str, Any] = {"request_id": request_id or f"cli-{uuid.uuid4().hex[:20]}",
                            "venue": venue, "symbol": symbol, "side": side.value, "qty": qty,
                            "order_type": order_type.value, "time_in_force": tif.value}
    if limit is not None:
        body["limit_price"] = limit
    _show_order(request("POST", "/v1/orders", body, url), json_output)


@app.command()
def cancel(client_order_id: str, url: Url = None, json_output: Json = False) -> None:
    """Cancel an open order by client order id (or an algorithm by its parent id)."""
    answer = request("DELETE", f"/v1/orders/{client_order_id}", url=url)
    if "client_order_id" in answer:
        _show_order(answer, json_output)
    elif json_output:
        print_json({"parent": answer})
    else:
        console.print(table("Parent", list(answer), [[str(v) for v in answer.values()]]))


@app.command()
def status(client_order_id: str, url: Url = None, json_output: Json = False) -> None:
    """One order's current state."""
    order = request("GET", f"/v1/orders/{client_order_id}", url=url)
    if json_output:
        print_json({"order": order})
    else:
        console.print(table("Order", _ORDER_COLUMNS, [order_row(order)]))


@app.command("list")
def list_orders(
    parent: Annotated[str | None, typer.Option(help="Only children of this parent.")] = None,
    url: Url = None, json_output: Json = False,
) -> None:
    """Every order the OMS knows, oldest first."""
    path = "/v1/orders" + (f"?parent_id={parent}" if parent else "")
    orders = request("GET", path, url=url)["orders"]
    if json_output:
        print_json({"orders": orders})
    else:
        console.print(table("Orders", _ORDER_COLUMNS, [order_row(o) for o in orders]))


@app.command("new-key")
def new_key(name: str, keys_file: KeysFile = _KEYS, json_output: Json = False) -> None:
    """Issue an API key for `name`: printed once, only its hash is stored."""
    keys = ApiKeys.load(keys_file)
    try:
        key = keys.issue(name)
    except InvalidValue as error:
        fail(ExitCode.USAGE, str(error))
    keys.save(keys_file)
    if json_output:
        print_json({"name": name, "api_key": key, "keys_file": str(keys_file)})
    else:
        console.print(f"API key for {name} (shown once; export it as CROSSBOOK_API_KEY):")
        console.print(key, highlight=False)


@app.command()
def serve(
    simex: Annotated[list[str], typer.Option(
        help="A simex venue as NAME=PORT on 127.0.0.1 (repeatable).")],
    port: Annotated[int, typer.Option(help="API port on 127.0.0.1.")] = 8780,
    keys_file: KeysFile = _KEYS,
    account: Annotated[str, typer.Option(help="Pre-trade account of the desk.")] = "desk",
    journal_url: Annotated[str | None, typer.Option(help="Journal URL (default settings).")]
    = None,
    list_store: Annotated[str, typer.Option(help="Compliance list store URL.")]
    = "sqlite:///.crossbook/compliance.sqlite",
    margin_portfolio: Annotated[Path | None, typer.Option(
        help="Margin portfolio file (`crossbook risk` format): index prices, wallet balances, "
             "perpetuals and options; CEX balances are read from the venues.")] = None,
    max_margin_utilisation: Annotated[float | None, typer.Option(
        help="Deny an order that leaves maintenance margin / equity above this.")] = None,
    min_liquidation_buffer: Annotated[float | None, typer.Option(
        help="Deny an order that leaves the smallest breaching move below this fraction.")]
    = None,
    json_output: Json = False,
) -> None:
    """Run the engine and its API until interrupted: replay and reconcile first."""
    venues = {}
    for entry in simex:
        name, sep, venue_port = entry.partition("=")
        if not sep or not name or not venue_port.isdigit():
            fail(ExitCode.USAGE, f"--simex {entry!r}: expected NAME=PORT")
        venues[name] = int(venue_port)
    if not keys_file.exists():
        fail(ExitCode.USAGE, f"no API keys in {keys_file}: run `crossbook order new-key NAME`")
    keys = ApiKeys.load(keys_file)
    url = journal_url or load_settings().journal_url
    margin = MarginSetup(portfolio_file=margin_portfolio,
                         max_margin_utilisation=max_margin_utilisation,
                         min_liquidation_buffer=min_liquidation_buffer)
    try:
        asyncio.run(_serve(venues, port, keys, account, url, list_store, margin, json_output))
    except CrossbookError as error:
        fail(ExitCode.UNREACHABLE, str(error))
    except RiskError as error:  # the margin file, or a holding it gives no price for
        fail(ExitCode.USAGE, f"margin: {error}")


async def _serve(simex: dict[str, int], port: int, keys: ApiKeys, account: str,
                 journal_url: str, list_store: str, margin_setup: MarginSetup,
                 json_output: bool) -> None:
    from connectors.cex import CexVenue, CexVenueConfig
    from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET

    key = os.environ.get("SIMEX_API_KEY", DEFAULT_API_KEY)
    secret = os.environ.get("SIMEX_API_SECRET", DEFAULT_API_SECRET)
    venues = [CexVenue(CexVenueConfig(name, key, secret, urls=_simex_urls(venue_port)))
              for name, venue_port in simex.items()]
    journal = Journal(JournalConfig(url=journal_url))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    engine = None
    try:
        engine = build_engine(journal, venues, venues)
        for venue in venues:
            await venue.start()
        margin = await desk_margin(venues, account, margin_setup)
        use_gate(engine, risk_gate(venues, account, "api", list_store, audit=journal,
                                   margin=margin, margin_setup=margin_setup))
        resumed = await engine.start()
        server = ApiServer(engine, keys, port=port)
        await server.start()
        summary = {"url": server.url, "venues": list(simex), "resumed": resumed,
                   "journal": journal_url}
        if json_output:
            print_json(summary)
        else:
            console.print(table("crossbook engine is up (Ctrl-C stops it)", ["what", "value"],
                                [[k, str(v)] for k, v in summary.items()]))
        sys.stdout.flush()
        await stopping.wait()
        await server.stop()
    except (TimeoutError, OSError) as error:
        raise VenueUnreachable(f"a venue did not come up: {error}") from None
    finally:
        if engine is not None:
            await engine.close()
        for venue in venues:
            await venue.close()
        journal.close()


def _simex_urls(port: int) -> dict[str, Any]:
    http, ws = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    return {"public": f"{http}/api/v3", "private": f"{http}/api/v3", "v1": f"{http}/api/v1",
            "sapi": f"{http}/sapi/v1", "fapiPublic": f"{http}/fapi/v1",
            "dapiPublic": f"{http}/dapi/v1",
            "ws": {"spot": f"{ws}/ws", "margin": f"{ws}/ws",
                   "ws-api": {"spot": f"{ws}/ws-api/v3"}}}
