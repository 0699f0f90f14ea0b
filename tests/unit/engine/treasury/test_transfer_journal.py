"""The treasury transfer journal: write-ahead intents, the transition table, durability across
a reopen, and the alert records."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import InvalidValue
from engine.treasury.journal import (
    TransferJournal,
    TransferRecord,
    TransferState,
    TransitionRefused,
)
from engine.treasury.planner import Holding, PathKind

SAFE_B = Holding("treasury", 31338, "USDC")
SAFE_A = Holding("treasury", 31337, "USDC")
SIMEX = Holding("simex", None, "USDC")


def _plan(rebalance_id: str = "rb-1") -> list[TransferRecord]:
    return [
        TransferRecord(f"{rebalance_id}-1", rebalance_id, 1, PathKind.BRIDGE, SAFE_B, SAFE_A,
                       Decimal("1500"), Decimal("1500")),
        TransferRecord(f"{rebalance_id}-2", rebalance_id, 2, PathKind.CEX_DEPOSIT, SAFE_A,
                       SIMEX, Decimal("2000"), Decimal("2000"), depends_on=(f"{rebalance_id}-1",)),
    ]


def test_intents_then_steps_when_reopened_then_state_and_facts_are_back(tmp_path: Path) -> None:
    with TransferJournal(tmp_path / "t.sqlite") as journal:
        journal.record_intents(_plan())
        bridge = journal.get("rb-1-1")
        bridge = journal.advance(bridge, TransferState.SIGNED, safe_tx={"nonce": 4})
        journal.advance(bridge, TransferState.SENT, tx_hash="0xabc")
    with TransferJournal(tmp_path / "t.sqlite") as journal:
        bridge, deposit = journal.transfers("rb-1")
        assert bridge.state is TransferState.SENT
        assert bridge.facts == {"safe_tx": {"nonce": 4}, "tx_hash": "0xabc"}
        assert deposit.depends_on == ("rb-1-1",) and deposit.destination == SIMEX
        assert deposit.amount == Decimal("2000")
        assert [r.transfer_id for r in journal.open_transfers()] == ["rb-1-1", "rb-1-2"]
        assert [e.state for e in journal.events("rb-1-1")] == [
            TransferState.INTENT, TransferState.SIGNED, TransferState.SENT]


@pytest.mark.parametrize("path", [
    (TransferState.SENT, TransferState.SIGNED),  # sent is never signed again
    (TransferState.REFUSED, TransferState.SIGNED),  # terminal
    (TransferState.ARRIVED,),  # arrival needs a send first
])
def test_advance_when_edge_is_not_in_the_table_then_refused_and_unchanged(
    tmp_path: Path, path: tuple[TransferState, ...]
) -> None:
    with TransferJournal(tmp_path / "t.sqlite") as journal:
        journal.record_intents(_plan())
        record = journal.get("rb-1-1")
        *allowed, last = path
        for state in allowed:
            record = journal.advance(record, state)
        with pytest.raises(TransitionRefused, match=f"-> {last.value}"):
            journal.advance(record, last)
        assert journal.get("rb-1-1").state is record.state


def test_record_intents_when_one_is_not_an_intent_then_none_is_written(tmp_path: Path) -> None:
    bad = [*_plan()[:1], TransferRecord("rb-1-2", "rb-1", 2, PathKind.BRIDGE, SAFE_A, SAFE_B,
                                        Decimal(1), Decimal(1), state=TransferState.SENT)]
    with TransferJournal(tmp_path / "t.sqlite") as journal:
        with pytest.raises(InvalidValue, match="starts as an intent"):
            journal.record_intents(bad)
        assert journal.transfers() == []


def test_alerts_are_appended_in_order(tmp_path: Path) -> None:
    with TransferJournal(tmp_path / "t.sqlite") as journal:
        journal.record_alert("simex", "USDC", {"held": "1000", "need": "3000"})
        journal.record_alert("simex", "USDC", {"held": "2000", "need": "3000"})
        assert [a.payload["held"] for a in journal.alerts()] == ["1000", "2000"]
