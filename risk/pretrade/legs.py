"""Boundary types of the gate: what a leg is and what our own book looks like.

`risk` may not import `engine`, so these are the gate's own small types; the OMS maps its
orders onto them. Quantities are in units of the underlying (one option contract = one unit of
the underlying, as on Deribit), prices in quote per unit, notionals in the quote asset.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from risk.pretrade.errors import InvalidLeg, InvalidState


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class InstrumentKind(StrEnum):
    SPOT = "spot"
    PERPETUAL = "perpetual"
    FUTURE = "future"
    OPTION = "option"
    SWAP = "swap"  # an AMM pool swap: spot exposure, priced off the pool's marginal price


class ReferenceKind(StrEnum):
    """Which reference a price collar is measured against."""

    MID = "mid"  # CEX order-book mid
    MARK = "mark"  # the venue's mark price (perpetuals, options)
    AMM = "amm"  # an AMM pool's marginal price


def _require_text(error: type[InvalidLeg] | type[InvalidState], field: str, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise error(field, f"must be a non-empty string, got {value!r}")


def _require_decimal(error: type[InvalidLeg] | type[InvalidState], field: str, value: Decimal,
                     *, allow_zero: bool = False) -> None:
    if not isinstance(value, Decimal):
        raise error(field, f"must be a Decimal, got {type(value).__name__}")
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        rule = "non-negative" if allow_zero else "positive"
        raise error(field, f"must be a {rule} finite amount, got {value}")


@dataclass(frozen=True, slots=True)
class LegIntent:
    """One order the OMS wants to send, as the gate sees it.

    `notional` is the quote amount the leg trades (quantity x limit price for a limit order, the
    expected quote amount for a market order or swap); the gate never recomputes it from floats.
    Legs sharing a `group_id` are one multi-leg order, checked as one post-trade state.
    """

    account: str
    strategy: str
    venue: str
    instrument: str
    underlying: str
    kind: InstrumentKind
    side: Side
    quantity: Decimal
    limit_price: Decimal | None
    notional: Decimal
    client_order_id: str
    group_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("account", "strategy", "venue", "instrument", "underlying",
                     "client_order_id"):
            _require_text(InvalidLeg, name, getattr(self, name))
        if not isinstance(self.kind, InstrumentKind):
            raise InvalidLeg("kind", f"must be an InstrumentKind, got {self.kind!r}")
        if not isinstance(self.side, Side):
            raise InvalidLeg("side", f"must be a Side, got {self.side!r}")
        _require_decimal(InvalidLeg, "quantity", self.quantity)
        _require_decimal(InvalidLeg, "notional", self.notional)
        if self.limit_price is not None:
            _require_decimal(InvalidLeg, "limit_price", self.limit_price)
        if self.group_id is not None:
            _require_text(InvalidLeg, "group_id", self.group_id)

    @property
    def signed_quantity(self) -> Decimal:
        """Quantity with the sign of the position change: + for a buy, - for a sell."""
        return self.quantity if self.side is Side.BUY else -self.quantity


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """One of our own orders working on a venue: what self-trade prevention compares against."""

    client_order_id: str
    account: str
    strategy: str
    venue: str
    instrument: str
    side: Side
    price: Decimal
    remaining: Decimal

    def __post_init__(self) -> None:
        for name in ("client_order_id", "account", "strategy", "venue", "instrument"):
            _require_text(InvalidState, name, getattr(self, name))
        if not isinstance(self.side, Side):
            raise InvalidState("side", f"must be a Side, got {self.side!r}")
        _require_decimal(InvalidState, "price", self.price)
        _require_decimal(InvalidState, "remaining", self.remaining)


@dataclass(frozen=True, slots=True)
class VenueFilter:
    """What a venue accepts for one instrument. A zero step means "any" (an AMM has no tick)."""

    tick_size: Decimal
    lot_size: Decimal
    min_qty: Decimal
    min_notional: Decimal

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size", "min_qty", "min_notional"):
            _require_decimal(InvalidState, name, getattr(self, name), allow_zero=True)
