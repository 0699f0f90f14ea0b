"""The gate: decisions, list updates mid-run, replay against old list versions, fail closed."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from risk.compliance import (
    AddressRole,
    Decision,
    ListEffect,
    ListStore,
    ReasonCode,
    ScreenedAddress,
    Screener,
    ScreeningContext,
    ScreeningDecision,
    ScreeningRequest,
    parse_list_file,
)
from risk.compliance._sources import Findings

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "ofac"
SANCTIONED = "0x7e57000000000000000000000000000000000001"
LATER = "0x7E57000000000000000000000000000000000004"
DELISTED = "0x7e57000000000000000000000000000000000003"
CLEAN = "0x" + "c1" * 20
POOL = "0x" + "a0" * 20


def _load(store: ListStore, name: str) -> None:
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / name), source=name)


def _leg(recipient: str, leg: str = "leg-1") -> ScreeningRequest:
    return ScreeningRequest.of(leg, "uniswap_v3", [(POOL, AddressRole.POOL),
                                                   (recipient, AddressRole.RECIPIENT)])


class _Recorder:
    def __init__(self) -> None:
        self.records: list[tuple[str, str, str, int]] = []

    def append_audit(self, kind: str, subject: str, payload_json: str, ts_ns: int) -> int:
        self.records.append((kind, subject, payload_json, ts_ns))
        return len(self.records)


def test_screen_when_recipient_sanctioned_then_leg_denied_with_reason_and_version(
    store: ListStore,
) -> None:
    _load(store, "sdn_v1.xml")
    decision = Screener(store).screen(_leg(SANCTIONED))
    assert decision.decision is Decision.DENY
    assert decision.list_version == 1
    recipient = decision.verdict_for(SANCTIONED)
    assert recipient.role is AddressRole.RECIPIENT
    assert [r.code for r in recipient.reasons] == [ReasonCode.SANCTIONS_LIST_HIT]
    assert "FICTITIOUS TEST MIXER ONE" in recipient.reasons[0].text
    assert "published 2026-01-15" in recipient.reasons[0].text
    assert decision.verdict_for(POOL).decision is Decision.ALLOW


def test_screen_when_all_clean_then_allow(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    decision = Screener(store).screen(_leg(CLEAN))
    assert decision.decision is Decision.ALLOW
    assert decision.reasons == ()


def test_screen_when_list_updated_mid_run_then_next_leg_uses_new_list(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    screener = Screener(store)
    before = screener.screen(_leg(LATER, "leg-1"))
    _load(store, "sdn_v2.xml")  # a sync in another process would write the same rows
    after = screener.screen(_leg(LATER, "leg-2"))
    assert (before.decision, before.list_version) == (Decision.ALLOW, 1)
    assert (after.decision, after.list_version) == (Decision.DENY, 2)


def test_replay_when_list_changed_since_then_old_answer(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    screener = Screener(store)
    old = screener.screen(_leg(DELISTED))
    _load(store, "sdn_v2.xml")
    assert screener.screen(_leg(DELISTED)).decision is Decision.ALLOW  # delisted in v2
    replayed = screener.replay(ScreeningDecision.from_json(old.to_json()))
    assert old.decision is replayed.decision is Decision.DENY
    assert replayed.list_version == 1
    assert [r.code for r in replayed.reasons] == [r.code for r in old.reasons]
    assert [r.text for r in replayed.reasons] == [r.text for r in old.reasons]


def test_screen_when_no_sanctions_list_loaded_then_denies(store: ListStore) -> None:
    decision = Screener(store).screen(_leg(CLEAN))
    assert decision.decision is Decision.DENY
    assert ReasonCode.NO_SANCTIONS_LIST in {r.code for r in decision.reasons}


def test_screen_when_local_deny_listed_then_denied_and_allow_list_cannot_clear_it(
    store: ListStore,
) -> None:
    _load(store, "sdn_v1.xml")
    store.load_addresses("local-deny", ListEffect.DENY, [CLEAN])
    store.load_addresses("local-allow", ListEffect.ALLOW, [CLEAN, SANCTIONED])
    decision = Screener(store).screen(_leg(CLEAN))
    assert decision.verdict_for(CLEAN).decision is Decision.DENY
    assert Screener(store).screen(_leg(SANCTIONED)).decision is Decision.DENY


def test_screen_when_allow_listed_then_review_findings_cleared(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    store.load_addresses("mixers", ListEffect.MIXER, [CLEAN])
    assert Screener(store).screen(_leg(CLEAN)).decision is Decision.REVIEW
    store.load_addresses("local-allow", ListEffect.ALLOW, [CLEAN])
    verdict = Screener(store).screen(_leg(CLEAN)).verdict_for(CLEAN)
    assert verdict.decision is Decision.ALLOW
    assert {r.code for r in verdict.reasons} == {ReasonCode.MIXER_CONTACT,
                                                 ReasonCode.ALLOW_LISTED}


class _Broken:
    name = "broken"

    def findings(self, subjects: Sequence[ScreenedAddress],
                 context: ScreeningContext) -> Findings:
        raise RuntimeError("database is gone")


def test_screen_when_a_source_raises_then_fail_closed(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    decision = Screener(store, [_Broken()]).screen(_leg(CLEAN))
    assert decision.decision is Decision.DENY
    failed = [r for r in decision.reasons if r.code is ReasonCode.SOURCE_FAILED]
    assert len(failed) == 2 and "database is gone" in failed[0].text


def test_screen_records_the_decision_in_the_audit_sink(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    audit = _Recorder()
    decision = Screener(store, audit=audit, clock=lambda: 123).screen(_leg(SANCTIONED))
    assert len(audit.records) == 1
    kind, subject, payload, ts_ns = audit.records[0]
    assert (kind, subject, ts_ns) == ("compliance.screening", "leg-1", 123)
    assert json.loads(payload)["decision"] == "deny"
    assert ScreeningDecision.from_json(payload) == decision


def test_decision_to_json_round_trips_and_is_frozen(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    decision = Screener(store).screen(_leg(SANCTIONED))
    document = json.loads(decision.to_json())
    assert document["list_version"] == 1
    assert document["verdicts"][1]["reasons"][0]["code"] == "sanctions_list_hit"
    assert ScreeningDecision.from_json(decision.to_json()) == decision
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.decision = Decision.ALLOW  # type: ignore[misc]


def test_screen_when_address_has_two_roles_then_each_verdict_has_its_reasons_once(
    store: ListStore,
) -> None:
    _load(store, "sdn_v1.xml")
    leg = ScreeningRequest.of("leg", "v", [(SANCTIONED, AddressRole.RECIPIENT),
                                           (SANCTIONED, AddressRole.SAFE_OWNER)])
    decision = Screener(store).screen(leg)
    assert [v.role for v in decision.verdicts] == [AddressRole.RECIPIENT,
                                                   AddressRole.SAFE_OWNER]
    assert [len(v.reasons) for v in decision.verdicts] == [1, 1]


def test_screen_at_old_version_answers_with_that_version(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    _load(store, "sdn_v2.xml")
    screener = Screener(store)
    assert screener.screen_at(_leg(DELISTED), 1).decision is Decision.DENY
    assert screener.screen_at(_leg(DELISTED), 2).decision is Decision.ALLOW
