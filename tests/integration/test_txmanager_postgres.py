"""The transaction manager's nonce store on PostgreSQL: concurrent reservations from several
engines (as from several processes) get distinct, consecutive nonces under row locks.

The server is a throwaway cluster started here from the machine's PostgreSQL binaries (initdb,
pg_ctl) on a free loopback port, and removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.txmanager import TxPurpose, TxRecord, TxState, TxStore

pytestmark = pytest.mark.integration

INITDB = shutil.which("initdb")
AS_ROOT = os.geteuid() == 0
SENDER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"


def _as_postgres(*command: str) -> list[str]:
    # initdb and postgres refuse to run as root; use the system's postgres account when we are.
    return ["runuser", "-u", "postgres", "--", *command] if AS_ROOT else list(command)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if INITDB is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed here")
    root = Path(tempfile.mkdtemp(prefix="crossbook-txm-pg-"))
    if AS_ROOT:
        shutil.chown(root, "postgres")
    data = root / "data"
    subprocess.run(_as_postgres(INITDB, "-D", str(data), "-U", "crossbook", "--auth=trust"),
                   check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pg_ctl = str(Path(INITDB).resolve().parent / "pg_ctl")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    subprocess.run(_as_postgres(pg_ctl, "-D", str(data), "-o", options, "-w", "start",
                                "-l", str(root / "log")), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://crossbook@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "stop"),
                       check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


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
