"""Single-use signing nonces, by construction.

A FROST nonce used twice with two different binding factors reveals the key share, so each
signer keeps its nonces here:

- `issue` draws a fresh pair (RFC 9591 4.1), records its id as `issued` in SQLite with
  `synchronous=FULL` (the record is on disk before `issue` returns, so before the commitment
  leaves the signer) and keeps the secret pair in memory only;
- `consume` moves the record from `issued` to `used` (durably, in one conditional UPDATE) and
  hands the secret pair out exactly once, deleting it from memory. A second request for the
  same nonce finds the record `used` and is refused (`NonceReused`); after a restart the secret
  is gone and the record says so, so a nonce can never sign twice even across crashes.

At most `max_pending` secrets wait for their round two (sessions that a coordinator abandons
leave some behind); past that the oldest is dropped and recorded `expired`.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

from chain.signers.frost.core import Commitment, FrostError, Nonces, commit, serialize_element


class NonceReused(FrostError):
    """A signing request named a nonce that was already used, or never issued here."""

    def __init__(self, nonce_id: str, state: str) -> None:
        self.nonce_id = nonce_id
        self.state = state
        super().__init__(f"nonce {nonce_id} is {state}: a nonce signs once")


_SCHEMA = """CREATE TABLE IF NOT EXISTS nonces (
    nonce_id TEXT PRIMARY KEY, request_id TEXT NOT NULL, state TEXT NOT NULL,
    issued_ns INTEGER NOT NULL, used_ns INTEGER)"""


class NonceStore:
    """One signer's nonce ledger (see the module docstring)."""

    def __init__(self, path: Path, max_pending: int = 1024) -> None:
        self._max_pending = max_pending
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # fsync on every commit
        self._db.execute(_SCHEMA)
        self._secrets: dict[str, Nonces] = {}

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"NonceStore(pending={len(self._secrets)})"

    def issue(self, identifier: int, share: int, request_id: str) -> tuple[str, Commitment]:
        """A fresh nonce pair for `request_id`; its id and public commitment."""
        nonces, commitment = commit(identifier, share)
        nonce_id = hashlib.sha256(serialize_element(commitment.hiding)
                                  + serialize_element(commitment.binding)).hexdigest()[:32]
        self._db.execute("INSERT INTO nonces VALUES (?, ?, 'issued', ?, NULL)",
                         (nonce_id, request_id, time.time_ns()))
        self._secrets[nonce_id] = nonces
        while len(self._secrets) > self._max_pending:
            oldest = next(iter(self._secrets))
            del self._secrets[oldest]
            self._db.execute("UPDATE nonces SET state = 'expired' WHERE nonce_id = ? "
                             "AND state = 'issued'", (oldest,))
        return nonce_id, commitment

    def consume(self, nonce_id: str) -> Nonces:
        """The secret pair of `nonce_id`, once; recorded `used` before it is returned."""
        cursor = self._db.execute(
            "UPDATE nonces SET state = 'used', used_ns = ? WHERE nonce_id = ? "
            "AND state = 'issued'", (time.time_ns(), nonce_id))
        if cursor.rowcount != 1:
            row = self._db.execute("SELECT state FROM nonces WHERE nonce_id = ?",
                                   (nonce_id,)).fetchone()
            self._secrets.pop(nonce_id, None)
            state = "unknown here" if row is None else {"expired": "expired unused"}.get(
                str(row[0]), "already used")
            raise NonceReused(nonce_id, state)
        nonces = self._secrets.pop(nonce_id, None)
        if nonces is None:  # issued before a restart: the secret died with the process
            raise NonceReused(nonce_id, "lost at a restart")
        return nonces

    def state(self, nonce_id: str) -> str | None:
        row = self._db.execute("SELECT state FROM nonces WHERE nonce_id = ?",
                               (nonce_id,)).fetchone()
        return None if row is None else str(row[0])
