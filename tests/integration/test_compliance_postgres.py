"""The compliance store on PostgreSQL: the same code and schema as SQLite, on a real server.

The server is a throwaway cluster started here from the machine's PostgreSQL binaries (initdb,
pg_ctl) on a free loopback port, and removed afterwards (as in test_journal_postgres.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from risk.compliance import (
    AddressRole,
    Decision,
    ListEffect,
    ListStore,
    Screener,
    ScreeningRequest,
    Transfer,
    parse_list_file,
    read_transfers,
    write_transfers,
)
from risk.compliance._transfers import read_cursor, write_cursor

from postgres_server import postgres_server

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ofac"
DELISTED = "0x7e57000000000000000000000000000000000003"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server("crossbook-compliance-pg-") as url:
        yield url


def test_store_on_postgres_keeps_versions_screens_and_replays(postgres_url: str) -> None:
    store = ListStore(postgres_url)
    try:
        for name in ("sdn_v1.xml", "sdn_v2.xml", "sdn_v2.xml"):
            store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / name),
                       source=name)
        assert [v.version for v in store.versions()] == [1, 2]
        screener = Screener(store)
        leg = ScreeningRequest.of("leg", "v", [(DELISTED, AddressRole.RECIPIENT)])
        now = screener.screen(leg)
        assert (now.decision, now.list_version) == (Decision.ALLOW, 2)
        assert screener.screen_at(leg, 1).decision is Decision.DENY
    finally:
        store.close()


def test_transfers_and_cursors_on_postgres_are_idempotent(postgres_url: str) -> None:
    store = ListStore(postgres_url)
    try:
        moved = Transfer(5, 60, "0x" + "ab" * 32, 0, "native", "0x" + "01" * 20,
                         "0x" + "02" * 20, 10**18)
        write_transfers(store.engine, 31337, [moved])
        write_transfers(store.engine, 31337, [moved])  # re-indexing the same block
        assert [t for _, t in read_transfers(store.engine)] == [moved]
        write_cursor(store.engine, "pg-test", 5)
        write_cursor(store.engine, "pg-test", 9)
        assert read_cursor(store.engine, "pg-test") == 9
    finally:
        store.close()
