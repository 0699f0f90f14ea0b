"""Screening decisions go into the engine's journal as append-only audit records."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import JournalError
from engine.journal import Journal, JournalConfig
from risk.compliance import (
    AUDIT_KIND,
    AddressRole,
    Decision,
    ListEffect,
    ListStore,
    Screener,
    ScreeningDecision,
    ScreeningRequest,
    parse_list_file,
)
from risk.compliance.errors import InvalidAddress

from factories import new_order

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ofac"
SANCTIONED = "0x7E57000000000000000000000000000000000001"
CLEAN = "0x" + "c1" * 20


def test_decisions_are_journaled_and_replayable_from_the_journal(tmp_path: Path) -> None:
    store = ListStore(f"sqlite:///{tmp_path / 'compliance.sqlite'}")
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v1.xml"),
               source="v1")
    journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
    journal.record_new_order(new_order(0))
    screener = Screener(store, audit=journal)
    denied = screener.screen(ScreeningRequest.of("leg-1", "simex", [
        (SANCTIONED, AddressRole.CEX_WITHDRAWAL)]))
    screener.screen(ScreeningRequest.of("leg-2", "simex", [(CLEAN, AddressRole.CEX_DEPOSIT)]))
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v2.xml"),
               source="v2")

    records = journal.audit_records(AUDIT_KIND)
    assert [(r.subject, r.seq) for r in records] == [("leg-1", 1), ("leg-2", 2)]
    stored = ScreeningDecision.from_json(journal.audit_records(subject="leg-1")[0].payload_json)
    assert stored == denied
    assert screener.replay(stored).decision is Decision.DENY
    assert screener.replay(stored).list_version == 1
    # The order log and its projections are untouched by audit records.
    assert len(journal.events()) == 1
    assert journal.replay() == journal.projections()
    journal.close()


def test_append_audit_when_payload_not_json_then_refused(tmp_path: Path) -> None:
    with Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'j.sqlite'}")) as journal:
        with pytest.raises(JournalError, match="payload_json"):
            journal.append_audit("compliance.screening", "leg", "{nope", 1)
        assert journal.audit_records() == []


def test_request_when_address_malformed_then_names_role_and_rule() -> None:
    with pytest.raises(InvalidAddress, match=r"recipient: '0x1234' is not an EVM address"):
        ScreeningRequest.of("leg", "v", [("0x1234", AddressRole.RECIPIENT)])
