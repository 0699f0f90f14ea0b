"""The events that change orders: past tense, immutable, journaled before anyone acts on them.

Every event carries its own `event_id`, the order's client id, the `correlation_id` tying a
parent's events and its children's together, the `causation_id` of the event or command that
caused it, and `ts_ns` (UTC nanoseconds). JSON round trips are lossless: decimals are strings.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter, ValidationError

from engine.errors import InvalidValue
from engine.model._base import DomainModel
from engine.model._ids import VenueOrderId
from engine.model._orders import ClientOrderIdField, Fill, Order, TimestampNs


class DenialReason(StrEnum):
    """Why our own gate stopped an order before it left the process."""

    MAX_NOTIONAL = "max_notional"
    MAX_POSITION = "max_position"
    INSUFFICIENT_MARGIN = "insufficient_margin"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    PRICE_OUT_OF_BAND = "price_out_of_band"
    VENUE_FILTER = "venue_filter"  # tick, lot, minimum size or notional
    SANCTIONED_ADDRESS = "sanctioned_address"
    SUSPICIOUS_PATTERN = "suspicious_pattern"
    # Fail closed: what we cannot identify, we do not trade.
    UNKNOWN_ACCOUNT = "unknown_account"
    UNKNOWN_INSTRUMENT = "unknown_instrument"
    UNKNOWN_VENUE = "unknown_venue"
    TRADING_HALTED = "trading_halted"  # kill switch or reconciliation in progress
    RESTRICTED = "restricted"  # the venue or instrument is on the desk's restricted list
    RATE_LIMITED = "rate_limited"  # our own message or notional throttle
    DUPLICATE_ORDER = "duplicate_order"  # the same client id, or the same economic order
    SELF_TRADE = "self_trade"  # would cross one of our own resting orders


class OrderEvent(DomainModel):
    """Something that happened to an order."""

    event_id: str = Field(min_length=1)
    client_order_id: ClientOrderIdField
    ts_ns: TimestampNs
    correlation_id: str | None = None
    causation_id: str | None = None


class OrderCreated(OrderEvent):
    """The order was journaled: from now on it exists, and may be sent."""

    kind: Literal["created"] = "created"
    order: Order


class OrderDenied(OrderEvent):
    """Risk or compliance said no; the order never reached a venue."""

    kind: Literal["denied"] = "denied"
    reason_code: DenialReason
    detail: str = ""


class OrderAccepted(OrderEvent):
    """The venue acknowledged the order and gave it its own id."""

    kind: Literal["accepted"] = "accepted"
    venue_order_id: VenueOrderId = Field(min_length=1)


class OrderRejected(OrderEvent):
    """The venue refused the order; `venue_code` is its structured code when it gave one."""

    kind: Literal["rejected"] = "rejected"
    reason: str
    venue_code: str | None = None


class OrderFilled(OrderEvent):
    """One fill, partial or final: the new status follows from the quantities."""

    kind: Literal["filled"] = "filled"
    fill: Fill


class OrderCancelRequested(OrderEvent):
    """We asked the venue to cancel (journaled before the request is sent)."""

    kind: Literal["cancel_requested"] = "cancel_requested"


class OrderCancelRejected(OrderEvent):
    """The venue refused our cancel, typically because the order was already done."""

    kind: Literal["cancel_rejected"] = "cancel_rejected"
    reason: str


class OrderCanceled(OrderEvent):
    """The venue confirmed the order is canceled (what filled before stays filled)."""

    kind: Literal["canceled"] = "canceled"


class OrderExpired(OrderEvent):
    """The order's time in force ran out at the venue."""

    kind: Literal["expired"] = "expired"


class OrderStatusUnknown(OrderEvent):
    """A request timed out: the order may or may not be live. Reconciliation decides."""

    kind: Literal["status_unknown"] = "status_unknown"
    reason: str


AnyOrderEvent = Annotated[
    OrderCreated | OrderDenied | OrderAccepted | OrderRejected | OrderFilled
    | OrderCancelRequested | OrderCancelRejected | OrderCanceled | OrderExpired
    | OrderStatusUnknown,
    Field(discriminator="kind"),
]
_EVENT_ADAPTER: TypeAdapter[AnyOrderEvent] = TypeAdapter(AnyOrderEvent)


def event_to_json(event: OrderEvent) -> str:
    """Lossless JSON of an event: decimals as strings, enums as their values."""
    return event.model_dump_json()


def event_from_json(payload: str | bytes) -> OrderEvent:
    """The event a payload of `event_to_json` describes; InvalidValue if it describes none."""
    try:
        return _EVENT_ADAPTER.validate_json(payload)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "payload"
        raise InvalidValue(field, first["msg"]) from None
