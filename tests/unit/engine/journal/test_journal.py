"""The write-ahead journal on SQLite (WAL): durable appends, projections, refusals."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import DuplicateEvent, DuplicateFill, IllegalTransition, OverFill
from engine.journal import Journal, JournalConfig
from engine.model import OrderCreated, OrderStatus, Side

from factories import accepted, filled, new_order

# Reads the log with nothing but the standard library, in a process of its own.
READER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
print(connection.execute("SELECT event_id FROM order_events ORDER BY seq").fetchall()[-1][0])
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    with Journal(JournalConfig(url=f"sqlite:///{path}")) as opened:
        yield opened


def test_journal_config_when_defaults_then_sqlite_under_crossbook_and_unknown_keys_refused(
) -> None:
    assert JournalConfig().url == "sqlite:///.crossbook/journal.sqlite"
    with pytest.raises(ValueError, match="extra"):
        JournalConfig(path="x")  # type: ignore[call-arg]


def test_record_new_order_when_returned_then_another_connection_already_sees_it(
    journal: Journal, path: Path
) -> None:
    order = new_order()
    journal.record_new_order(order)
    # A plain sqlite3 connection, not ours: the row is committed, not just buffered.
    with sqlite3.connect(path) as other:
        rows = other.execute("SELECT kind, client_order_id FROM order_events").fetchall()
        mode = other.execute("PRAGMA journal_mode").fetchone()[0]
    assert rows == [("created", order.client_order_id)]
    assert mode == "wal"


def test_append_when_returned_then_a_fresh_process_reads_the_event(
    journal: Journal, path: Path
) -> None:
    order = new_order()
    journal.record_new_order(order)
    journal.append(accepted(order))
    other = subprocess.run([sys.executable, "-c", READER, str(path)], capture_output=True,
                           text=True, check=True, timeout=30)
    assert other.stdout.strip() == accepted(order).event_id


def test_append_when_fills_arrive_then_projections_track_order_position_and_balances(
    journal: Journal,
) -> None:
    order = new_order()
    journal.record_new_order(order)
    journal.append(accepted(order))
    journal.append(filled(order, "0.5", "3000", "t1", fee="1.5"))
    sell = new_order(1, side=Side.SELL, qty=Decimal("0.2"))
    journal.record_new_order(sell)
    journal.append(filled(sell, "0.2", "3010", "t9"))

    projections = journal.projections()
    assert projections.orders[order.client_order_id].status is OrderStatus.PARTIALLY_FILLED
    assert projections.orders[sell.client_order_id].status is OrderStatus.FILLED
    assert projections.positions[("simex", "WETH/USDC")] == Decimal("0.3")
    assert projections.balances[("simex", "WETH")] == Decimal("0.3")
    assert projections.balances[("simex", "USDC")] == Decimal("-1500") - Decimal("1.5") + Decimal(
        "602")
    assert projections.total_position("WETH/USDC") == Decimal("0.3")


def test_projection_tables_when_read_raw_then_money_is_exact_decimal_text(
    journal: Journal, path: Path
) -> None:
    order = new_order(qty=Decimal("1.000000000000000001"))
    journal.record_new_order(order)
    journal.append(filled(order, "0.100000000000000001", "3000.000000000000000001"))
    with sqlite3.connect(path) as other:
        qty, price = other.execute("SELECT qty, price FROM fills").fetchone()
        (position,) = other.execute("SELECT net_qty FROM positions").fetchone()
    assert (qty, price, position) == ("0.100000000000000001", "3000.000000000000000001",
                                      "0.100000000000000001")


def test_append_when_event_is_illegal_then_raises_and_writes_nothing(journal: Journal) -> None:
    order = new_order()
    journal.record_new_order(order)
    before, stored = journal.events(), journal.projections()
    with pytest.raises(OverFill):
        journal.append(filled(order, "3"))
    with pytest.raises(IllegalTransition, match="absent"):
        journal.append(accepted(new_order(99)))  # an order that was never created
    with pytest.raises(IllegalTransition, match="OrderCreated is not allowed"):
        journal.append(OrderCreated(event_id="again", client_order_id=order.client_order_id,
                                    ts_ns=9, order=order))
    assert journal.events() == before
    assert journal.projections() == stored
    assert journal.order(order.client_order_id) == order


def test_append_when_event_id_repeats_then_duplicate_event_and_nothing_changes(
    journal: Journal,
) -> None:
    order = new_order()
    journal.record_new_order(order)
    journal.append(accepted(order))
    before, stored = journal.events(), journal.projections()
    with pytest.raises(DuplicateEvent, match="already in the journal"):
        journal.append(accepted(order))
    with pytest.raises(DuplicateEvent):
        journal.record_new_order(order)
    assert journal.events() == before
    assert journal.projections() == stored


def test_append_when_venue_redelivers_a_trade_under_a_new_event_id_then_duplicate_fill(
    journal: Journal,
) -> None:
    order = new_order()
    journal.record_new_order(order)
    journal.append(filled(order, "0.5", trade="t1"))
    redelivered = filled(order, "0.5", trade="t1").model_copy(update={"event_id": "again"})
    with pytest.raises(DuplicateFill, match="t1"):
        journal.append(redelivered)
    assert journal.projections().positions[("simex", "WETH/USDC")] == Decimal("0.5")


def test_events_when_read_then_in_sequence_order_with_increasing_seq(journal: Journal) -> None:
    order = new_order()
    journal.record_new_order(order)
    journal.append(accepted(order))
    last = journal.append(filled(order, "2"))
    sequence = [seq for seq, _ in journal.events()]
    assert sequence == sorted(sequence) and len(set(sequence)) == 3 and sequence[-1] == last
    assert [seq for seq, _ in journal.events(after_seq=sequence[0])] == sequence[1:]


def test_children_when_orders_share_a_parent_then_listed_oldest_first(journal: Journal) -> None:
    first = new_order(0, parent_id="twap-1", created_ts_ns=10, updated_ts_ns=10)
    second = new_order(1, parent_id="twap-1", created_ts_ns=20, updated_ts_ns=20)
    journal.record_new_order(second)
    journal.record_new_order(first)
    journal.record_new_order(new_order(2, parent_id="other"))
    ids = [o.client_order_id for o in journal.children("twap-1")]
    assert ids == [first.client_order_id, second.client_order_id]
    assert [o.client_order_id for o in journal.projections().children("twap-1")] == ids


def test_rebuild_projections_when_tables_are_lost_then_replay_restores_them(
    journal: Journal, path: Path
) -> None:
    order = new_order()
    journal.record_new_order(order)
    journal.append(filled(order, "1.25"))
    expected = journal.projections()
    with sqlite3.connect(path) as other:
        other.execute("DELETE FROM positions")
        other.execute("DELETE FROM orders")
    assert journal.projections() != expected
    assert journal.rebuild_projections() == expected
    assert journal.projections() == expected


def test_journal_when_reopened_then_state_is_read_back_from_disk(path: Path) -> None:
    order = new_order()
    with Journal(JournalConfig(url=f"sqlite:///{path}")) as first:
        first.record_new_order(order)
        first.append(accepted(order))
    with Journal(JournalConfig(url=f"sqlite:///{path}")) as second:
        reopened = second.order(order.client_order_id)
        assert reopened is not None and reopened.status is OrderStatus.ACCEPTED
        assert second.replay() == second.projections()
