"""The transaction manager's nonce store on PostgreSQL: concurrent reservations from several
engines (as from several processes) get distinct, consecutive nonces under row locks.

The server is a throwaway cluster started here from the machine's PostgreSQL binaries (initdb,
pg_ctl) on a free loopback port, and removed afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from chain.txmanager import TxPurpose, TxRecord, TxState, TxStore

from postgres_server import postgres_server

pytestmark = pytest.mark.integration

SENDER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server("crossbook-txm-pg-") as url:
        yield url


def _record(tx_id: str) -> TxRecord:
    now = time.time_ns()
    return TxRecord(
        tx_id=tx_id, chain_id=1, sender=SENDER, nonce=-1, purpose=TxPurpose.CALL, to=SENDER,
        data=b"", value_wei=0, gas_limit=21_000, state=TxState.CREATED, settled=False,
        mined_hash=None, block_number=None, block_hash=None, detail="reserved", created_ns=now,
        updated_ns=now)


def test_reserve_on_postgres_when_engines_race_then_nonces_distinct_and_consecutive(
    postgres_url: str,
) -> None:
    stores = [TxStore(postgres_url) for _ in range(4)]
    nonces: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(stores))  # all start together, first row creation included

    def reserve_many(store: TxStore, worker: int) -> None:
        barrier.wait()
        for i in range(10):
            reserved, _ = store.reserve(_record(f"{worker}-{i}"), 3, f"w{worker}", 0)
            with lock:
                nonces.append(reserved.nonce)

    threads = [threading.Thread(target=reserve_many, args=(s, w)) for w, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(nonces) == list(range(3, 43))
        assert stores[0].next_nonce(1, SENDER) == 43
    finally:
        for store in stores:
            store.close()
