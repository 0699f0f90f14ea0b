"""`crossbook treasury status|plan|rebalance`: where the collateral is, where margin needs it,
the cheapest transfers that move it there, and their execution (journaled, resumable)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from chain.devnet import chain_manifests, connect
from chain.signers import KeystoreError
from connectors.errors import RetryableVenueError, VenueError
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET
from engine.cli.devnet import StateDir, devnet_at
from engine.cli.output import ExitCode, console, fail, print_json, reported_errors, table
from engine.errors import InvalidValue
from engine.treasury import PlanInfeasible, TreasuryPlan, plan_transfers
from engine.treasury.alerts import raise_alert
from engine.treasury.collateral import (
    CollateralNeed,
    collateral_needs,
    margin_requirements_usd,
    plan_request_with_needs,
    required_with_needs,
)
from engine.treasury.journal import TransferJournal, TransferRecord, TransferState
from engine.treasury.planner import Holding
from engine.treasury.policy import TreasuryPolicy, load_policy
from engine.treasury.rails import close_rails, venue_rail_paths, venue_rails
from engine.treasury.rebalance import (
    CRASH_POINTS,
    ArrivalTimeout,
    TransferExecutor,
    VenueRail,
)
from engine.treasury.runner import build_desk, execute_plan, recover
from engine.treasury.state import (
    TreasuryState,
    read_chain_balances,
    read_in_flight,
    read_venue_balances,
)
from risk.compliance import OracleSource, Screener

app = typer.Typer(help="Treasury: collateral across chains and venues, and plans to move it.",
                  no_args_is_help=True)

PolicyFile = Annotated[Path, typer.Option("--policy", help="Treasury policy file (TOML).")]
RelayerDbs = Annotated[
    list[Path] | None,
    typer.Option("--relayer-db", help="A bridge relayer's store: its open transfers are in "
                 "flight (repeatable)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
JournalPath = Annotated[Path | None, typer.Option(
    "--journal", help="The treasury transfer journal (SQLite; default: treasury.sqlite in "
    "the devnet state directory).")]
ComplianceUrl = Annotated[str | None, typer.Option(
    "--compliance-url", help="The compliance list store (default: as `crossbook screen`).")]


def _policy(path: Path) -> TreasuryPolicy:
    try:
        return load_policy(path)
    except InvalidValue as error:
        fail(ExitCode.USAGE, str(error))


def _state(policy: TreasuryPolicy, state_dir: Path | None,
           relayer_dbs: list[Path] | None) -> TreasuryState:
    return asyncio.run(_state_async(policy, state_dir, relayer_dbs))


def _api_credentials() -> tuple[str, str]:
    return (os.environ.get("CROSSBOOK_CEX_API_KEY", DEFAULT_API_KEY),
            os.environ.get("CROSSBOOK_CEX_API_SECRET", DEFAULT_API_SECRET))


async def _state_async(policy: TreasuryPolicy, state_dir: Path | None,
                       relayer_dbs: list[Path] | None) -> TreasuryState:
    with reported_errors():
        manifest = devnet_at(state_dir).status()
        balances = read_chain_balances(manifest, policy)
        in_flight = read_in_flight(manifest, policy, relayer_dbs or [])
    key, secret = _api_credentials()
    try:
        balances.update(await read_venue_balances(policy, key, secret))
    except VenueError as error:
        code = ExitCode.UNREACHABLE if isinstance(error, RetryableVenueError) else \
            ExitCode.REFUSED
        fail(code, f"reading venue balances: {error}")
    return TreasuryState(balances, in_flight)


def _needs(policy: TreasuryPolicy, state: TreasuryState) -> list[CollateralNeed]:
    try:
        return collateral_needs(policy, state, margin_requirements_usd(policy))
    except InvalidValue as error:
        fail(ExitCode.USAGE, str(error))


def need_json(need: CollateralNeed) -> dict[str, Any]:
    """A venue's collateral need as the JSON contract of `treasury status --json`."""
    return {"venue": need.venue, "asset": need.asset, "requirement": need.requirement,
            "need": need.need, "held": need.held, "shortfall": need.shortfall,
            "alert_level": need.alert_level, "alerting": need.alerting,
            "ratio": None if need.ratio is None else need.ratio.quantize(Decimal("0.0001"))}


def _holding_json(holding: Holding) -> dict[str, Any]:
    return {"location": holding.location, "chain_id": holding.chain_id, "asset": holding.asset}


def _chain(holding: Holding) -> str:
    return "-" if holding.chain_id is None else str(holding.chain_id)


@app.command()
def status(policy_file: PolicyFile, state_dir: StateDir = None,
           relayer_db: RelayerDbs = None, json_output: Json = False) -> None:
    """Show every holding's balance, what is arriving, what it must hold and any shortfall."""
    policy = _policy(policy_file)
    state = _state(policy, state_dir, relayer_db)
    needs = _needs(policy, state)
    rows = []
    for holding, balance in sorted(state.balances.items()):
        arriving = state.arriving(holding)
        need = required_with_needs(policy, holding, needs)
        rows.append({**_holding_json(holding), "balance": balance, "arriving": arriving,
                     "required": need, "shortfall": max(Decimal(0), need - balance - arriving)})
    flights = [{"transfer_id": f.transfer_id, "source_chain_id": f.source_chain_id,
                "destination": _holding_json(f.destination), "amount": f.amount,
                "status": f.status} for f in state.in_flight]
    if json_output:
        print_json({"holdings": rows, "in_flight": flights,
                    "collateral": [need_json(n) for n in needs]})
        return
    console.print(table("Collateral", ["location", "chain", "asset", "balance", "arriving",
                                       "required", "shortfall"], [
        [r["location"], "-" if r["chain_id"] is None else str(r["chain_id"]), r["asset"],
         r["balance"], r["arriving"], r["required"], r["shortfall"]] for r in rows
    ]))
    if needs:
        console.print(table("Margin collateral", ["venue", "asset", "requirement", "need",
                                                  "held", "held/req", "alert below", ""], [
            [n.venue, n.asset, n.requirement, n.need, n.held,
             "-" if n.ratio is None else f"{n.ratio:.2f}", n.alert_level,
             "ALERT" if n.alerting else ""] for n in needs
        ]))
    if flights:
        console.print(table("In flight", ["transfer", "from chain", "to", "amount", "status"], [
            [f.transfer_id[:18], str(f.source_chain_id), str(f.destination), f.amount,
             f.status] for f in state.in_flight
        ]))


def plan_json(plan: TreasuryPlan) -> dict[str, Any]:
    """The plan as the JSON contract of `crossbook treasury plan --json`."""
    return {
        "cost": plan.cost,
        "expected_completion_s": plan.expected_completion_s,
        "transfers": [{
            "path": t.path.name, "kind": t.path.kind.value, "asset": t.path.source.asset,
            "source": _holding_json(t.path.source),
            "destination": _holding_json(t.path.destination),
            "amount": t.amount, "received": t.received, "cost": t.cost,
            "expected_arrival_s": t.expected_arrival_s,
        } for t in plan.transfers],
        "final_balances": [{**_holding_json(h), "balance": b}
                           for h, b in sorted(plan.final_balances.items())],
    }


@app.command()
def plan(policy_file: PolicyFile, state_dir: StateDir = None,
         relayer_db: RelayerDbs = None, json_output: Json = False) -> None:
    """Plan the cheapest transfers that bring every holding to its target plus buffer."""
    policy = _policy(policy_file)
    state = _state(policy, state_dir, relayer_db)
    try:
        result = plan_transfers(plan_request_with_needs(policy, state, _needs(policy, state)))
    except PlanInfeasible as error:
        fail(ExitCode.REFUSED, str(error))
    if json_output:
        print_json(plan_json(result))
        return
    if not result.transfers:
        console.print("every holding is at or above its target: nothing to move")
        return
    console.print(table("Planned transfers", ["kind", "from", "to", "amount", "received",
                                              "cost", "arrives (s)"], [
        [t.path.kind.value, str(t.path.source), str(t.path.destination), t.amount,
         t.received, t.cost.quantize(Decimal("0.01")), t.expected_arrival_s]
        for t in result.transfers
    ]))
    console.print(f"total cost {result.cost.quantize(Decimal('0.01'))}, complete after "
                  f"{result.expected_completion_s} s")


def record_json(record: TransferRecord) -> dict[str, Any]:
    """A journaled transfer as the JSON contract of `treasury rebalance --json`."""
    facts = record.facts
    return {
        "transfer_id": record.transfer_id, "kind": record.kind.value, "asset": record.asset,
        "source": _holding_json(record.source),
        "destination": _holding_json(record.destination), "amount": record.amount,
        "received": record.received, "state": record.state.value,
        "depends_on": list(record.depends_on), "tx_hash": facts.get("tx_hash"),
        "bridge_transfer_id": facts.get("bridge_transfer", {}).get("transfer_id"),
        "withdrawal_id": facts.get("withdrawal_id"), "safe_nonce": facts.get(
            "safe_tx", {}).get("nonce"), "reasons": facts.get("reasons", []),
        "recovered": bool(facts.get("recovered", False)),
    }


def _screener(manifest: dict[str, Any], url: str | None) -> Screener:
    from engine.cli.screen import _store

    return Screener(_store(url), [OracleSource(connect(c["rpc_url"]), c["sanctions_oracle"])
                                  for c in chain_manifests(manifest) if c.get("sanctions_oracle")])


def _print_transfers(title: str, records: list[TransferRecord]) -> None:
    console.print(table(title, ["transfer", "kind", "from", "to", "amount", "state",
                                "tx / id"], [
        [r.transfer_id, r.kind.value, str(r.source), str(r.destination), r.amount,
         r.state.value, (r.facts.get("tx_hash") or r.facts.get("withdrawal_id") or "-")]
        for r in records
    ]))


def _alerts(journal: TransferJournal, needs: list[CollateralNeed]) -> list[dict[str, Any]]:
    alerts = []
    for need in needs:
        if need.alerting:
            record = raise_alert(journal, need)
            alerts.append({"seq": record.seq, **need_json(need)})
    return alerts


@dataclass
class _Rebalance:
    recovered: list[TransferRecord]
    needs: list[CollateralNeed]
    alerts: list[dict[str, Any]]
    plan: TreasuryPlan
    transfers: list[TransferRecord]
    open: list[TransferRecord]
    executed: bool


def _auto(policy: TreasuryPolicy, venue_name: str) -> bool:
    venue = policy.venue(venue_name)
    return bool(venue and venue.collateral and venue.collateral.auto_top_up)


@dataclass(frozen=True)
class _Options:
    policy: TreasuryPolicy
    state_dir: Path | None
    relayer_dbs: list[Path] | None
    journal: Path | None
    compliance_url: str | None
    execute: bool
    crash_at: str | None
    top_up: bool = False  # plan only for venues under their alert level


def _may_execute(options: _Options) -> bool:
    if options.top_up:
        return any(v.collateral and v.collateral.auto_top_up for v in options.policy.venues)
    return options.execute


async def _rebalance(options: _Options) -> _Rebalance:
    """Everything `rebalance` does, in one event loop (the venues' clients live in it)."""
    policy = options.policy
    with reported_errors():
        devnet = devnet_at(options.state_dir)
        manifest = devnet.status()
    rails: dict[str, VenueRail] = {}
    try:
        with TransferJournal(options.journal or devnet.state_dir / "treasury.sqlite") as store:
            executor = None
            recovered: list[TransferRecord] = []
            if _may_execute(options):
                key, secret = _api_credentials()
                rails, deposit_addresses = await venue_rails(policy, chain_manifests(manifest),
                                                             key, secret)
                try:
                    desk = build_desk(manifest, policy, _screener(manifest,
                                                                  options.compliance_url),
                                      rails, deposit_addresses, options.crash_at)
                except (InvalidValue, KeystoreError) as error:
                    fail(ExitCode.USAGE, str(error))
                executor = TransferExecutor(desk, store)
                recovered = await _resumable(recover(executor, _timeout(policy), _poll(policy)))
            state = await _state_async(policy, options.state_dir, options.relayer_dbs)
            needs = _needs(policy, state)
            alerts = _alerts(store, needs)
            planned = [n for n in needs if n.alerting] if options.top_up else needs
            try:
                rail_paths = await venue_rail_paths(policy, manifest, rails,
                                                    set(state.balances))
                plan = plan_transfers(plan_request_with_needs(policy, state, planned, rail_paths))
            except PlanInfeasible as error:
                fail(ExitCode.REFUSED, str(error))
            if options.top_up and not all(_auto(policy, n.venue) for n in planned):
                executor = None  # a venue under its alert level asks for a proposal only
            transfers: list[TransferRecord] = []
            if executor is not None and plan.transfers:
                transfers = await _resumable(execute_plan(executor, plan, _timeout(policy),
                                                          _poll(policy)))
            return _Rebalance(recovered, needs, alerts, plan, transfers, store.open_transfers(),
                              executor is not None)
    finally:
        await close_rails(rails)


@app.command()
def rebalance(
    policy_file: PolicyFile, state_dir: StateDir = None, relayer_db: RelayerDbs = None,
    journal: JournalPath = None, compliance_url: ComplianceUrl = None,
    execute: Annotated[bool, typer.Option(
        "--execute", help="Sign and send the transfers (default: only show the plan).")] = False,
    json_output: Json = False,
    crash_at: Annotated[str | None, typer.Option(
        "--crash-at", hidden=True, help="Test fault injection: SIGKILL at this point.")] = None,
) -> None:
    """Finish transfers left open, plan the cheapest transfers to every need, and (with
    --execute) journal and execute them in dependency order, each destination screened."""
    policy = _policy(policy_file)
    if crash_at is not None and crash_at not in CRASH_POINTS:
        fail(ExitCode.USAGE, f"--crash-at must be one of {', '.join(CRASH_POINTS)}")
    _report(asyncio.run(_rebalance(_Options(policy, state_dir, relayer_db, journal,
                                            compliance_url, execute, crash_at))), json_output)


@app.command()
def topup(
    policy_file: PolicyFile, state_dir: StateDir = None, relayer_db: RelayerDbs = None,
    journal: JournalPath = None, compliance_url: ComplianceUrl = None, json_output: Json = False,
) -> None:
    """Alert on every venue under its margin alert level and plan its top-up to its need:
    executed when the policy enables `auto_top_up` for each such venue, else proposed."""
    policy = _policy(policy_file)
    _report(asyncio.run(_rebalance(_Options(policy, state_dir, relayer_db, journal,
                                            compliance_url, False, None, top_up=True))),
            json_output)


def _report(run: _Rebalance, json_output: bool) -> None:
    execute = run.executed
    if json_output:
        print_json({"executed": execute, "recovered": [record_json(r) for r in run.recovered],
                    "plan": plan_json(run.plan),
                    "transfers": [record_json(r) for r in run.transfers],
                    "open": [record_json(r) for r in run.open], "alerts": run.alerts,
                    "collateral": [need_json(n) for n in run.needs]})
    else:
        _print_rebalance(run, execute)
    refused = [r for r in run.transfers if r.state is not TransferState.ARRIVED]
    if refused:
        fail(ExitCode.REFUSED, "; ".join(f"{r.transfer_id} {r.state.value}: {_why(r)}"
                                         for r in refused))


def _print_rebalance(run: _Rebalance, execute: bool) -> None:
    for alert in run.alerts:
        console.print(f"[bold red]ALERT[/] {alert['venue']} holds {alert['held']} "
                      f"{alert['asset']}, under {alert['alert_level']} (requirement "
                      f"{alert['requirement']}); top-up to {alert['need']}")
    if run.recovered:
        _print_transfers("Finished from an earlier run", run.recovered)
    if not run.plan.transfers:
        console.print("every holding is at or above its need: nothing to move")
    elif run.transfers:
        _print_transfers("Executed transfers", run.transfers)
    else:
        console.print(table("Proposed transfers (run with --execute to send)",
                            ["kind", "from", "to", "amount", "cost", "arrives (s)"], [
            [t.path.kind.value, str(t.path.source), str(t.path.destination), t.amount,
             t.cost.quantize(Decimal("0.01")), t.expected_arrival_s]
            for t in run.plan.transfers]))
        console.print(f"total cost {run.plan.cost.quantize(Decimal('0.01'))}")
    if run.open and not execute:
        _print_transfers("Open from an earlier run (resumed by --execute)", run.open)


def _why(record: TransferRecord) -> str:
    reasons: list[str] = record.facts.get("reasons", [])
    return "; ".join(reasons) or str(record.facts.get("detail", ""))


def _timeout(policy: TreasuryPolicy) -> float:
    return policy.execution.arrival_timeout_s if policy.execution else 600.0


def _poll(policy: TreasuryPolicy) -> float:
    return float(policy.execution.poll_s) if policy.execution else 0.5


async def _resumable(coroutine: Coroutine[Any, Any, list[TransferRecord]]
                     ) -> list[TransferRecord]:
    try:
        return await coroutine
    except ArrivalTimeout as error:
        fail(ExitCode.UNREACHABLE, str(error))
