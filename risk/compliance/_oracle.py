"""The on-chain sanctions oracle (`contracts/compliance/SanctionsOracle.sol`) as a source.

The oracle answers Chainalysis' interface `isSanctioned(address) returns (bool)`; this source
reads it in batches with `areSanctioned(address[])`, one `eth_call` per `batch_size` addresses,
all at one block, which the reasons name. `index_oracle_events` stores the oracle's
`SanctionAdded` / `SanctionRemoved` events incrementally, so the list's history is auditable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from web3 import Web3
from web3.exceptions import Web3Exception

from risk.compliance._model import Decision, Reason, ReasonCode, RiskCategory, ScreenedAddress
from risk.compliance._sources import (
    Findings,
    ScreeningContext,
    every,
    policy_for,
    unavailable_reason,
)
from risk.compliance._tables import insert_ignoring_duplicates, oracle_events
from risk.compliance._transfers import read_cursor, write_cursor
from risk.compliance.errors import ChainReadFailed

# The part of the oracle's ABI read here (the full ABI comes from compiling the contract).
ORACLE_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": "isSanctioned", "stateMutability": "view",
     "inputs": [{"name": "account", "type": "address"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"type": "function", "name": "areSanctioned", "stateMutability": "view",
     "inputs": [{"name": "accounts", "type": "address[]"}],
     "outputs": [{"name": "", "type": "bool[]"}]},
    {"type": "event", "name": "SanctionAdded", "anonymous": False,
     "inputs": [{"name": "account", "type": "address", "indexed": True}]},
    {"type": "event", "name": "SanctionRemoved", "anonymous": False,
     "inputs": [{"name": "account", "type": "address", "indexed": True}]},
]


class OracleSource:
    """Reads `areSanctioned` on the oracle contract; an unreadable oracle fails closed."""

    name = "oracle"

    def __init__(self, w3: Web3, oracle_address: str, batch_size: int = 256,
                 on_unavailable: Mapping[str, Decision] | None = None,
                 default_on_unavailable: Decision = Decision.DENY) -> None:
        self.w3 = w3
        self.address = Web3.to_checksum_address(oracle_address)
        self.contract = w3.eth.contract(address=self.address, abi=ORACLE_ABI)
        self.batch_size = batch_size
        self.on_unavailable = dict(on_unavailable or {})
        self.default_on_unavailable = default_on_unavailable

    def sanctioned(self, addresses: Sequence[str], block: int) -> dict[str, bool]:
        """Whether each address is on the oracle at `block`, in batches of `batch_size`."""
        answers: dict[str, bool] = {}
        unique = list(dict.fromkeys(a.lower() for a in addresses))
        for start in range(0, len(unique), self.batch_size):
            batch = unique[start:start + self.batch_size]
            flags = self.contract.functions.areSanctioned(
                [Web3.to_checksum_address(a) for a in batch]).call(block_identifier=block)
            answers.update(zip(batch, (bool(flag) for flag in flags), strict=True))
        return answers

    def findings(self, subjects: Sequence[ScreenedAddress],
                 context: ScreeningContext) -> Findings:
        try:
            block = self.w3.eth.block_number
            answers = self.sanctioned([s.address for s in subjects], block)
        except (Web3Exception, OSError, ValueError) as error:
            outcome = policy_for(context.venue, self.on_unavailable, self.default_on_unavailable)
            return every(subjects, unavailable_reason(
                ReasonCode.ORACLE_UNAVAILABLE, self.name,
                f"sanctions oracle {self.address} could not be read: {error}", outcome))
        found: Findings = {}
        for subject in subjects:
            reasons = found.setdefault(subject.address, [])
            if answers[subject.address]:
                reasons.append(Reason(
                    ReasonCode.ORACLE_SANCTIONED,
                    f"isSanctioned is true on oracle {self.address} at block {block}",
                    Decision.DENY, RiskCategory.SANCTIONS, 100, self.name))
        return found


@dataclass(frozen=True)
class OracleEvent:
    """One change of the on-chain list."""

    block: int
    tx_hash: str
    log_index: int
    account: str
    added: bool


def index_oracle_events(w3: Web3, oracle_address: str, engine: Engine,
                        to_block: int | None = None, chunk_blocks: int = 5_000) -> int:
    """Store the oracle's add/remove events after the last indexed block; return how many."""
    contract = w3.eth.contract(address=Web3.to_checksum_address(oracle_address), abi=ORACLE_ABI)
    try:
        chain_id = w3.eth.chain_id
        head = to_block if to_block is not None else w3.eth.block_number
    except (Web3Exception, OSError) as error:
        raise ChainReadFailed("the head block", str(error)) from error
    cursor = f"oracle:{chain_id}:{contract.address.lower()}"
    count = 0
    for low in range(read_cursor(engine, cursor) + 1, head + 1, chunk_blocks):
        high = min(low + chunk_blocks - 1, head)
        rows = []
        for event, added in ((contract.events.SanctionAdded, 1),
                             (contract.events.SanctionRemoved, 0)):
            try:
                logs = event.get_logs(from_block=low, to_block=high)
            except (Web3Exception, OSError, ValueError) as error:
                raise ChainReadFailed(f"oracle events {low}-{high}", str(error)) from error
            rows += [{"chain_id": chain_id, "oracle": contract.address.lower(),
                      "block": log["blockNumber"], "tx_hash": "0x" + log["transactionHash"].hex()
                      .removeprefix("0x"), "log_index": log["logIndex"],
                      "account": str(log["args"]["account"]).lower(), "added": added}
                     for log in logs]
        if rows:
            with engine.begin() as connection:
                connection.execute(insert_ignoring_duplicates(engine, oracle_events), rows)
        write_cursor(engine, cursor, high)
        count += len(rows)
    return count


def oracle_history(engine: Engine, account: str | None = None) -> list[OracleEvent]:
    """Indexed oracle events in chain order (of one account, or all)."""
    query = select(oracle_events).order_by(oracle_events.c.block, oracle_events.c.log_index)
    if account is not None:
        query = query.where(oracle_events.c.account == account.lower())
    with engine.connect() as connection:
        return [OracleEvent(r.block, r.tx_hash, r.log_index, r.account, bool(r.added))
                for r in connection.execute(query)]


def oracle_listed(engine: Engine) -> frozenset[str]:
    """Addresses whose latest indexed oracle event is an addition (the on-chain list as
    indexed so far)."""
    state: dict[str, bool] = {}
    for change in oracle_history(engine):
        state[change.account] = change.added
    return frozenset(account for account, added in state.items() if added)
