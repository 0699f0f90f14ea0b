"""A rebalance from start to end: finish what an earlier run left open, then plan, journal the
plan's transfers write-ahead and execute them in dependency order.

`recover` comes first, always: every non-terminal transfer in the journal is reconciled with its
source of truth and run to a terminal state before anything new is planned, so a restart after a
crash never plans (and sends) again what is already on its way. `journal_plan` turns a plan into
intents, each naming the transfers into its source holding as the ones it waits for.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3

from chain.bridge import LockMintBridge
from chain.bridge.deploy import bridge_abis
from chain.devnet import chain_manifests
from chain.signers import GuardPolicy, GuardRules, LocalKeySigner, SigningPolicy
from chain.signers.base import SigningRefused, SigningRequest
from chain.wallet import selector
from engine.errors import InvalidValue
from engine.treasury.journal import TransferJournal, TransferRecord
from engine.treasury.planner import TreasuryPlan
from engine.treasury.policy import TreasuryPolicy
from engine.treasury.rebalance import (
    TransferExecutor,
    TreasuryDesk,
    VenueRail,
    run_transfers,
)
from engine.treasury.state import asset_tokens
from risk.compliance import Screener

_LOCK = "lock(address,uint256,uint256,address)"
_BURN = "burn(address,uint256,address)"
_APPROVE = "approve(address,uint256)"
_TRANSFER = "transfer(address,uint256)"


@dataclass(frozen=True)
class RebalanceResult:
    """What a rebalance did: transfers finished from earlier runs, the plan, this run's."""

    recovered: tuple[TransferRecord, ...]
    plan: TreasuryPlan | None
    transfers: tuple[TransferRecord, ...]


def journal_plan(journal: TransferJournal, plan: TreasuryPlan,
                 rebalance_id: str) -> list[TransferRecord]:
    """Journal the plan's transfers as intents, in dependency order (a transfer out of a holding
    after every transfer into it), all in one transaction."""
    remaining = list(plan.transfers)
    ordered = []
    while remaining:
        ready = [t for t in remaining if t.path.source not in
                 {u.path.destination for u in remaining if u is not t}] or remaining[:1]
        ordered.extend(ready)
        remaining = [t for t in remaining if t not in ready]
    ids = {id(t): f"{rebalance_id}-{step}" for step, t in enumerate(ordered, start=1)}
    records = [
        TransferRecord(
            transfer_id=ids[id(t)], rebalance_id=rebalance_id, step=step, kind=t.path.kind,
            source=t.path.source, destination=t.path.destination, amount=t.amount,
            received=t.received,
            depends_on=tuple(ids[id(u)] for u in ordered if u.path.destination == t.path.source),
            facts={"path": t.path.name, "cost": str(t.cost),
                   "expected_arrival_s": t.expected_arrival_s})
        for step, t in enumerate(ordered, start=1)
    ]
    journal.record_intents(records)
    return records


async def recover(executor: TransferExecutor, timeout_s: float,
                  poll_s: float) -> list[TransferRecord]:
    """Reconcile and finish every transfer an earlier run left open."""
    open_transfers = executor.journal.open_transfers()
    for record in open_transfers:
        await executor.reconcile(record)
    return await run_transfers(executor, [r.transfer_id for r in open_transfers],
                               timeout_s, poll_s)


async def execute_plan(executor: TransferExecutor, plan: TreasuryPlan, timeout_s: float,
                       poll_s: float, rebalance_id: str | None = None) -> list[TransferRecord]:
    """Journal the plan's intents, then run them to terminal states."""
    rebalance_id = rebalance_id or f"rb-{time.time_ns()}"
    records = journal_plan(executor.journal, plan, rebalance_id)
    executor.desk.crash("intent")
    return await run_transfers(executor, [r.transfer_id for r in records], timeout_s, poll_s)


class _PerChain:
    """A signing policy choosing the guard rules of the chain a request is for; an unknown
    chain refuses (fail closed)."""

    def __init__(self, policies: Mapping[int, GuardPolicy]) -> None:
        self.policies = dict(policies)

    def review(self, signer: str, request: SigningRequest) -> None:
        chain_id = request.context.get("chain_id")
        policy = self.policies.get(chain_id) if isinstance(chain_id, int) else None
        if policy is None:
            raise SigningRefused(signer, "chain_allowed", f"no treasury rules for chain "
                                 f"{chain_id}")
        policy.review(signer, request)


def signer_policy(manifest: dict[str, Any], policy: TreasuryPolicy,
                  deposit_addresses: Sequence[str]) -> SigningPolicy:
    """The treasury signer policy, per chain: only the bridge's lock and burn, approvals to the
    locker, token transfers to the venues' deposit addresses, within the policy's caps."""
    abis = bridge_abis()
    bridge_abi = [*abis["BridgeLocker"], *abis["BridgeMinter"]]
    policies = {}
    for chain in chain_manifests(manifest):
        chain_id = chain["chain_id"]
        bridge = chain["bridge"]
        calls: dict[str, list[str]] = {bridge["locker"]: [_hex(_LOCK)],
                                       bridge["minter"]: [_hex(_BURN)]}
        caps: dict[str, int] = {}
        for asset, spec in policy.assets.items():
            cap = (policy.execution.caps.get(asset) if policy.execution else None)
            for token in asset_tokens(chain, asset):
                calls[token] = [_hex(_APPROVE), _hex(_TRANSFER)]
                if cap is not None:
                    caps[token] = int(cap.scaleb(spec.decimals))
        safes = [w.address_on(chain_id) for w in policy.wallets
                 if w.safe and w.lives_on(chain_id)]
        policies[chain_id] = GuardPolicy(GuardRules(
            allowed_calls=calls, spenders=[bridge["locker"]], recipients=deposit_addresses,
            token_caps=caps, multisend=chain["safe"]["multi_send_call_only"], safes=safes,
            chain_ids=[chain_id], abis=bridge_abi))
    return _PerChain(policies)


def _hex(signature: str) -> str:
    return "0x" + selector(signature).hex()


def build_desk(manifest: dict[str, Any], policy: TreasuryPolicy, screener: Screener,
               rails: Mapping[str, VenueRail], deposit_addresses: Sequence[str],
               crash_at: str | None = None) -> TreasuryDesk:
    """The desk `treasury rebalance --execute` runs on: Safe owners from the policy's keystores
    (each under the treasury signer policy), the bridge, the screener and the venues' rails."""
    execution = policy.execution
    if execution is None or not execution.keystores:
        raise InvalidValue("policy.execution", "executing needs [execution] with a sender and "
                           "the Safe owners' keystores")
    chains = chain_manifests(manifest)
    rules = signer_policy(manifest, policy, deposit_addresses)
    signers = [LocalKeySigner.from_keystore(path, execution.password_env, path.stem, rules)
               for path in execution.keystores]

    def address(name: str, chain_id: int) -> ChecksumAddress:
        wallet = policy.wallet(name)
        if wallet is None:
            raise InvalidValue("policy.wallets", f"no wallet named {name}")
        return Web3.to_checksum_address(wallet.address_on(chain_id))

    by_id = {c["chain_id"]: c for c in chains}

    def tokens(asset: str, chain_id: int) -> list[ChecksumAddress]:
        return [Web3.to_checksum_address(t) for t in asset_tokens(by_id[chain_id], asset)]

    return TreasuryDesk(
        chains=by_id, bridge=LockMintBridge(chains, manifest["abis"], confirmations=1),
        signers=signers, sender=Web3.to_checksum_address(execution.sender), screener=screener,
        addresses=address, token_addresses=tokens,
        decimals={a: s.decimals for a, s in policy.assets.items()}, rails=dict(rails),
        crash_at=crash_at)
