"""Orders, fills and the events that change them."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter, model_validator

from engine.model._instruments import DomainModel, Instrument, Side
from engine.model._values import Money


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    LIMIT_MAKER = "limit_maker"  # post-only: rejected rather than taking liquidity


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class OrderStatus(StrEnum):
    PENDING_NEW = "pending_new"  # journaled, not yet acknowledged by the venue
    DENIED = "denied"  # stopped by our own gate (risk, compliance); never left the process
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCEL_PENDING = "cancel_pending"
    CANCELED = "canceled"
    REJECTED = "rejected"  # refused by the venue
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # the outcome of a request is not known; reconciliation decides

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({OrderStatus.DENIED, OrderStatus.FILLED, OrderStatus.CANCELED,
                       OrderStatus.REJECTED, OrderStatus.EXPIRED})


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


Positive = Annotated[Money, Field(gt=0)]
NonNegative = Annotated[Money, Field(ge=0)]


class Fill(DomainModel):
    """One execution against an order, as the venue reported it."""

    trade_id: str = Field(min_length=1)
    qty: Positive
    price: Positive
    fee: NonNegative = Decimal(0)
    fee_asset: str
    liquidity: Liquidity = Liquidity.TAKER
    ts_ns: int = Field(ge=0)


class Order(DomainModel):
    """An order's full state. Changed only by applying events (see `_lifecycle.apply`)."""

    client_order_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,36}$")
    venue: str = Field(min_length=1)
    instrument: Instrument
    side: Side
    order_type: OrderType
    qty: Positive
    limit_price: Positive | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    parent_id: str | None = None
    leg_group_id: str | None = None
    status: OrderStatus = OrderStatus.PENDING_NEW
    filled_qty: NonNegative = Decimal(0)
    avg_fill_price: NonNegative | None = None
    venue_order_id: str | None = None
    reason: str | None = None
    created_ts_ns: int = Field(ge=0)
    updated_ts_ns: int = Field(ge=0)

    @model_validator(mode="after")
    def _limit_price_matches_type(self) -> Order:
        needs_price = self.order_type is not OrderType.MARKET
        if needs_price != (self.limit_price is not None):
            raise ValueError("limit_price is required for limit orders and only for them")
        return self

    @property
    def leaves_qty(self) -> Decimal:
        return self.qty - self.filled_qty


# --- events ---------------------------------------------------------------------------------


class OrderEvent(DomainModel):
    """Something that happened to an order. Past tense, immutable, journaled before acting."""

    event_id: str = Field(min_length=1)
    client_order_id: str
    ts_ns: int = Field(ge=0)
    correlation_id: str | None = None  # ties a parent's events and its children's together
    causation_id: str | None = None  # the event or command that caused this one


class OrderCreated(OrderEvent):
    kind: Literal["created"] = "created"
    order: Order


class OrderDenied(OrderEvent):
    kind: Literal["denied"] = "denied"
    reason_code: str
    detail: str = ""


class OrderAccepted(OrderEvent):
    kind: Literal["accepted"] = "accepted"
    venue_order_id: str


class OrderRejected(OrderEvent):
    kind: Literal["rejected"] = "rejected"
    reason: str


class OrderFilled(OrderEvent):
    kind: Literal["filled"] = "filled"
    fill: Fill


class OrderCancelRequested(OrderEvent):
    kind: Literal["cancel_requested"] = "cancel_requested"


class OrderCancelRejected(OrderEvent):
    kind: Literal["cancel_rejected"] = "cancel_rejected"
    reason: str


class OrderCanceled(OrderEvent):
    kind: Literal["canceled"] = "canceled"


class OrderExpired(OrderEvent):
    kind: Literal["expired"] = "expired"


class OrderStatusUnknown(OrderEvent):
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


def event_from_json(payload: str) -> OrderEvent:
    """The event a payload of `event_to_json` describes."""
    return _EVENT_ADAPTER.validate_json(payload)
