"""The nonce ledger: a nonce signs once, is on disk before its commitment is returned, and
cannot sign after a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chain.signers.frost import core
from chain.signers.frost.nonces import NonceReused, NonceStore

SHARE = 0x1234


def test_issue_when_commitment_returned_then_already_recorded_issued_on_disk(
    tmp_path: Path,
) -> None:
    store = NonceStore(tmp_path / "n.sqlite")
    nonce_id, commitment = store.issue(1, SHARE, "req-1")
    # A second connection (another process would see the same) finds the record.
    other = sqlite3.connect(tmp_path / "n.sqlite")
    assert other.execute("SELECT state, request_id FROM nonces WHERE nonce_id = ?",
                         (nonce_id,)).fetchone() == ("issued", "req-1")
    assert commitment.identifier == 1


def test_consume_when_called_twice_then_second_refused_as_already_used(tmp_path: Path) -> None:
    store = NonceStore(tmp_path / "n.sqlite")
    nonce_id, commitment = store.issue(1, SHARE, "req")
    nonces = store.consume(nonce_id)
    assert core.same(core.base_mult(nonces.hiding), commitment.hiding)
    assert store.state(nonce_id) == "used"
    with pytest.raises(NonceReused, match="already used"):
        store.consume(nonce_id)


def test_consume_when_store_reopened_after_restart_then_nonce_lost_and_refused(
    tmp_path: Path,
) -> None:
    store = NonceStore(tmp_path / "n.sqlite")
    nonce_id, _ = store.issue(1, SHARE, "req")
    store.close()
    reopened = NonceStore(tmp_path / "n.sqlite")
    with pytest.raises(NonceReused, match="restart"):
        reopened.consume(nonce_id)
    with pytest.raises(NonceReused, match="already used"):
        reopened.consume(nonce_id)  # the failed attempt still burnt it


def test_consume_when_nonce_never_issued_then_refused_as_unknown(tmp_path: Path) -> None:
    with pytest.raises(NonceReused, match="unknown"):
        NonceStore(tmp_path / "n.sqlite").consume("00" * 16)


def test_repr_when_secrets_pending_then_shows_only_a_count(tmp_path: Path) -> None:
    store = NonceStore(tmp_path / "n.sqlite")
    store.issue(1, SHARE, "req")
    assert repr(store) == "NonceStore(pending=1)"


def test_issue_when_more_than_max_pending_then_oldest_expires_and_is_refused(
    tmp_path: Path,
) -> None:
    store = NonceStore(tmp_path / "n.sqlite", max_pending=2)
    ids = [store.issue(1, SHARE, f"req-{i}")[0] for i in range(3)]
    assert store.state(ids[0]) == "expired" and repr(store) == "NonceStore(pending=2)"
    with pytest.raises(NonceReused, match="expired"):
        store.consume(ids[0])
    store.consume(ids[2])
