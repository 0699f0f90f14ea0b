"""Deribit's instrument names, both ways: `BTC-27DEC26-90000-C` <-> an option `Instrument`.

Deribit names an option UNDERLYING-DMMMYY-STRIKE-C|P (a decimal strike writes "d" for the
point) and every expiry is at 08:00 UTC of its date (Deribit Knowledge Base, "Contract
specifications"). An option `Instrument` has the underlying as base and USD, the strike's
currency, as quote; its premium is paid in the underlying coin (coin-settled options).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from engine.model import Instrument, InstrumentKind, OptionRight
from engine.strategies._errors import InvalidStrategy

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_EXPIRY = re.compile(r"^(\d{1,2})([A-Z]{3})(\d{2})$")
_OPTION = re.compile(r"^([A-Z0-9]{2,10})-(\d{1,2}[A-Z]{3}\d{2})-(\d+(?:D\d+)?)-([CP])$")
_SETTLEMENT_HOUR_UTC = 8
_STRIKE_QUOTE = "USD"


def parse_expiry(text: str, field: str = "expiry") -> int:
    """`27DEC26` -> the expiry instant (08:00 UTC that day) in ns; InvalidStrategy if malformed."""
    match = _EXPIRY.fullmatch(text.strip().upper())
    if match is None or match.group(2) not in _MONTHS:
        raise InvalidStrategy(field, f"{text!r} is not a Deribit expiry like 27DEC26")
    day, month, year = int(match.group(1)), _MONTHS.index(match.group(2)) + 1, int(match.group(3))
    try:
        moment = datetime(2000 + year, month, day, _SETTLEMENT_HOUR_UTC, tzinfo=UTC)
    except ValueError:
        raise InvalidStrategy(field, f"{text!r} is not a calendar date") from None
    return int(moment.timestamp()) * 1_000_000_000


def format_expiry(expiry_ts_ns: int) -> str:
    """The expiry instant as Deribit writes it: 27DEC26 (no leading zero on the day)."""
    moment = datetime.fromtimestamp(expiry_ts_ns // 1_000_000_000, UTC)
    return f"{moment.day}{_MONTHS[moment.month - 1]}{moment:%y}"


def option(underlying: str, expiry_ts_ns: int, strike: Decimal, right: OptionRight) -> Instrument:
    """The option `Instrument`: base the underlying, quote USD (the strike's currency)."""
    return Instrument(base=underlying, quote=_STRIKE_QUOTE, kind=InstrumentKind.OPTION,
                      expiry_ts_ns=expiry_ts_ns, strike=strike, right=right)


def deribit_name(instrument: Instrument) -> str:
    """`BTC-27DEC26-90000-C` for an option; `BTC-PERPETUAL` for a perpetual."""
    if instrument.kind is InstrumentKind.PERPETUAL:
        return f"{instrument.base}-PERPETUAL"
    if (instrument.kind is not InstrumentKind.OPTION or instrument.expiry_ts_ns is None
            or instrument.strike is None or instrument.right is None):
        raise InvalidStrategy("instrument", f"{instrument.id} is not an option or perpetual")
    strike = format(instrument.strike.normalize(), "f").replace(".", "d")
    right = "C" if instrument.right is OptionRight.CALL else "P"
    return f"{instrument.base}-{format_expiry(instrument.expiry_ts_ns)}-{strike}-{right}"


def from_deribit_name(name: str) -> Instrument:
    """The option `Instrument` of a Deribit option name; InvalidStrategy for anything else."""
    match = _OPTION.fullmatch(name.strip().upper())
    if match is None:
        raise InvalidStrategy("instrument", f"{name!r} is not a Deribit option name")
    try:
        strike = Decimal(match.group(3).replace("D", "."))
    except InvalidOperation:
        raise InvalidStrategy("instrument", f"{name!r} has no numeric strike") from None
    right = OptionRight.CALL if match.group(4) == "C" else OptionRight.PUT
    return option(match.group(1), parse_expiry(match.group(2), "instrument"), strike, right)


def days_to_expiry(instrument: Instrument, now_ns: int) -> Decimal:
    """Calendar days from `now_ns` to the expiry (Actual/365 counts these), exact."""
    if instrument.expiry_ts_ns is None:
        raise InvalidStrategy("instrument", f"{instrument.id} has no expiry")
    return Decimal(instrument.expiry_ts_ns - now_ns) / Decimal(86_400 * 10**9)


def is_expired(instrument: Instrument, now_ns: int) -> bool:
    return instrument.expiry_ts_ns is not None and instrument.expiry_ts_ns <= now_ns
