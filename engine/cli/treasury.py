"""`crossbook treasury status|plan`: where the collateral is, where it is needed, and the
cheapest transfers that move it there."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from connectors.errors import RetryableVenueError, VenueError
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET
from engine.cli.devnet import StateDir, devnet_at
from engine.cli.output import ExitCode, console, fail, print_json, reported_errors, table
from engine.errors import InvalidValue
from engine.treasury import PlanInfeasible, TreasuryPlan, plan_transfers
from engine.treasury.paths import plan_request, required
from engine.treasury.planner import Holding
from engine.treasury.policy import TreasuryPolicy, load_policy
from engine.treasury.state import (
    TreasuryState,
    read_chain_balances,
    read_in_flight,
    read_venue_balances,
)

app = typer.Typer(help="Treasury: collateral across chains and venues, and plans to move it.",
                  no_args_is_help=True)

PolicyFile = Annotated[Path, typer.Option("--policy", help="Treasury policy file (TOML).")]
RelayerDbs = Annotated[
    list[Path] | None,
    typer.Option("--relayer-db", help="A bridge relayer's store: its open transfers are in "
                 "flight (repeatable)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


def _policy(path: Path) -> TreasuryPolicy:
    try:
        return load_policy(path)
    except InvalidValue as error:
        fail(ExitCode.USAGE, str(error))


def _state(policy: TreasuryPolicy, state_dir: Path | None,
           relayer_dbs: list[Path] | None) -> TreasuryState:
    with reported_errors():
        manifest = devnet_at(state_dir).status()
        balances = read_chain_balances(manifest, policy)
        in_flight = read_in_flight(manifest, policy, relayer_dbs or [])
    key = os.environ.get("CROSSBOOK_CEX_API_KEY", DEFAULT_API_KEY)
    secret = os.environ.get("CROSSBOOK_CEX_API_SECRET", DEFAULT_API_SECRET)
    try:
        balances.update(asyncio.run(read_venue_balances(policy, key, secret)))
    except VenueError as error:
        code = ExitCode.UNREACHABLE if isinstance(error, RetryableVenueError) else \
            ExitCode.REFUSED
        fail(code, f"reading venue balances: {error}")
    return TreasuryState(balances, in_flight)


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
    rows = []
    for holding, balance in sorted(state.balances.items()):
        arriving = state.arriving(holding)
        need = required(policy, holding)
        rows.append({**_holding_json(holding), "balance": balance, "arriving": arriving,
                     "required": need, "shortfall": max(Decimal(0), need - balance - arriving)})
    flights = [{"transfer_id": f.transfer_id, "source_chain_id": f.source_chain_id,
                "destination": _holding_json(f.destination), "amount": f.amount,
                "status": f.status} for f in state.in_flight]
    if json_output:
        print_json({"holdings": rows, "in_flight": flights})
        return
    console.print(table("Collateral", ["location", "chain", "asset", "balance", "arriving",
                                       "required", "shortfall"], [
        [r["location"], "-" if r["chain_id"] is None else str(r["chain_id"]), r["asset"],
         r["balance"], r["arriving"], r["required"], r["shortfall"]] for r in rows
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
        result = plan_transfers(plan_request(policy, state))
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
