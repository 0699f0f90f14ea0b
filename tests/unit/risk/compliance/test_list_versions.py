"""Every list version is kept with its publication date; snapshots read a past version."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from risk.compliance import ListEffect, ListStore, parse_list_file
from risk.compliance.errors import InvalidAddress, UnknownListVersion

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "ofac"
PERSON_USDT = "0x7e57000000000000000000000000000000000003"
LATER = "0x7e57000000000000000000000000000000000004"


def _load(store: ListStore, name: str) -> int:
    return store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / name),
                      source=name).version


def test_load_when_two_versions_then_both_kept_with_their_publication_dates(
    store: ListStore,
) -> None:
    first, second = _load(store, "sdn_v1.xml"), _load(store, "sdn_v2.xml")
    assert (first, second) == (1, 2)
    assert [(v.version, v.published) for v in store.versions("ofac-sdn")] == [
        (1, date(2026, 1, 15)), (2, date(2026, 2, 1))]


def test_load_when_same_file_again_then_no_new_version(store: ListStore) -> None:
    assert _load(store, "sdn_v1.xml") == _load(store, "sdn_v1.xml") == 1
    assert store.latest_version() == 1


def test_snapshot_at_old_version_then_old_membership(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    _load(store, "sdn_v2.xml")
    old, new = store.snapshot(1), store.snapshot()
    assert PERSON_USDT in old.addresses(ListEffect.SANCTIONS)
    assert PERSON_USDT not in new.addresses(ListEffect.SANCTIONS)
    assert LATER in new.addresses(ListEffect.SANCTIONS)
    assert LATER not in old.addresses(ListEffect.SANCTIONS)
    assert store.contains(1, PERSON_USDT) and not store.contains(2, PERSON_USDT)


def test_snapshot_keeps_each_list_at_its_newest_version_not_after_n(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    deny = store.load_addresses("local-deny", ListEffect.DENY, ["0x" + "ab" * 20])
    _load(store, "sdn_v2.xml")
    at_deny = store.snapshot(deny.version)
    assert [(v.list_name, v.version) for v in at_deny.lists] == [("local-deny", 2),
                                                                  ("ofac-sdn", 1)]


def test_snapshot_when_version_unknown_then_error_names_rule(store: ListStore) -> None:
    _load(store, "sdn_v1.xml")
    with pytest.raises(UnknownListVersion, match=r"1 <= version <= 1"):
        store.snapshot(7)


def test_load_addresses_when_entry_not_an_address_then_invalid_address(store: ListStore) -> None:
    with pytest.raises(InvalidAddress, match="local-deny entry"):
        store.load_addresses("local-deny", ListEffect.DENY, ["0x12"])
