"""The relayer's SQLite store: scans are atomic and idempotent, progress survives reopening."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from chain.bridge import RelayedTransfer, RelayerConfig, RelayerStore, RelayStatus, TransferKind


def _transfer(transfer_id: str, block: int = 10) -> RelayedTransfer:
    return RelayedTransfer(
        transfer_id=transfer_id, kind=TransferKind.LOCK, source_chain_id=1, source_block=block,
        destination_chain_id=2, token="0x" + "11" * 20, sender="0x" + "22" * 20,
        recipient="0x" + "33" * 20, amount_raw=10**30, status=RelayStatus.SEEN,
        seen_at_ns=block,
    )


def test_record_scan_when_range_is_scanned_again_then_transfers_are_not_duplicated(
    tmp_path: Path,
) -> None:
    store = RelayerStore(tmp_path / "r.sqlite")
    store.record_scan(1, 11, [_transfer("0xaa")])
    store.set_status("0xaa", RelayStatus.SUBMITTED)
    # A relayer killed after the scan but before noticing it rescans: the row keeps its status.
    store.record_scan(1, 11, [_transfer("0xaa")])
    transfers = store.all_transfers()
    assert [t.transfer_id for t in transfers] == ["0xaa"]
    assert transfers[0].status is RelayStatus.SUBMITTED
    assert transfers[0].amount_raw == 10**30  # beyond SQLite's 64-bit integers


def test_store_when_reopened_then_cursor_and_open_transfers_are_kept(tmp_path: Path) -> None:
    store = RelayerStore(tmp_path / "r.sqlite")
    assert store.next_block(1, default=7) == 7
    store.record_scan(1, 21, [_transfer("0xaa", 12), _transfer("0xbb", 15)])
    store.set_status("0xaa", RelayStatus.DONE, tx_hash="0xdead")
    store.close()

    reopened = RelayerStore(tmp_path / "r.sqlite")
    assert reopened.next_block(1, default=7) == 21
    assert reopened.next_block(2, default=7) == 7
    assert [t.transfer_id for t in reopened.open_transfers()] == ["0xbb"]
    done = next(t for t in reopened.all_transfers() if t.transfer_id == "0xaa")
    assert done.destination_tx_hash == "0xdead"
    reopened.close()


def test_relayer_config_when_confirmations_is_zero_then_rejected(tmp_path: Path) -> None:
    chain = {"chain_id": 1, "rpc_url": "http://127.0.0.1:1", "locker": "0x1", "minter": "0x2"}
    with pytest.raises(ValidationError, match="confirmations"):
        RelayerConfig(relayer="0x3", chains=[chain, {**chain, "chain_id": 2}],
                      confirmations=0, db_path=tmp_path / "r.sqlite")
