"""Strategy builders: each options package as the legs (instrument, side, ratio) it trades.

    condor = iron_condor("BTC", "27DEC26", (80_000, 90_000, 110_000, 120_000), qty, listing,
                         now_ns)
    condor.legs        # +P 80k, -P 90k, -C 110k, +C 120k, each ratio 1

Every package is defined long ("buy"); `side=Side.SELL` sells it, which flips every leg:

    straddle        +C(K) +P(K)
    strangle        +P(K1) +C(K2)                      K1 < K2
    vertical        bull: +X(K1) -X(K2); bear: -X(K1) +X(K2)    X = call or put, K1 < K2
    calendar        -X(K, near) +X(K, far)             near < far
    iron condor     +P(K1) -P(K2) -C(K3) +C(K4)        K1 < K2 < K3 < K4 (the credit condor)
    risk reversal   -P(K1) +C(K2)                      K1 < K2 (bullish)

Validation names the field and the rule: strikes strictly ordered and listed, expiries valid and
in the future, one underlying, a positive quantity. `listing` is what the venue lists, so no
package is built that could not be sent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from engine.model import Instrument, InstrumentKind, OptionRight, Side
from engine.strategies._errors import InvalidStrategy, NotListed
from engine.strategies._names import deribit_name, format_expiry, option, parse_expiry

_ONE = Decimal(1)


class StrategyKind(StrEnum):
    STRADDLE = "straddle"
    STRANGLE = "strangle"
    VERTICAL = "vertical"
    CALENDAR = "calendar"
    IRON_CONDOR = "iron_condor"
    RISK_REVERSAL = "risk_reversal"


class LegRole(StrEnum):
    OPTION = "option"
    HEDGE = "hedge"  # the delta hedge of a delta-hedged package (perpetual or spot)


@dataclass(frozen=True, slots=True)
class StrategyLeg:
    """One leg: trades `ratio` x the package quantity of `instrument` on the `side` given."""

    instrument: Instrument
    side: Side
    ratio: Decimal
    role: LegRole = LegRole.OPTION
    contract_usd: Decimal | None = None  # an inverse perpetual's amount is USD, not coin

    @property
    def name(self) -> str:
        """The venue's name of the instrument (BTC-27DEC26-90000-C, BTC-PERPETUAL, BTC/USDT)."""
        if self.instrument.kind is InstrumentKind.SPOT:
            return str(self.instrument.id)
        return deribit_name(self.instrument)

    def flipped(self) -> StrategyLeg:
        side = Side.SELL if self.side is Side.BUY else Side.BUY
        return StrategyLeg(self.instrument, side, self.ratio, self.role, self.contract_usd)


@dataclass(frozen=True, slots=True)
class Strategy:
    """A package of legs on one underlying, traded `qty` times."""

    kind: StrategyKind
    underlying: str
    qty: Decimal
    side: Side
    legs: tuple[StrategyLeg, ...]
    label: str

    @property
    def option_legs(self) -> tuple[StrategyLeg, ...]:
        return tuple(leg for leg in self.legs if leg.role is LegRole.OPTION)

    @property
    def hedge_leg(self) -> StrategyLeg | None:
        return next((leg for leg in self.legs if leg.role is LegRole.HEDGE), None)

    def leg_qty(self, leg: StrategyLeg) -> Decimal:
        return leg.ratio * self.qty

    def with_leg(self, leg: StrategyLeg) -> Strategy:
        return Strategy(self.kind, self.underlying, self.qty, self.side, (*self.legs, leg),
                        f"delta-hedged {self.label}")


class Listing:
    """The options a venue lists (by instrument id), and the clock the expiries are checked on."""

    def __init__(self, instruments: Collection[Instrument], now_ns: int) -> None:
        self.instruments = tuple(instruments)
        self.now_ns = now_ns
        self._ids = {i.id for i in self.instruments}

    def underlyings(self) -> set[str]:
        return {i.base for i in self.instruments}

    def strikes(self, underlying: str, expiry_ts_ns: int, right: OptionRight) -> list[Decimal]:
        return sorted({i.strike for i in self.instruments
                       if i.base == underlying and i.expiry_ts_ns == expiry_ts_ns
                       and i.right is right and i.strike is not None})

    def expiries(self, underlying: str) -> list[int]:
        return sorted({i.expiry_ts_ns for i in self.instruments
                       if i.base == underlying and i.expiry_ts_ns is not None})

    def require(self, instrument: Instrument, field: str) -> Instrument:
        """`instrument` if listed; else NotListed naming the field and the nearest listings."""
        if instrument.id in self._ids:
            return instrument
        assert instrument.expiry_ts_ns is not None and instrument.right is not None
        listed = self.strikes(instrument.base, instrument.expiry_ts_ns, instrument.right)
        expiry = format_expiry(instrument.expiry_ts_ns)
        if not listed:
            known = ", ".join(format_expiry(e) for e in self.expiries(instrument.base)) or "none"
            raise NotListed("expiry", f"no {instrument.base} {instrument.right.value}s expire "
                                      f"{expiry}; listed expiries: {known}")
        near = sorted(listed, key=lambda k: abs(k - (instrument.strike or _ONE)))[:4]
        raise NotListed(field, f"{deribit_name(instrument)} is not listed; nearest "
                               f"{expiry} strikes: {', '.join(_plain(k) for k in sorted(near))}")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


# ---- validation ---------------------------------------------------------------------------


def _quantity(qty: Decimal) -> Decimal:
    if not isinstance(qty, Decimal) or not qty.is_finite() or qty <= 0:
        raise InvalidStrategy("qty", f"must be a positive decimal, got {qty}")
    return qty


def _underlying(underlying: str, listing: Listing) -> str:
    name = underlying.strip().upper()
    if name not in listing.underlyings():
        known = ", ".join(sorted(listing.underlyings())) or "none"
        raise InvalidStrategy("underlying", f"{underlying!r} has no listed options; listed: "
                                            f"{known}")
    return name


def _expiry(text: str, listing: Listing, field: str = "expiry") -> int:
    expiry = parse_expiry(text, field)
    if expiry <= listing.now_ns:
        raise InvalidStrategy(field, f"{text} has already expired (expiries are 08:00 UTC)")
    return expiry


def _strikes(strikes: Sequence[Decimal], count: int) -> tuple[Decimal, ...]:
    if len(strikes) != count:
        raise InvalidStrategy("strikes", f"needs {count} strike{'s' * (count > 1)}, "
                                         f"got {len(strikes)}")
    for strike in strikes:
        if not isinstance(strike, Decimal) or not strike.is_finite() or strike <= 0:
            raise InvalidStrategy("strikes", f"must be positive decimals, got {strike}")
    if any(b <= a for a, b in pairwise(strikes)):
        raise InvalidStrategy("strikes", "must be strictly ascending, got "
                                         f"{', '.join(_plain(k) for k in strikes)}")
    return tuple(strikes)


def _leg(listing: Listing, underlying: str, expiry: int, strike: Decimal, right: OptionRight,
         side: Side, field: str = "strikes") -> StrategyLeg:
    instrument = listing.require(option(underlying, expiry, strike, right), field)
    return StrategyLeg(instrument, side, _ONE)


def _package(kind: StrategyKind, underlying: str, qty: Decimal, side: Side,
             legs: Sequence[StrategyLeg], label: str) -> Strategy:
    if side is Side.SELL:
        legs = [leg.flipped() for leg in legs]
    return Strategy(kind, underlying, qty, side, tuple(legs),
                    label if side is Side.BUY else f"short {label}")


# ---- builders -----------------------------------------------------------------------------

_BUY, _SELL = Side.BUY, Side.SELL
_CALL, _PUT = OptionRight.CALL, OptionRight.PUT


def straddle(underlying: str, expiry: str, strike: Decimal, qty: Decimal, listing: Listing,
             side: Side = Side.BUY) -> Strategy:
    """Call and put at one strike and expiry."""
    name, when, (k,) = _underlying(underlying, listing), _expiry(expiry, listing), \
        _strikes([strike], 1)
    legs = [_leg(listing, name, when, k, _CALL, _BUY), _leg(listing, name, when, k, _PUT, _BUY)]
    return _package(StrategyKind.STRADDLE, name, _quantity(qty), side, legs, "straddle")


def strangle(underlying: str, expiry: str, strikes: Sequence[Decimal], qty: Decimal,
             listing: Listing, side: Side = Side.BUY) -> Strategy:
    """Put at the lower strike, call at the upper one."""
    name, when = _underlying(underlying, listing), _expiry(expiry, listing)
    low, high = _strikes(strikes, 2)
    legs = [_leg(listing, name, when, low, _PUT, _BUY),
            _leg(listing, name, when, high, _CALL, _BUY)]
    return _package(StrategyKind.STRANGLE, name, _quantity(qty), side, legs, "strangle")


def vertical(underlying: str, expiry: str, strikes: Sequence[Decimal], qty: Decimal,
             listing: Listing, right: OptionRight, bullish: bool = True) -> Strategy:
    """Bull: buy the lower strike, sell the upper one (calls: debit; puts: credit). Bear: the
    opposite."""
    name, when = _underlying(underlying, listing), _expiry(expiry, listing)
    low, high = _strikes(strikes, 2)
    legs = [_leg(listing, name, when, low, right, _BUY),
            _leg(listing, name, when, high, right, _SELL)]
    label = f"{'bull' if bullish else 'bear'} {right.value} vertical"
    strategy = _package(StrategyKind.VERTICAL, name, _quantity(qty),
                        Side.BUY if bullish else Side.SELL, legs, label)
    return Strategy(strategy.kind, strategy.underlying, strategy.qty, strategy.side,
                    strategy.legs, label)


def calendar(underlying: str, expiries: Sequence[str], strike: Decimal, qty: Decimal,
             listing: Listing, right: OptionRight = OptionRight.CALL,
             side: Side = Side.BUY) -> Strategy:
    """Sell the near expiry, buy the far one, same strike and right."""
    name = _underlying(underlying, listing)
    if len(expiries) != 2:
        raise InvalidStrategy("expiry", f"a calendar needs 2 expiries (near, far), "
                                        f"got {len(expiries)}")
    near, far = _expiry(expiries[0], listing), _expiry(expiries[1], listing, "far_expiry")
    if far <= near:
        raise InvalidStrategy("expiry", f"the far expiry {expiries[1]} must come after the "
                                        f"near one {expiries[0]}")
    (k,) = _strikes([strike], 1)
    legs = [_leg(listing, name, near, k, right, _SELL),
            _leg(listing, name, far, k, right, _BUY)]
    return _package(StrategyKind.CALENDAR, name, _quantity(qty), side, legs,
                    f"{right.value} calendar")


def iron_condor(underlying: str, expiry: str, strikes: Sequence[Decimal], qty: Decimal,
                listing: Listing, side: Side = Side.BUY) -> Strategy:
    """Put spread below, call spread above: +P(K1) -P(K2) -C(K3) +C(K4)."""
    name, when = _underlying(underlying, listing), _expiry(expiry, listing)
    k1, k2, k3, k4 = _strikes(strikes, 4)
    legs = [_leg(listing, name, when, k1, _PUT, _BUY), _leg(listing, name, when, k2, _PUT, _SELL),
            _leg(listing, name, when, k3, _CALL, _SELL),
            _leg(listing, name, when, k4, _CALL, _BUY)]
    return _package(StrategyKind.IRON_CONDOR, name, _quantity(qty), side, legs, "iron condor")


def risk_reversal(underlying: str, expiry: str, strikes: Sequence[Decimal], qty: Decimal,
                  listing: Listing, side: Side = Side.BUY) -> Strategy:
    """Sell the lower-strike put, buy the upper-strike call (bullish); sell it for bearish."""
    name, when = _underlying(underlying, listing), _expiry(expiry, listing)
    low, high = _strikes(strikes, 2)
    legs = [_leg(listing, name, when, low, _PUT, _SELL),
            _leg(listing, name, when, high, _CALL, _BUY)]
    return _package(StrategyKind.RISK_REVERSAL, name, _quantity(qty), side, legs,
                    "risk reversal")


def build(kind: StrategyKind, underlying: str, expiries: Sequence[str],
          strikes: Sequence[Decimal], qty: Decimal, listing: Listing, side: Side = Side.BUY,
          right: OptionRight | None = None) -> Strategy:
    """Any package by kind, as the CLI asks for it. `right` is for verticals and calendars;
    for a vertical, `side` buy is the bull spread and sell the bear one."""
    if kind is not StrategyKind.CALENDAR and len(expiries) != 1:
        raise InvalidStrategy("expiry", f"a {kind.value} needs one expiry, got {len(expiries)}")
    if kind is StrategyKind.STRADDLE:
        return straddle(underlying, expiries[0], _one_strike(strikes), qty, listing, side)
    if kind is StrategyKind.STRANGLE:
        return strangle(underlying, expiries[0], strikes, qty, listing, side)
    if kind is StrategyKind.VERTICAL:
        if right is None:
            raise InvalidStrategy("right", "a vertical needs call or put")
        return vertical(underlying, expiries[0], strikes, qty, listing, right,
                        bullish=side is Side.BUY)
    if kind is StrategyKind.CALENDAR:
        return calendar(underlying, expiries, _one_strike(strikes), qty, listing,
                        right or OptionRight.CALL, side)
    if kind is StrategyKind.IRON_CONDOR:
        return iron_condor(underlying, expiries[0], strikes, qty, listing, side)
    return risk_reversal(underlying, expiries[0], strikes, qty, listing, side)


def _one_strike(strikes: Sequence[Decimal]) -> Decimal:
    return _strikes(strikes, 1)[0]
