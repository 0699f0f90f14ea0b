"""The nonce and transaction store on SQLite: reservations, leases, compare-and-set changes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from chain.txmanager import (
    Fees,
    IllegalTxTransition,
    TxPurpose,
    TxRecord,
    TxState,
    TxStore,
    TxVersion,
    VersionKind,
)

SENDER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
CHAIN_ID = 31337


def record(tx_id: str) -> TxRecord:
    now = time.time_ns()
    return TxRecord(
        tx_id=tx_id, chain_id=CHAIN_ID, sender=SENDER, nonce=-1, purpose=TxPurpose.CALL,
        to=SENDER, data=b"\x01\x02", value_wei=2**200, gas_limit=50_000, state=TxState.CREATED,
        settled=False, mined_hash=None, block_number=None, block_hash=None, detail="reserved",
        created_ns=now, updated_ns=now)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


def test_reserve_when_chain_is_ahead_then_starts_at_chain_pending_nonce(url: str) -> None:
    store = TxStore(url)

    first, created = store.reserve(record("a"), 7, "owner", 0)
    second, _ = store.reserve(record("b"), 0, "owner", 0)

    assert (first.nonce, second.nonce) == (7, 8)
    assert created.state is TxState.CREATED and created.nonce == 7
    assert store.next_nonce(CHAIN_ID, SENDER) == 9
    assert store.get("a").value_wei == 2**200  # uint256 survives the round trip
    store.close()


def test_reserve_from_many_threads_and_stores_when_concurrent_then_nonces_distinct_consecutive(
    url: str,
) -> None:
    stores = [TxStore(url) for _ in range(4)]  # one engine each, as separate processes would
    nonces: list[int] = []
    lock = threading.Lock()

    def reserve_many(store: TxStore, worker: int) -> None:
        for i in range(15):
            reserved, _ = store.reserve(record(f"{worker}-{i}"), 0, f"w{worker}", 0)
            with lock:
                nonces.append(reserved.nonce)

    threads = [threading.Thread(target=reserve_many, args=(s, w)) for w, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(nonces) == list(range(60))
    for store in stores:
        store.close()


def test_release_when_nonce_is_the_last_reserved_then_handed_back_else_kept(url: str) -> None:
    store = TxStore(url)
    store.reserve(record("a"), 0, "owner", 0)
    store.reserve(record("b"), 0, "owner", 0)

    assert not store.release(CHAIN_ID, SENDER, 0)  # nonce 1 exists after it: a gap
    assert store.release(CHAIN_ID, SENDER, 1)
    assert store.next_nonce(CHAIN_ID, SENDER) == 1
    store.close()


def test_transition_when_state_changed_underneath_then_none_and_nothing_written(url: str) -> None:
    store = TxStore(url)
    store.reserve(record("a"), 0, "owner", 0)
    version = TxVersion("0x" + "ab" * 32, VersionKind.ORIGINAL,
                        Fees(max_fee_per_gas_wei=10, max_priority_fee_per_gas_wei=1), b"raw",
                        None)

    signed = store.transition("a", TxState.CREATED, TxState.SIGNED, "signed", version=version)
    again = store.transition("a", TxState.CREATED, TxState.SIGNED, "signed")

    assert signed is not None and signed[0].versions == (version,)
    assert again is None
    assert [e.state for e in store.events("a")] == [TxState.CREATED, TxState.SIGNED]
    assert store.events("a")[1].tx_hash == version.tx_hash
    store.close()


def test_transition_when_not_in_table_then_illegal(url: str) -> None:
    store = TxStore(url)
    store.reserve(record("a"), 0, "owner", 0)

    with pytest.raises(IllegalTxTransition, match="created -> final"):
        store.transition("a", TxState.CREATED, TxState.FINAL)
    store.close()
