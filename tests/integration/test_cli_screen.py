"""`crossbook screen` as an operator runs it: a real subprocess on a store in a temp dir."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.journal import Journal, JournalConfig

from cli import crossbook

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ofac"
SANCTIONED = "0x7E57000000000000000000000000000000000001"
LATER = "0x7e57000000000000000000000000000000000004"
CLEAN = "0x" + "c1" * 20


@pytest.fixture
def urls(tmp_path: Path) -> tuple[str, str]:
    return (f"sqlite:///{tmp_path / 'compliance.sqlite'}",
            f"sqlite:///{tmp_path / 'journal.sqlite'}")


def _screen(urls: tuple[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return crossbook("screen", *args, "--store", urls[0], "--journal", urls[1])


def test_sync_xml_then_screen_json_gives_decision_reasons_and_list_version(
    urls: tuple[str, str],
) -> None:
    synced = crossbook("screen", "sync", "--file", str(FIXTURES / "sdn_v1.xml"), "--store",
                       urls[0], "--json")
    assert synced.returncode == 0, synced.stderr
    loaded = json.loads(synced.stdout)
    assert (loaded["version"], loaded["published"], loaded["format"], loaded["entry_count"]) == \
        (1, "2026-01-15", "ofac-sdn-xml", 4)

    result = _screen(urls, SANCTIONED, CLEAN, "--json")
    assert result.returncode == 1, result.stderr  # a denied address is a domain refusal
    document = json.loads(result.stdout)
    by_address = {r["address"]: r for r in document["results"]}
    assert set(by_address[CLEAN]) >= {"address", "decision", "reasons", "list_version"}
    assert by_address[SANCTIONED.lower()]["decision"] == "deny"
    assert by_address[SANCTIONED.lower()]["reasons"][0]["code"] == "sanctions_list_hit"
    assert by_address[CLEAN]["decision"] == "allow" and by_address[CLEAN]["reasons"] == []
    assert {r["list_version"] for r in document["results"]} == {1}


def test_screen_when_all_allowed_then_exit_0_and_table_names_version(
    urls: tuple[str, str],
) -> None:
    crossbook("screen", "sync", "--file", str(FIXTURES / "sdn_v1.xml"), "--store", urls[0])
    result = _screen(urls, CLEAN)
    assert result.returncode == 0, result.stderr
    assert "list version 1" in result.stdout and "allow" in result.stdout


def test_sync_new_version_then_next_screen_uses_it_and_decisions_are_journaled(
    urls: tuple[str, str],
) -> None:
    crossbook("screen", "sync", "--file", str(FIXTURES / "sdn_v1.xml"), "--store", urls[0])
    before = json.loads(_screen(urls, LATER, "--json").stdout)
    crossbook("screen", "sync", "--file", str(FIXTURES / "sdn_v2.xml"), "--store", urls[0])
    after = _screen(urls, LATER, "--json")
    assert before["results"][0]["decision"] == "allow"
    assert after.returncode == 1
    assert json.loads(after.stdout)["results"][0]["list_version"] == 2
    with Journal(JournalConfig(url=urls[1])) as journal:
        records = journal.audit_records("compliance.screening")
    assert [json.loads(r.payload_json)["decision"] for r in records] == ["allow", "deny"]


def test_sync_csv_and_plain_deny_list_are_detected(urls: tuple[str, str], tmp_path: Path) -> None:
    csv = crossbook("screen", "sync", "--file", str(FIXTURES / "SDN.CSV"), "--published",
                    "2026-01-15", "--store", urls[0], "--json")
    assert json.loads(csv.stdout)["format"] == "ofac-sdn-csv"
    deny = tmp_path / "deny.txt"
    deny.write_text(f"# the desk's own deny list\n{CLEAN}\n")
    plain = crossbook("screen", "sync", "--file", str(deny), "--store", urls[0], "--json")
    loaded = json.loads(plain.stdout)
    assert (loaded["format"], loaded["list_name"], loaded["effect"]) == \
        ("plain", "local-deny", "deny")
    result = json.loads(_screen(urls, CLEAN, "--json").stdout)["results"][0]
    assert [r["code"] for r in result["reasons"]] == ["local_deny_list"]


def test_screen_when_no_list_loaded_then_fail_closed(urls: tuple[str, str]) -> None:
    result = _screen(urls, CLEAN, "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["results"][0]["reasons"][0]["code"] == "no_sanctions_list"


def test_usage_errors_exit_2_with_the_rule(urls: tuple[str, str], tmp_path: Path) -> None:
    bad_address = _screen(urls, "0x12")
    assert bad_address.returncode == 2 and "0x followed by 40 hex digits" in bad_address.stderr
    broken = tmp_path / "broken.txt"
    broken.write_text("not an address\n")
    bad_file = crossbook("screen", "sync", "--file", str(broken), "--store", urls[0])
    assert bad_file.returncode == 2 and "line 1" in bad_file.stderr


def test_store_location_from_environment(tmp_path: Path) -> None:
    env = {**os.environ, "CROSSBOOK_COMPLIANCE_URL": f"sqlite:///{tmp_path / 'env.sqlite'}",
           "CROSSBOOK_JOURNAL_URL": f"sqlite:///{tmp_path / 'journal.sqlite'}"}
    synced = subprocess.run([sys.executable, "-m", "engine.cli", "screen", "sync", "--file",
                             str(FIXTURES / "sdn_v1.xml")], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert synced.returncode == 0, synced.stderr
    assert (tmp_path / "env.sqlite").exists()


def test_screen_when_oracle_rpc_unreachable_then_denied_fail_closed(
    urls: tuple[str, str],
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    crossbook("screen", "sync", "--file", str(FIXTURES / "sdn_v1.xml"), "--store", urls[0])
    result = _screen(urls, CLEAN, "--rpc", f"http://127.0.0.1:{port}", "--oracle", LATER,
                     "--json")
    assert result.returncode == 1
    reasons = json.loads(result.stdout)["results"][0]["reasons"]
    assert [r["code"] for r in reasons] == ["oracle_unavailable"]
    assert "fail closed" in reasons[0]["text"]


def test_versions_lists_both_and_list_version_answers_as_then(urls: tuple[str, str]) -> None:
    for name in ("sdn_v1.xml", "sdn_v2.xml"):
        crossbook("screen", "sync", "--file", str(FIXTURES / name), "--store", urls[0])
    listed = json.loads(crossbook("screen", "versions", "--store", urls[0], "--json").stdout)
    assert [(v["version"], v["published"]) for v in listed["versions"]] == [
        (1, "2026-01-15"), (2, "2026-02-01")]
    old = _screen(urls, LATER, "--list-version", "1", "--json")
    assert old.returncode == 0 and json.loads(old.stdout)["results"][0]["decision"] == "allow"
    assert _screen(urls, LATER, "--list-version", "9").returncode == 2


def test_screen_with_devnet_oracle_denies_an_address_listed_on_chain(
    urls: tuple[str, str], w3: Any, devnet: dict[str, Any]
) -> None:
    listed = w3.eth.accounts[5]
    oracle = w3.eth.contract(address=devnet["sanctions_oracle"],
                             abi=devnet["abis"]["SanctionsOracle"])
    oracle.functions.addToSanctionsList([listed]).transact({"from": devnet["deployer"]})
    crossbook("screen", "sync", "--file", str(FIXTURES / "sdn_v1.xml"), "--store", urls[0])
    result = _screen(urls, listed, CLEAN, "--rpc", devnet["rpc_url"], "--oracle",
                     devnet["sanctions_oracle"], "--json")
    assert result.returncode == 1, result.stderr
    by_address = {r["address"]: r for r in json.loads(result.stdout)["results"]}
    assert [r["code"] for r in by_address[listed.lower()]["reasons"]] == ["oracle_sanctioned"]
    assert by_address[CLEAN]["decision"] == "allow"
