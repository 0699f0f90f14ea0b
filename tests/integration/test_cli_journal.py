"""`crossbook journal` as an operator runs it, on a journal written through the Python API."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from engine.journal import Journal, JournalConfig

from cli import crossbook
from factories import accepted, filled, new_order

pytestmark = pytest.mark.integration


@pytest.fixture
def journal_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    journal = Journal(JournalConfig(url=url))
    first, second = new_order(0), new_order(1)
    for order in (first, second):
        journal.record_new_order(order)
        journal.append(accepted(order))
    journal.append(filled(first, "2", "2999.5"))
    journal.close()
    return url


def test_journal_orders_when_json_then_lists_orders_with_decimal_strings(journal_url: str) -> None:
    result = crossbook("journal", "orders", "--url", journal_url, "--json")
    assert result.returncode == 0, result.stderr
    orders = json.loads(result.stdout)["orders"]
    assert [o["status"] for o in orders] == ["filled", "accepted"]
    assert orders[0]["avg_fill_price"] == "2999.5"


def test_journal_events_when_filtered_by_order_then_only_its_events_in_log_order(
    journal_url: str,
) -> None:
    order_id = new_order(0).client_order_id
    result = crossbook("journal", "events", "--url", journal_url, "--order", order_id, "--json")
    events = json.loads(result.stdout)["events"]
    assert [e["kind"] for e in events] == ["created", "accepted", "filled"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)


def test_journal_verify_when_projection_tampered_then_exit_1(
    journal_url: str, tmp_path: Path
) -> None:
    ok = crossbook("journal", "verify", "--url", journal_url, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["consistent"] is True
    with sqlite3.connect(tmp_path / "journal.sqlite") as connection:
        connection.execute("UPDATE positions SET net_qty = '5'")
    tampered = crossbook("journal", "verify", "--url", journal_url, "--json")
    assert tampered.returncode == 1
    assert json.loads(tampered.stdout) == {"consistent": False, "events": 5, "orders": 2,
                                           "fills": 1}
