"""Money and identifiers: Decimal prices and quantities, integer base units, typed ids."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Annotated, Any, NewType

from pydantic import BeforeValidator

from engine.errors import AssetMismatch, InvalidValue

VenueId = NewType("VenueId", str)
InstrumentId = NewType("InstrumentId", str)
ClientOrderId = NewType("ClientOrderId", str)
VenueOrderId = NewType("VenueOrderId", str)
ChainId = NewType("ChainId", int)
TxHash = NewType("TxHash", str)


def to_decimal(value: object, field: str = "value") -> Decimal:
    """A Decimal from a str, int or Decimal; floats are refused because they are not money."""
    if isinstance(value, bool | float):
        raise InvalidValue(field, f"must be a decimal string, int or Decimal, not {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation as error:
            raise InvalidValue(field, f"{value!r} is not a decimal number") from error
    else:
        raise InvalidValue(field, f"must be a decimal, got {type(value).__name__}")
    if not result.is_finite():
        raise InvalidValue(field, "must be finite")
    return result


def _strict_decimal(value: Any) -> Decimal:
    # Raised as ValueError so pydantic reports it under the field's own name.
    try:
        return to_decimal(value)
    except InvalidValue as error:
        raise ValueError(error.reason) from None


# A Decimal field that refuses floats, for every pydantic model in the domain.
Money = Annotated[Decimal, BeforeValidator(_strict_decimal)]


def to_base_units(amount: Decimal, decimals: int, rounding: str | None = None) -> int:
    """Integer base units of a human amount (e.g. 1.5 USDC -> 1_500_000).

    Refuses amounts finer than one base unit unless a rounding mode (ROUND_DOWN, ROUND_UP, ...)
    says which way to go: silently dropping dust is how balances drift.
    """
    scaled = to_decimal(amount, "amount").scaleb(decimals)
    if scaled != scaled.to_integral_value():
        if rounding is None:
            raise InvalidValue("amount", f"{amount} has more than {decimals} decimals")
        scaled = scaled.to_integral_value(rounding=rounding)
    return int(scaled)


def from_base_units(raw: int, decimals: int) -> Decimal:
    """The human amount of `raw` base units, exact."""
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise InvalidValue("raw", f"base units must be an int, got {type(raw).__name__}")
    return Decimal(raw).scaleb(-decimals)


@dataclass(frozen=True)
class Amount:
    """A token amount in integer base units, tied to its asset and scale."""

    symbol: str
    decimals: int
    raw: int

    def _check_same(self, other: Amount) -> None:
        if (self.symbol, self.decimals) != (other.symbol, other.decimals):
            raise AssetMismatch(
                f"cannot combine {self.symbol}/{self.decimals} with {other.symbol}/{other.decimals}"
            )

    def __add__(self, other: Amount) -> Amount:
        self._check_same(other)
        return Amount(self.symbol, self.decimals, self.raw + other.raw)

    def __sub__(self, other: Amount) -> Amount:
        self._check_same(other)
        return Amount(self.symbol, self.decimals, self.raw - other.raw)

    @property
    def human(self) -> Decimal:
        return from_base_units(self.raw, self.decimals)


def quantize_down(value: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of `step` at most `value`."""
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def quantize_up(value: Decimal, step: Decimal) -> Decimal:
    """The smallest multiple of `step` at least `value`."""
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


# --- client order ids ----------------------------------------------------------------------

# Binance accepts newClientOrderId matching ^[a-zA-Z0-9-_]{1,36}$; the tightest of our venues.
CLIENT_ORDER_ID_MAX_LENGTH = 36
_CLIENT_ORDER_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
_SEQUENCE_LIMIT = 36**8


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
        if number == 0:
            return text


def client_order_id(parent_id: str, sequence: int) -> ClientOrderId:
    """The id of child `sequence` of parent `parent_id`: deterministic, unique, venue-safe.

    `cb` + 16 base32 characters of a BLAKE2b digest of the parent id (80 bits, so distinct
    parents collide with negligible probability) + `-` + the sequence in base 36: at most 27
    characters of [a-z0-9-], within every venue's limit.
    """
    if not parent_id:
        raise InvalidValue("parent_id", "must not be empty")
    if not 0 <= sequence < _SEQUENCE_LIMIT:
        raise InvalidValue("sequence", f"must be in [0, {_SEQUENCE_LIMIT})")
    digest = hashlib.blake2b(parent_id.encode(), digest_size=10).digest()
    prefix = base64.b32encode(digest).decode().lower()
    return ClientOrderId(f"cb{prefix}-{_base36(sequence)}")


def validate_client_order_id(value: str) -> ClientOrderId:
    """Check that an id fits every venue's client order id rules."""
    if not _CLIENT_ORDER_ID_PATTERN.fullmatch(value):
        raise InvalidValue(
            "client_order_id", f"{value!r} must be 1-36 characters of [A-Za-z0-9_-]"
        )
    return ClientOrderId(value)

