"""The write-ahead journal on SQLite (WAL): durable appends, projections, refusals."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import DuplicateEvent, IllegalTransition, OverFill
from engine.journal import Journal, JournalConfig
from engine.model import OrderCreated, OrderStatus, Side

from factories import accepted, filled, new_order


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))


def test_record_new_order_when_returned_then_another_connection_already_sees_it(
    journal: Journal, tmp_path: Path
) -> None:
    order = new_order()
    journal.record_new_order(order)
    # A plain sqlite3 connection, not ours: the row is committed, not just buffered.
    with sqlite3.connect(tmp_path / "journal.sqlite") as other:
        rows = other.execute("SELECT kind, client_order_id FROM order_events").fetchall()
        mode = other.execute("PRAGMA journal_mode").fetchone()[0]
    assert rows == [("created", order.client_order_id)]
    assert mode == "wal"


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


def test_append_when_event_is_illegal_then_raises_and_writes_nothing(journal: Journal) -> None:
    order = new_order()
    journal.record_new_order(order)
    before = journal.events()
    with pytest.raises(OverFill):
        journal.append(filled(order, "3"))
    with pytest.raises(IllegalTransition, match="absent"):
        journal.append(accepted(new_order(99)))  # an order that was never created
    with pytest.raises(IllegalTransition, match="created is not allowed"):
        journal.append(OrderCreated(event_id="again", client_order_id=order.client_order_id,
                                    ts_ns=9, order=order))
    assert journal.events() == before
    assert journal.order(order.client_order_id) == order


def test_append_when_event_id_repeats_then_duplicate_event_and_nothing_changes(
    journal: Journal,
) -> None:
    order = new_order()
    journal.record_new_order(order)
    journal.append(accepted(order))
    count = len(journal.events())
    with pytest.raises(DuplicateEvent, match="already in the journal"):
        journal.append(accepted(order))
    assert len(journal.events()) == count


def test_events_when_read_then_in_sequence_order_with_increasing_seq(journal: Journal) -> None:
    order = new_order()
    journal.record_new_order(order)
    journal.append(accepted(order))
    journal.append(filled(order, "2"))
    sequence = [seq for seq, _ in journal.events()]
    assert sequence == sorted(sequence) and len(set(sequence)) == 3
    assert [seq for seq, _ in journal.events(after_seq=sequence[0])] == sequence[1:]


def test_rebuild_projections_when_tables_are_lost_then_replay_restores_them(
    journal: Journal, tmp_path: Path
) -> None:
    order = new_order()
    journal.record_new_order(order)
    journal.append(filled(order, "1.25"))
    expected = journal.projections()
    with sqlite3.connect(tmp_path / "journal.sqlite") as other:
        other.execute("DELETE FROM positions")
        other.execute("DELETE FROM orders")
    assert journal.projections() != expected
    assert journal.rebuild_projections() == expected
    assert journal.projections() == expected
