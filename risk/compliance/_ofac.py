"""Read sanctioned digital-currency addresses from OFAC's SDN files and from plain deny lists.

OFAC publishes each digital-currency address of a designated person as an ID of type
"Digital Currency Address - <CUR>" (ETH, XBT, USDT, USDC, XMR, ...):

- `sdn.xml`: `<sdnEntry>` holds `<idList><id><idType>Digital Currency Address - ETH</idType>
  <idNumber>0x...</idNumber></id></idList>`; the file opens with
  `<publshInformation><Publish_Date>MM/DD/YYYY</Publish_Date>` (OFAC's spelling).
- `SDN.CSV`: twelve unheaded columns (ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
  Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks), "-0- " for empty; the IDs are written
  into Remarks as "Digital Currency Address - ETH 0x...; alt. Digital Currency Address - XBT ...".
  The CSV carries no publication date, so the caller gives one (or the file's date is used).

Every address is kept with its currency. EVM-form addresses (0x + 40 hex, listed under ETH, USDT,
USDC, ETC, BSC, ARB, ...) are lowercased so that they match whatever chain they are used on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from risk.compliance._model import is_evm_address
from risk.compliance.errors import ListFormatError

_ID_TYPE_PREFIX = "Digital Currency Address - "
_REMARK_ID = re.compile(r"Digital Currency Address - ([A-Za-z0-9]+)\s+([A-Za-z0-9]+)")
_CSV_COLUMNS = 12
_CSV_REMARKS = 11
_CSV_NULL = "-0-"


class ListFormat(StrEnum):
    """The file formats a list can be loaded from."""

    OFAC_SDN_XML = "ofac-sdn-xml"
    OFAC_SDN_CSV = "ofac-sdn-csv"
    PLAIN = "plain"  # one address per line, '#' starts a comment


@dataclass(frozen=True)
class ListedAddress:
    """One address on a list, with the currency it is listed under and whom it belongs to."""

    address: str  # lowercase for EVM addresses, as published otherwise
    currency: str
    entity_uid: str
    entity_name: str


@dataclass(frozen=True)
class ParsedList:
    """A list file's addresses, its publication date and the digest of its bytes."""

    format: ListFormat
    published: date
    digest: str
    entries: tuple[ListedAddress, ...]


def _listed(address: str, currency: str, uid: str, name: str) -> ListedAddress:
    key = address.strip().lower() if is_evm_address(address) else address.strip()
    return ListedAddress(key, currency.upper(), uid, name)


def _local_tag(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # OFAC's XML is namespaced; match on local names


def _child_text(element: ElementTree.Element, name: str) -> str:
    for child in element:
        if _local_tag(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _xml_entries(root: ElementTree.Element) -> Iterator[ListedAddress]:
    for entry in root:
        if _local_tag(entry.tag) != "sdnEntry":
            continue
        uid = _child_text(entry, "uid")
        name = " ".join(p for p in (_child_text(entry, "firstName"),
                                    _child_text(entry, "lastName")) if p)
        for element in entry.iter():
            if _local_tag(element.tag) != "id":
                continue
            id_type = _child_text(element, "idType")
            number = _child_text(element, "idNumber")
            if id_type.startswith(_ID_TYPE_PREFIX) and number:
                yield _listed(number, id_type.removeprefix(_ID_TYPE_PREFIX), uid, name)


def _xml_publish_date(root: ElementTree.Element, path: str) -> date:
    for element in root:
        if _local_tag(element.tag) == "publshInformation":
            text = _child_text(element, "Publish_Date")
            try:
                return datetime.strptime(text, "%m/%d/%Y").date()
            except ValueError as error:
                raise ListFormatError(path, f"Publish_Date {text!r} is not MM/DD/YYYY") from error
    raise ListFormatError(path, "sdn.xml without <publshInformation><Publish_Date>")


def parse_sdn_xml(data: bytes, path: str = "sdn.xml") -> tuple[date, list[ListedAddress]]:
    """The publication date and every digital-currency address of an `sdn.xml`."""
    try:
        # OFAC's own file; Python's expat refuses entity-expansion bombs since 3.7.1.
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ListFormatError(path, f"not well-formed XML: {error}") from error
    if _local_tag(root.tag) != "sdnList":
        raise ListFormatError(path, f"root element is <{_local_tag(root.tag)}>, not <sdnList>")
    return _xml_publish_date(root, path), list(_xml_entries(root))


def parse_sdn_csv(text: str, path: str = "SDN.CSV") -> list[ListedAddress]:
    """Every digital-currency address in the Remarks column of an `SDN.CSV`."""
    entries: list[ListedAddress] = []
    for line_number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
            continue  # blank lines and the DOS end-of-file mark OFAC leaves at the end
        if len(row) != _CSV_COLUMNS:
            raise ListFormatError(
                path, f"line {line_number}: {len(row)} columns (rule: SDN.CSV rows have 12)")
        remarks = row[_CSV_REMARKS].strip()
        if remarks == _CSV_NULL:
            continue
        for currency, address in _REMARK_ID.findall(remarks):
            entries.append(_listed(address, currency, row[0].strip(), row[1].strip()))
    return entries


def parse_plain(text: str, path: str = "deny list") -> list[ListedAddress]:
    """Addresses one per line; '#' starts a comment. Every line must be an EVM address."""
    entries: list[ListedAddress] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        if not is_evm_address(value):
            raise ListFormatError(
                path, f"line {line_number}: {value!r} is not an EVM address (rule: 0x + 40 hex)")
        entries.append(_listed(value, "ETH", "", ""))
    return entries


def detect_format(data: bytes) -> ListFormat:
    """Tell an OFAC XML, an OFAC CSV and a plain address list apart by their content."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if head.startswith(b"<"):
        return ListFormat.OFAC_SDN_XML
    first = head.split(b"\n", 1)[0]
    if re.match(rb"\s*\d+\s*,", first):
        return ListFormat.OFAC_SDN_CSV
    return ListFormat.PLAIN


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # older OFAC CSVs are Windows-1252


def _dedupe(entries: list[ListedAddress]) -> tuple[ListedAddress, ...]:
    seen: dict[tuple[str, str], ListedAddress] = {}
    for entry in entries:
        seen.setdefault((entry.currency, entry.address), entry)
    return tuple(seen.values())


def parse_list_file(path: Path, published: date | None = None,
                    list_format: ListFormat | None = None) -> ParsedList:
    """Read a list file in any supported format (detected unless given).

    `published` overrides the file's own date; it is required in substance for CSV and plain
    lists, which carry none: without it the file's modification date (UTC) is used.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ListFormatError(str(path), f"cannot read the file: {error.strerror}") from error
    kind = list_format or detect_format(data)
    file_date = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
    if kind is ListFormat.OFAC_SDN_XML:
        xml_date, entries = parse_sdn_xml(data, str(path))
        when = published or xml_date
    elif kind is ListFormat.OFAC_SDN_CSV:
        entries, when = parse_sdn_csv(_decode(data), str(path)), published or file_date
    else:
        entries, when = parse_plain(_decode(data), str(path)), published or file_date
    return ParsedList(kind, when, hashlib.sha256(data).hexdigest(), _dedupe(entries))
