"""`crossbook screen sync|ADDRESS...`: load sanctions lists, screen addresses against them.

`crossbook screen sync --file PATH` loads an OFAC `sdn.xml` or `SDN.CSV` (detected from the
content) or a plain list of addresses into the compliance store as a new list version.
`crossbook screen ADDRESS... [--json]` screens each address and prints its `address`,
`decision` (allow, review, deny), `reasons` and the `list_version` used; each decision is
appended to the journal as an audit record. `--list-version N` answers against an older version
(what a decision made then saw). `crossbook screen versions` lists the stored versions. Exit
status 1 when any address is denied (review exits 0: it is not a refusal yet), 2 for a
malformed address, list file or unknown list version.

The store is `--store`, else `CROSSBOOK_COMPLIANCE_URL`, else `.crossbook/compliance.sqlite`.
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from chain.devnet import connect
from engine.cli.output import ExitCode, console, fail, print_json, table
from engine.config import load_settings
from engine.errors import JournalError
from engine.journal import Journal, JournalConfig
from risk.compliance import (
    DEFAULT_STORE_URL,
    AddressRole,
    Decision,
    ListEffect,
    ListFormat,
    ListStore,
    OracleSource,
    Screener,
    ScreeningRequest,
    ScreeningSource,
    parse_list_file,
)
from risk.compliance.errors import (
    ComplianceError,
    InvalidAddress,
    ListFormatError,
    UnknownListVersion,
)

STORE_ENV = "CROSSBOOK_COMPLIANCE_URL"


class _ScreenGroup(TyperGroup):
    """`crossbook screen ADDRESS...` means `crossbook screen check ADDRESS...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_ScreenGroup, no_args_is_help=True,
                  help="Screen addresses against sanctions and deny lists; load list files.")

Store = Annotated[str | None, typer.Option(
    "--store", help=f"Compliance store URL (default: ${STORE_ENV} or {DEFAULT_STORE_URL}).")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]


def _store(url: str | None) -> ListStore:
    # `compliance_url` in crossbook.toml once Settings declares it; the variable until then.
    configured = getattr(load_settings(), "compliance_url", None)
    try:
        return ListStore(url or os.environ.get(STORE_ENV) or configured or DEFAULT_STORE_URL)
    except ComplianceError as error:
        fail(ExitCode.UNREACHABLE, str(error))


@app.command()
def sync(
    file: Annotated[Path, typer.Option("--file", help="sdn.xml, SDN.CSV or a plain list.")],
    list_name: Annotated[str | None, typer.Option(
        "--list", help="List name (default: ofac-sdn for OFAC files, local-deny otherwise).")]
    = None,
    effect: Annotated[ListEffect | None, typer.Option(
        help="What being listed means (default: sanctions for OFAC files, deny otherwise).")]
    = None,
    published: Annotated[str | None, typer.Option(
        help="Publication date YYYY-MM-DD (default: the XML's Publish_Date, else the "
             "file's date; SDN.CSV carries none).")] = None,
    store: Store = None,
    json_output: Json = False,
) -> None:
    """Load a list file as a new version (an unchanged file adds no version)."""
    try:
        when = date.fromisoformat(published) if published else None
    except ValueError:
        fail(ExitCode.USAGE, f"--published: {published!r} is not a date (rule: YYYY-MM-DD)")
    try:
        parsed = parse_list_file(file, when)
    except ListFormatError as error:
        fail(ExitCode.USAGE, str(error))
    official = parsed.format is not ListFormat.PLAIN
    name = list_name or ("ofac-sdn" if official else "local-deny")
    meaning = effect or (ListEffect.SANCTIONS if official else ListEffect.DENY)
    listed = _store(store).load(name, meaning, parsed, source=str(file))
    document = listed.to_dict()
    if json_output:
        print_json(document)
        return
    console.print(table("List loaded", list(document), [list(document.values())]))


def _journal(url: str | None) -> Journal:
    try:
        return Journal(JournalConfig(url=url or load_settings().journal_url))
    except JournalError as error:
        fail(ExitCode.UNREACHABLE, str(error))


@app.command()
def check(
    addresses: Annotated[list[str], typer.Argument(help="Addresses to screen.")],
    venue: Annotated[str, typer.Option(help="Venue the screening is for (outage policy).")]
    = "cli",
    rpc: Annotated[str | None, typer.Option(help="Also ask the on-chain oracle on this RPC.")]
    = None,
    oracle: Annotated[str | None, typer.Option(help="SanctionsOracle address (with --rpc).")]
    = None,
    journal: Annotated[str | None, typer.Option(help="Journal URL for the audit record.")]
    = None,
    no_audit: Annotated[bool, typer.Option("--no-audit", help="Do not journal the decision.")]
    = False,
    list_version: Annotated[int | None, typer.Option(
        help="Screen against the lists as of this version (lists only, not journaled).")]
    = None,
    store: Store = None,
    json_output: Json = False,
) -> None:
    """Screen addresses: decision, reasons and the list version used (exit 1 if any denied)."""
    if (rpc is None) != (oracle is None):
        fail(ExitCode.USAGE, "give --rpc and --oracle together, or neither")
    sources: list[ScreeningSource] = []
    if rpc is not None and oracle is not None:
        try:
            sources.append(OracleSource(connect(rpc), oracle))
        except ValueError as error:
            fail(ExitCode.USAGE, f"--oracle: {error}")
    audit = None if no_audit or list_version is not None else _journal(journal)
    screener = Screener(_store(store), sources, audit=audit)
    try:
        request = ScreeningRequest.of(f"cli-{time.time_ns()}", venue,
                                      [(a, AddressRole.SUBJECT) for a in addresses])
        decision = (screener.screen(request) if list_version is None
                    else screener.screen_at(request, list_version))
    except (InvalidAddress, UnknownListVersion) as error:
        fail(ExitCode.USAGE, str(error))
    results = [_result(v.to_dict(), decision.list_version) for v in decision.verdicts]
    if json_output:
        print_json({"decision": decision.decision.value, "list_version": decision.list_version,
                    "results": results})
    else:
        console.print(table(f"Screening (list version {decision.list_version})",
                            ["address", "decision", "risk", "reasons", "list version"],
                            [[r["address"], r["decision"], r["risk_score"],
                              "; ".join(f"{x['code']}: {x['text']}" for x in r["reasons"])
                              or "-", r["list_version"]] for r in results]))
    if decision.decision is Decision.DENY:
        raise typer.Exit(int(ExitCode.REFUSED))


def _result(verdict: dict[str, Any], list_version: int) -> dict[str, Any]:
    return {"address": verdict["address"], "decision": verdict["decision"],
            "reasons": verdict["reasons"], "risk_score": verdict["risk_score"],
            "list_version": list_version}


@app.command()
def versions(
    list_name: Annotated[str | None, typer.Option("--list", help="Only this list.")] = None,
    store: Store = None,
    json_output: Json = False,
) -> None:
    """List every stored list version with its publication date, oldest first."""
    stored = [v.to_dict() for v in _store(store).versions(list_name)]
    if json_output:
        print_json({"versions": stored})
        return
    columns = ["version", "list_name", "effect", "format", "published", "entry_count", "source"]
    console.print(table("List versions", columns, [[v[c] for c in columns] for v in stored]))
