"""The treasury's write-ahead transfer journal: every planned transfer is durable before anything
is signed, and every step it takes afterwards is durable before the next one starts.

A transfer moves through one transition table:

    intent ──> signed ──> sent ──> arrived        (the normal path of a Safe leg)
    intent ─────────────> sent                     (an exchange withdrawal: the venue signs)
    intent ──> refused                             (compliance or the signer policy said no)
    intent ──> cancelled                           (a transfer it depends on did not arrive)
    signed ──> signed                              (re-signed: the Safe nonce went to another tx)
    intent|signed|sent ──> failed                  (reverted on chain, venue refused)

`intent` holds the planned leg; `signed` the exact Safe transaction and its signature bundle
(public once executed, never a key), so a restart re-sends the same transaction, which the Safe's
nonce makes executable once only; `sent` the chain transaction hash and the bridge transfer id
or the venue's withdrawal id; `arrived` the proof of arrival.

Why a store of its own rather than `engine.journal`: that journal's events are order events
(`engine.model.OrderEvent`) with projections into orders, fills, positions and balances; a
treasury transfer has none of those and another lifecycle, and its audit table has no state to
resume from. The durability rules are the same: SQLite in WAL mode with `synchronous=FULL` (each
commit is fsynced), one transaction per transition writing the append-only event and the
transfer's current row together.
"""

from __future__ import annotations

import enum
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.errors import InvalidValue, JournalError
from engine.treasury.planner import Holding, PathKind

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transfers (
    transfer_id TEXT PRIMARY KEY,
    rebalance_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    amount TEXT NOT NULL,
    received TEXT NOT NULL,
    depends_on TEXT NOT NULL,
    state TEXT NOT NULL,
    facts TEXT NOT NULL,
    updated_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS transfer_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    transfer_id TEXT NOT NULL,
    state TEXT NOT NULL,
    facts TEXT NOT NULL,
    ts_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ns INTEGER NOT NULL,
    venue TEXT NOT NULL,
    asset TEXT NOT NULL,
    payload TEXT NOT NULL
);
"""


class TransferState(enum.Enum):
    """Where a treasury transfer is (see the module docstring)."""

    INTENT = "intent"
    SIGNED = "signed"
    SENT = "sent"
    ARRIVED = "arrived"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({TransferState.ARRIVED, TransferState.REFUSED, TransferState.CANCELLED,
                       TransferState.FAILED})
_S = TransferState
_TRANSITIONS: dict[TransferState, frozenset[TransferState]] = {
    _S.INTENT: frozenset({_S.SIGNED, _S.SENT, _S.REFUSED, _S.CANCELLED, _S.FAILED}),
    # A Safe nonce taken by another transaction voids the signatures: sign again.
    _S.SIGNED: frozenset({_S.SIGNED, _S.SENT, _S.FAILED}),
    _S.SENT: frozenset({_S.ARRIVED, _S.FAILED}),
}


class TransitionRefused(JournalError):
    """A transfer was asked to move along an edge the transition table does not have."""

    def __init__(self, transfer_id: str, current: TransferState, wanted: TransferState) -> None:
        self.transfer_id = transfer_id
        super().__init__(f"transfer {transfer_id}: {current.value} -> {wanted.value} is not a "
                         "transition of the treasury transfer table")


@dataclass(frozen=True)
class TransferRecord:
    """One journaled transfer: the planned leg, where it is, and the facts gathered so far."""

    transfer_id: str
    rebalance_id: str
    step: int
    kind: PathKind
    source: Holding
    destination: Holding
    amount: Decimal
    received: Decimal
    depends_on: tuple[str, ...] = ()
    state: TransferState = TransferState.INTENT
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def asset(self) -> str:
        return self.source.asset


@dataclass(frozen=True)
class TransferEvent:
    """One appended step of a transfer, as read back."""

    seq: int
    transfer_id: str
    state: TransferState
    facts: Mapping[str, Any]
    ts_ns: int


@dataclass(frozen=True)
class AlertRecord:
    """One appended margin alert."""

    seq: int
    ts_ns: int
    venue: str
    asset: str
    payload: Mapping[str, Any]


def _holding_text(holding: Holding) -> str:
    return json.dumps([holding.location, holding.chain_id, holding.asset])


def _holding_of(text: str) -> Holding:
    location, chain_id, asset = json.loads(text)
    return Holding(location, chain_id, asset)


class TransferJournal:
    """SQLite (WAL, fsync on commit) journal of treasury transfers and margin alerts."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise JournalError(f"cannot open the treasury journal at {path}: {error}") \
                from error
        self.path = path

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TransferJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def record_intents(self, records: Sequence[TransferRecord]) -> None:
        """Journal a rebalance's planned transfers, all or none, before any is acted on."""
        now = time.time_ns()
        with self._transaction():
            for r in records:
                if r.state is not TransferState.INTENT:
                    raise InvalidValue(f"transfer {r.transfer_id}.state", "a new transfer "
                                       "starts as an intent")
                self._db.execute(
                    "INSERT INTO transfers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (r.transfer_id, r.rebalance_id, r.step, r.kind.value,
                     _holding_text(r.source), _holding_text(r.destination), str(r.amount),
                     str(r.received), json.dumps(list(r.depends_on)), r.state.value,
                     json.dumps(dict(r.facts)), now))
                self._event(r.transfer_id, r.state, r.facts, now)

    def advance(self, record: TransferRecord, state: TransferState,
                **facts: Any) -> TransferRecord:
        """Move `record` to `state`, adding `facts`; durable when this returns."""
        current = self.get(record.transfer_id)
        if state not in _TRANSITIONS.get(current.state, frozenset()):
            raise TransitionRefused(record.transfer_id, current.state, state)
        merged = {**current.facts, **facts}
        now = time.time_ns()
        with self._transaction():
            self._db.execute(
                "UPDATE transfers SET state = ?, facts = ?, updated_ns = ? WHERE transfer_id = ?",
                (state.value, json.dumps(merged), now, record.transfer_id))
            self._event(record.transfer_id, state, facts, now)
        return replace(current, state=state, facts=merged)

    def _event(self, transfer_id: str, state: TransferState, facts: Mapping[str, Any],
               ts_ns: int) -> None:
        self._db.execute(
            "INSERT INTO transfer_events (transfer_id, state, facts, ts_ns) VALUES (?, ?, ?, ?)",
            (transfer_id, state.value, json.dumps(dict(facts)), ts_ns))

    def get(self, transfer_id: str) -> TransferRecord:
        rows = self._select("WHERE transfer_id = ?", (transfer_id,))
        if not rows:
            raise InvalidValue("transfer_id", f"no journaled transfer {transfer_id}")
        return rows[0]

    def transfers(self, rebalance_id: str | None = None) -> list[TransferRecord]:
        """Every journaled transfer (of one rebalance when given), in plan order."""
        if rebalance_id is None:
            return self._select("ORDER BY rebalance_id, step", ())
        return self._select("WHERE rebalance_id = ? ORDER BY step", (rebalance_id,))

    def open_transfers(self) -> list[TransferRecord]:
        """Transfers not yet in a terminal state: what a restart must finish first."""
        return [r for r in self.transfers() if not r.state.terminal]

    def events(self, transfer_id: str | None = None) -> list[TransferEvent]:
        clause, args = ("WHERE transfer_id = ?", (transfer_id,)) if transfer_id else ("", ())
        rows = self._db.execute(
            f"SELECT seq, transfer_id, state, facts, ts_ns FROM transfer_events {clause} "
            "ORDER BY seq", args).fetchall()
        return [TransferEvent(r[0], r[1], TransferState(r[2]), json.loads(r[3]), r[4])
                for r in rows]

    def record_alert(self, venue: str, asset: str, payload: Mapping[str, Any]) -> AlertRecord:
        now = time.time_ns()
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO alerts (ts_ns, venue, asset, payload) VALUES (?, ?, ?, ?)",
                (now, venue, asset, json.dumps(dict(payload), default=str)))
        return AlertRecord(int(cursor.lastrowid or 0), now, venue, asset, payload)

    def alerts(self) -> list[AlertRecord]:
        rows = self._db.execute(
            "SELECT seq, ts_ns, venue, asset, payload FROM alerts ORDER BY seq").fetchall()
        return [AlertRecord(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def _select(self, clause: str, args: tuple[Any, ...]) -> list[TransferRecord]:
        rows = self._db.execute(
            "SELECT transfer_id, rebalance_id, step, kind, source, destination, amount, "
            f"received, depends_on, state, facts FROM transfers {clause}", args).fetchall()
        return [TransferRecord(r[0], r[1], r[2], PathKind(r[3]), _holding_of(r[4]),
                               _holding_of(r[5]), Decimal(r[6]), Decimal(r[7]),
                               tuple(json.loads(r[8])), TransferState(r[9]), json.loads(r[10]))
                for r in rows]
