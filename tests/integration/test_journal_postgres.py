"""The journal on PostgreSQL: the same code and schema as SQLite, against a real server.

The server is a throwaway cluster started here from the machine's PostgreSQL binaries (initdb,
pg_ctl) on a free loopback port, and removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import DuplicateEvent
from engine.journal import Journal, JournalConfig
from engine.model import OrderStatus

from factories import accepted, filled, new_order

pytestmark = pytest.mark.integration

INITDB = shutil.which("initdb")


AS_ROOT = os.geteuid() == 0


def _as_postgres(*command: str) -> list[str]:
    # initdb and postgres refuse to run as root; use the system's postgres account when we are.
    return ["runuser", "-u", "postgres", "--", *command] if AS_ROOT else list(command)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if INITDB is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed here")
    # Not under pytest's tmp dir: that one is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="crossbook-pg-"))
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


def test_journal_when_postgres_url_then_appends_refuses_duplicates_and_replays_equal(
    postgres_url: str,
) -> None:
    journal = Journal(JournalConfig(url=postgres_url))
    try:
        order = new_order()
        journal.record_new_order(order)
        journal.append(accepted(order))
        journal.append(filled(order, "0.75", "3001.5", "t1", fee="0.25"))
        with pytest.raises(DuplicateEvent):
            journal.append(accepted(order))

        projections = journal.projections()
        assert projections.orders[order.client_order_id].status is OrderStatus.PARTIALLY_FILLED
        assert projections.positions[("simex", "WETH/USDC")] == Decimal("0.75")
        assert projections == journal.replay() == journal.replay()
        assert [seq for seq, _ in journal.events()] == sorted(s for s, _ in journal.events())
    finally:
        journal.close()
