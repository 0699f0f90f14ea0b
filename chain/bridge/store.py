"""The relayer's progress in SQLite: how far each chain was scanned and every transfer seen.

A scan's new transfers and its advanced cursor are written in one transaction, so a relayer
killed at any point either saw a block range completely or not at all. A transfer's status moves
`seen -> submitted -> done` (or `invalid`); `submitted` is written *before* the destination
transaction is sent, so after a crash the relayer knows it may have sent it and asks the
destination contract (which refuses a second mint or release) before sending again.

Reorgs: each transfer keeps the hash of the block its event was in, and each cursor the hash of
the last block scanned. A transfer whose block is no longer canonical becomes `reorged` (never
relayed from that block; the cursor is rewound so a re-inclusion is seen again, which makes it
`seen` in its new block). Stores written before these columns existed are migrated in place.
"""

from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    chain_id INTEGER PRIMARY KEY,
    next_block INTEGER NOT NULL,
    last_hash TEXT
);
CREATE TABLE IF NOT EXISTS transfers (
    transfer_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source_chain_id INTEGER NOT NULL,
    source_block INTEGER NOT NULL,
    destination_chain_id INTEGER NOT NULL,
    token TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    amount_raw TEXT NOT NULL,
    status TEXT NOT NULL,
    seen_at_ns INTEGER NOT NULL,
    destination_tx_hash TEXT,
    detail TEXT,
    source_block_hash TEXT
);
"""
# Columns added after the first release, with their type: added to an older store on open.
_ADDED_COLUMNS = {"cursors": {"last_hash": "TEXT"}, "transfers": {"source_block_hash": "TEXT"}}


class TransferKind(enum.Enum):
    """Which way a transfer goes: a lock (mint on the destination) or a burn (release)."""

    LOCK = "lock"
    BURN = "burn"


class RelayStatus(enum.Enum):
    """The relayer's progress on one transfer."""

    SEEN = "seen"
    SUBMITTED = "submitted"  # the destination transaction may have been sent
    DONE = "done"
    INVALID = "invalid"  # the source chain does not hold this transfer; never relayed
    REORGED = "reorged"  # its source block left the canonical chain; relayed only if re-seen


@dataclass(frozen=True)
class RelayedTransfer:
    """One transfer as the relayer recorded it; `token` is the source-side token."""

    transfer_id: str
    kind: TransferKind
    source_chain_id: int
    source_block: int
    destination_chain_id: int
    token: str
    sender: str
    recipient: str
    amount_raw: int
    status: RelayStatus
    seen_at_ns: int
    destination_tx_hash: str | None = None
    source_block_hash: str | None = None


class RelayerStore:
    """SQLite (WAL) persistence of the relayer's cursors and transfers."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns.items():
                if name not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def close(self) -> None:
        self._db.close()

    def next_block(self, chain_id: int, default: int) -> int:
        row = self._db.execute(
            "SELECT next_block FROM cursors WHERE chain_id = ?", (chain_id,)
        ).fetchone()
        return default if row is None else int(row[0])

    def last_hash(self, chain_id: int) -> str | None:
        """The hash of the last block scanned on the chain (None before the first scan)."""
        row = self._db.execute(
            "SELECT last_hash FROM cursors WHERE chain_id = ?", (chain_id,)).fetchone()
        return None if row is None else row[0]

    def record_scan(
        self, chain_id: int, next_block: int, transfers: list[RelayedTransfer],
        last_hash: str | None = None,
    ) -> None:
        """Store a scanned range's transfers and advance the chain's cursor, atomically.

        A transfer seen again (a rescan after a reorg) takes its new block, and its new details
        if a reorg gave its id to another event, unless it was already submitted or done."""
        with self._transaction():
            self._db.executemany(
                "INSERT INTO transfers (transfer_id, kind, source_chain_id, "
                "source_block, destination_chain_id, token, sender, recipient, amount_raw, "
                "status, seen_at_ns, source_block_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(transfer_id) DO UPDATE SET source_block = excluded.source_block, "
                "source_block_hash = excluded.source_block_hash, token = excluded.token, "
                "sender = excluded.sender, recipient = excluded.recipient, "
                "amount_raw = excluded.amount_raw, "
                "destination_chain_id = excluded.destination_chain_id, status = 'seen' "
                "WHERE transfers.status IN ('seen', 'reorged')",
                [(t.transfer_id, t.kind.value, t.source_chain_id, t.source_block,
                  t.destination_chain_id, t.token, t.sender, t.recipient, str(t.amount_raw),
                  t.status.value, t.seen_at_ns, t.source_block_hash) for t in transfers],
            )
            self._db.execute(
                "INSERT INTO cursors (chain_id, next_block, last_hash) VALUES (?, ?, ?) "
                "ON CONFLICT(chain_id) DO UPDATE SET next_block = excluded.next_block, "
                "last_hash = excluded.last_hash",
                (chain_id, next_block, last_hash),
            )

    def rewind(self, chain_id: int, next_block: int) -> None:
        """Move the chain's cursor back to `next_block` (never forward) to scan it again."""
        with self._transaction():
            self._db.execute(
                "UPDATE cursors SET next_block = MIN(next_block, ?), last_hash = NULL "
                "WHERE chain_id = ?", (next_block, chain_id))

    def open_transfers(self) -> list[RelayedTransfer]:
        """Transfers not yet done, oldest first."""
        return self._select("WHERE status IN ('seen', 'submitted') ORDER BY seen_at_ns")

    def all_transfers(self) -> list[RelayedTransfer]:
        return self._select("ORDER BY seen_at_ns")

    def set_status(
        self, transfer_id: str, status: RelayStatus, tx_hash: str | None = None,
        detail: str | None = None,
    ) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE transfers SET status = ?, destination_tx_hash = COALESCE(?, "
                "destination_tx_hash), detail = COALESCE(?, detail) WHERE transfer_id = ?",
                (status.value, tx_hash, detail, transfer_id),
            )

    def _select(self, clause: str) -> list[RelayedTransfer]:
        rows = self._db.execute(
            "SELECT transfer_id, kind, source_chain_id, source_block, destination_chain_id, "
            "token, sender, recipient, amount_raw, status, seen_at_ns, destination_tx_hash, "
            f"source_block_hash FROM transfers {clause}"
        ).fetchall()
        return [
            RelayedTransfer(row[0], TransferKind(row[1]), row[2], row[3], row[4], row[5],
                            row[6], row[7], int(row[8]), RelayStatus(row[9]), row[10], row[11],
                            row[12])
            for row in rows
        ]

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
