"""`crossbook algo twap|vwap|iceberg|sniper|status|pause|resume`: parent orders worked by an
execution algorithm in the running engine (`crossbook order serve`)."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Annotated, Any

import typer

from engine.cli.order import Json, Url, request
from engine.cli.output import ExitCode, console, fail, print_json, table
from engine.model import Side

app = typer.Typer(help="Run execution algorithms (TWAP, VWAP, Iceberg, Sniper) in the engine.",
                  no_args_is_help=True)

Symbol = Annotated[str, typer.Option(help="BASE/QUOTE.")]
SideOpt = Annotated[Side, typer.Option(help="buy or sell.")]
Qty = Annotated[str, typer.Option(help="Total quantity in base, a decimal.")]
Limit = Annotated[str | None, typer.Option(help="Price cap (buy: at most; sell: at least).")]
ParentId = Annotated[str | None, typer.Option(help="Parent id (default: a new one).")]
Wait = Annotated[bool, typer.Option("--wait", help="Follow progress until the parent ends.")]
_COLUMNS = ["parent", "algo", "state", "side", "qty", "filled", "in doubt", "avg price",
            "children", "fills by venue"]


def _seconds_ns(text: str, field: str) -> int:
    """'90', '90s', '5m', '1h' -> nanoseconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        value = Decimal(number)
    except ArithmeticError:
        fail(ExitCode.USAGE, f"--{field} {text!r}: expected seconds, or a number with s/m/h")
    if value <= 0:
        fail(ExitCode.USAGE, f"--{field} must be positive")
    return int(value * units[unit] * 10**9)


def _row(p: dict[str, Any]) -> list[Any]:
    venues = ", ".join(f"{v} {q}" for v, q in sorted(p.get("fills_by_venue", {}).items()))
    return [p["parent_id"], p["algo"], p["state"], p["side"], Decimal(p["qty"]),
            Decimal(p["filled"]), Decimal(p["in_doubt"]), p["avg_price"] or "-", p["children"],
            venues or "-"]


def _show(progress: dict[str, Any], json_output: bool) -> None:
    if json_output:
        print_json({"parent": progress})
    else:
        console.print(table("Parent order", _COLUMNS, [_row(progress)]))


def _start(name: str, params: dict[str, Any], parent_id: str | None, wait: bool,
           url: str | None, json_output: bool) -> None:
    parent = parent_id or f"{name}-{uuid.uuid4().hex[:16]}"
    body = {"parent_id": parent, "params": {k: v for k, v in params.items() if v is not None}}
    progress = request("POST", f"/v1/algos/{name}", body, url)
    # "pending": still preparing (a VWAP measuring venue volume): its start may be refused
    while progress["state"] == "pending" or (
            wait and progress["state"] in ("running", "paused")):
        if wait and not json_output and progress["state"] != "pending":
            console.print(f"{progress['state']}: filled {progress['filled']} of "
                          f"{progress['qty']} ({progress['children']} children)")
        time.sleep(1.0 if progress["state"] != "pending" else 0.2)
        progress = request("GET", f"/v1/algos/{parent}", url=url)
    _show(progress, json_output)
    if progress.get("reason"):
        fail(ExitCode.REFUSED, f"{progress['parent_id']} was not worked: {progress['reason']}")


def _common(symbol: str, side: Side, qty: str, limit: str | None) -> dict[str, Any]:
    return {"symbol": symbol, "side": side.value, "qty": qty, "limit_price": limit}


@app.command()
def twap(symbol: Symbol, side: SideOpt, qty: Qty,
         duration: Annotated[str, typer.Option(help="e.g. 300s, 5m, 1h.")],
         slices: Annotated[int, typer.Option(help="Number of slices.")],
         randomize: Annotated[float, typer.Option(
             help="Move each slice by up to this share of an interval (0-0.9).")] = 0.0,
         seed: Annotated[int, typer.Option(help="Seed of the timing randomisation.")] = 0,
         limit: Limit = None, parent_id: ParentId = None, wait: Wait = False, url: Url = None,
         json_output: Json = False) -> None:
    """Time-weighted: n slices over the duration, late slices caught up."""
    _start("twap", {**_common(symbol, side, qty, limit),
                    "duration_ns": _seconds_ns(duration, "duration"), "slices": slices,
                    "randomize": str(randomize), "seed": seed}, parent_id, wait, url, json_output)


@app.command()
def vwap(symbol: Symbol, side: SideOpt, qty: Qty,
         duration: Annotated[str, typer.Option(help="e.g. 300s, 5m, 1h.")],
         profile: Annotated[str | None, typer.Option(
             help="Comma-separated weights, one per bucket.")] = None,
         volumes: Annotated[str | None, typer.Option(
             help="Comma-separated recent volumes per bucket (estimates the profile).")] = None,
         profile_from_venues: Annotated[bool, typer.Option(
             "--profile-from-venues",
             help="Measure the profile: volume traded on the symbol's venues over the "
                  "last --lookback, in --buckets buckets.")] = False,
         buckets: Annotated[int | None, typer.Option(
             help="With --profile-from-venues: number of buckets (slices).")] = None,
         lookback: Annotated[str | None, typer.Option(
             help="With --profile-from-venues: window measured, e.g. 1h "
                  "(default: --duration).")] = None,
         volume_venues: Annotated[str | None, typer.Option(
             help="With --profile-from-venues: comma-separated venues to measure "
                  "(default: every venue of the symbol that reports trades).")] = None,
         limit: Limit = None, parent_id: ParentId = None, wait: Wait = False, url: Url = None,
         json_output: Json = False) -> None:
    """Volume-weighted: one slice per bucket of the profile (given, or measured on the
    venues)."""
    def weights(text: str | None) -> list[str] | None:
        return None if text is None else [part.strip() for part in text.split(",")]

    given = sum(x is not None for x in (profile, volumes)) + int(profile_from_venues)
    if given != 1:
        fail(ExitCode.USAGE, "give exactly one of --profile, --volumes, --profile-from-venues")
    from_venues = None
    if profile_from_venues:
        if buckets is None or buckets < 1:
            fail(ExitCode.USAGE, "--profile-from-venues needs --buckets (at least 1)")
        from_venues = {"buckets": buckets,
                       "lookback_ns": None if lookback is None else _seconds_ns(lookback,
                                                                                "lookback"),
                       "venues": weights(volume_venues) or []}
    elif buckets is not None or lookback is not None or volume_venues is not None:
        fail(ExitCode.USAGE, "--buckets, --lookback and --volume-venues go with "
                             "--profile-from-venues")
    _start("vwap", {**_common(symbol, side, qty, limit),
                    "duration_ns": _seconds_ns(duration, "duration"),
                    "profile": weights(profile), "volumes": weights(volumes),
                    "from_venues": from_venues},
           parent_id, wait, url, json_output)


@app.command()
def iceberg(symbol: Symbol, side: SideOpt, qty: Qty,
            display: Annotated[str, typer.Option(help="Quantity shown at a time.")],
            limit: Limit = None,
            venue: Annotated[str | None, typer.Option(
                help="Venue to rest on (with --limit; default: the router's choice).")] = None,
            parent_id: ParentId = None, wait: Wait = False, url: Url = None,
            json_output: Json = False) -> None:
    """Show only a display quantity; refresh when it fills."""
    _start("iceberg", {**_common(symbol, side, qty, limit), "display_qty": display,
                       "venue": venue}, parent_id, wait, url, json_output)


@app.command()
def sniper(symbol: Symbol, side: SideOpt, qty: Qty,
           limit: Annotated[str, typer.Option(help="All-in price to wait for.")],
           poll: Annotated[str, typer.Option(help="How often to look, e.g. 0.5s.")] = "0.5s",
           expire: Annotated[str | None, typer.Option(help="Give up after, e.g. 10m.")] = None,
           parent_id: ParentId = None, wait: Wait = False, url: Url = None,
           json_output: Json = False) -> None:
    """Wait, unseen, for the all-in price across venues; then take what is there."""
    _start("sniper", {**_common(symbol, side, qty, limit), "poll_ns": _seconds_ns(poll, "poll"),
                      "expire_ns": None if expire is None else _seconds_ns(expire, "expire")},
           parent_id, wait, url, json_output)


@app.command()
def status(parent_id: str, url: Url = None, json_output: Json = False) -> None:
    """A parent's progress."""
    _show(request("GET", f"/v1/algos/{parent_id}", url=url), json_output)


@app.command()
def pause(parent_id: str, url: Url = None, json_output: Json = False) -> None:
    """Stop releasing children until resumed."""
    _show(request("POST", f"/v1/algos/{parent_id}/pause", url=url), json_output)


@app.command()
def resume(parent_id: str, url: Url = None, json_output: Json = False) -> None:
    """Release children again (catching up on the schedule)."""
    _show(request("POST", f"/v1/algos/{parent_id}/resume", url=url), json_output)
