"""The journal on PostgreSQL: the same code and schema as SQLite, against a real server.

The server is a throwaway cluster started here from the machine's PostgreSQL binaries (initdb,
pg_ctl) on a free loopback port, and removed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from engine.errors import DuplicateEvent
from engine.journal import Journal, JournalConfig
from engine.model import OrderStatus

from factories import accepted, filled, new_order
from postgres_server import postgres_server

pytestmark = pytest.mark.integration

@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server("crossbook-pg-") as url:
        yield url


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
