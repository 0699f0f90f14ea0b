"""OFAC SDN files in their official formats (fixtures: tests/fixtures/ofac, fictitious data)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from risk.compliance import (
    ListFormat,
    detect_format,
    parse_list_file,
    parse_plain,
    parse_sdn_csv,
    parse_sdn_xml,
)
from risk.compliance.errors import ListFormatError

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "ofac"
MIXER_ONE = "0x7e57000000000000000000000000000000000001"
PERSON_ETH = "0x7e57000000000000000000000000000000000002"
PERSON_USDT = "0x7e57000000000000000000000000000000000003"


def test_parse_sdn_xml_when_official_shape_then_publish_date_and_every_currency_kept() -> None:
    published, entries = parse_sdn_xml((FIXTURES / "sdn_v1.xml").read_bytes())
    assert published == date(2026, 1, 15)
    assert {(e.currency, e.address) for e in entries} == {
        ("ETH", MIXER_ONE), ("XBT", "1TestTestTestTestTestTestTestTest1"),
        ("ETH", PERSON_ETH), ("USDT", PERSON_USDT)}
    person = next(e for e in entries if e.address == PERSON_ETH)
    assert (person.entity_uid, person.entity_name) == ("900002", "Testperson EXAMPLE")


def test_parse_sdn_xml_when_no_publish_information_then_refuses() -> None:
    with pytest.raises(ListFormatError, match="Publish_Date"):
        parse_sdn_xml(b"<sdnList><sdnEntry><uid>1</uid></sdnEntry></sdnList>")


def test_parse_sdn_xml_when_other_root_then_refuses() -> None:
    with pytest.raises(ListFormatError, match="not <sdnList>"):
        parse_sdn_xml(b"<html></html>")


def test_parse_sdn_csv_when_remarks_hold_addresses_then_extracted_with_currency() -> None:
    text = (FIXTURES / "SDN.CSV").read_bytes().decode()
    entries = parse_sdn_csv(text)
    assert [(e.currency, e.address) for e in entries] == [
        ("ETH", MIXER_ONE), ("XBT", "1TestTestTestTestTestTestTestTest1"),
        ("ETH", PERSON_ETH), ("USDT", PERSON_USDT)]
    assert entries[2].entity_name == "EXAMPLE, Testperson"


def test_parse_sdn_csv_when_row_has_wrong_column_count_then_names_line_and_rule() -> None:
    with pytest.raises(ListFormatError, match=r"line 1: 3 columns \(rule: SDN.CSV rows have 12\)"):
        parse_sdn_csv('1,"X",-0- \n')


def test_csv_and_xml_of_same_list_hold_the_same_addresses() -> None:
    from_xml = parse_list_file(FIXTURES / "sdn_v1.xml")
    from_csv = parse_list_file(FIXTURES / "SDN.CSV", published=date(2026, 1, 15))
    assert {(e.currency, e.address) for e in from_xml.entries} == \
        {(e.currency, e.address) for e in from_csv.entries}
    assert from_csv.published == from_xml.published


def test_detect_format_tells_the_three_formats_apart() -> None:
    assert detect_format((FIXTURES / "sdn_v1.xml").read_bytes()) is ListFormat.OFAC_SDN_XML
    assert detect_format((FIXTURES / "SDN.CSV").read_bytes()) is ListFormat.OFAC_SDN_CSV
    assert detect_format(f"# deny\n{MIXER_ONE}\n".encode()) is ListFormat.PLAIN


def test_parse_plain_when_line_not_an_address_then_names_line() -> None:
    assert [e.address for e in parse_plain(f"{MIXER_ONE.upper().replace('0X', '0x')} # x\n")] \
        == [MIXER_ONE]
    with pytest.raises(ListFormatError, match="line 2: 'nope'"):
        parse_plain(f"{MIXER_ONE}\nnope\n")


def test_parse_list_file_digest_differs_between_versions() -> None:
    first, second = (parse_list_file(FIXTURES / n) for n in ("sdn_v1.xml", "sdn_v2.xml"))
    assert first.digest != second.digest
    assert second.published == date(2026, 2, 1)
