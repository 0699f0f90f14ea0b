"""Typed identifiers, checksummed addresses and deterministic client order ids."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import NewType

from eth_typing import ChecksumAddress
from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address

from engine.errors import InvalidValue

VenueId = NewType("VenueId", str)
InstrumentId = NewType("InstrumentId", str)
ClientOrderId = NewType("ClientOrderId", str)
VenueOrderId = NewType("VenueOrderId", str)
ChainId = NewType("ChainId", int)
TxHash = NewType("TxHash", str)

_TX_HASH_PATTERN = re.compile(r"^0x[0-9a-fA-F]{64}$")


def checksum_address(value: str, field: str = "address") -> ChecksumAddress:
    """The EIP-55 form of an address.

    All-lowercase (or all-uppercase) hex is accepted and checksummed, since RPCs return it that
    way; mixed case must already carry a valid checksum, because a wrong one means a typo.
    """
    if not isinstance(value, str) or not value.startswith("0x") or not is_hex_address(value):
        raise InvalidValue(field, f"{value!r} is not 0x and a 20-byte hex address")
    body = value[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        raise InvalidValue(field, f"{value} has an invalid EIP-55 checksum")
    return to_checksum_address(value)


def tx_hash(value: str) -> TxHash:
    """A transaction hash: 0x and 64 hex digits, kept lowercase so equal hashes compare equal."""
    if not isinstance(value, str) or not _TX_HASH_PATTERN.fullmatch(value):
        raise InvalidValue("tx_hash", f"{value!r} is not 0x followed by 64 hex digits")
    return TxHash(value.lower())


# --- client order ids ----------------------------------------------------------------------

# Binance accepts newClientOrderId matching ^[a-zA-Z0-9-_]{1,36}$: the tightest of our venues.
CLIENT_ORDER_ID_MAX_LENGTH = 36
CLIENT_ORDER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,36}$"
_CLIENT_ORDER_ID_RE = re.compile(CLIENT_ORDER_ID_PATTERN)
_SEQUENCE_LIMIT = 36**8
_BASE36_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    text = ""
    while True:
        number, remainder = divmod(number, 36)
        text = _BASE36_DIGITS[remainder] + text
        if number == 0:
            return text


def client_order_id(parent_id: str, sequence: int) -> ClientOrderId:
    """The id of child `sequence` of parent `parent_id`: deterministic, unique, venue-safe.

    `cb` + 16 base32 characters of a BLAKE2b digest of the parent id (80 bits: distinct parents
    collide with negligible probability, and the hash is the same in every process, unlike
    `hash()`) + `-` + the sequence in base 36. At most 27 characters of [a-z0-9-], so within
    every venue's limit; the `-` keeps (parent, sequence) pairs from running into each other.
    """
    if not isinstance(parent_id, str) or not parent_id:
        raise InvalidValue("parent_id", "must be a non-empty string")
    if isinstance(sequence, bool) or not isinstance(sequence, int):
        raise InvalidValue("sequence", f"must be an int, got {type(sequence).__name__}")
    if not 0 <= sequence < _SEQUENCE_LIMIT:
        raise InvalidValue("sequence", f"must be in [0, {_SEQUENCE_LIMIT})")
    digest = hashlib.blake2b(parent_id.encode(), digest_size=10).digest()
    prefix = base64.b32encode(digest).decode().lower()
    return ClientOrderId(f"cb{prefix}-{_base36(sequence)}")


def validate_client_order_id(value: str) -> ClientOrderId:
    """Check that an id fits every venue's client order id rules."""
    if not isinstance(value, str) or not _CLIENT_ORDER_ID_RE.fullmatch(value):
        raise InvalidValue(
            "client_order_id", f"{value!r} must be 1-36 characters of [A-Za-z0-9_-]"
        )
    return ClientOrderId(value)
