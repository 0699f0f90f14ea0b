"""Orders and fills: what we asked a venue for, and what it executed."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from engine.errors import InvalidValue
from engine.model._base import DomainModel
from engine.model._ids import CLIENT_ORDER_ID_PATTERN, ClientOrderId, VenueId, VenueOrderId
from engine.model._instruments import Instrument, Side
from engine.model._values import Money

Positive = Annotated[Money, Field(gt=0)]
NonNegative = Annotated[Money, Field(ge=0)]
TimestampNs = Annotated[int, Field(ge=0)]
ClientOrderIdField = Annotated[ClientOrderId, Field(pattern=CLIENT_ORDER_ID_PATTERN)]


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    LIMIT_MAKER = "limit_maker"  # post-only: the venue rejects it rather than let it take
    STOP_MARKET = "stop_market"  # a market order released when the trigger price trades
    STOP_LIMIT = "stop_limit"  # a limit order released when the trigger price trades

    @property
    def has_limit_price(self) -> bool:
        return self in (OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LIMIT)

    @property
    def has_trigger_price(self) -> bool:
        return self in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)


class TimeInForce(StrEnum):
    GTC = "gtc"  # good till canceled
    IOC = "ioc"  # immediate or cancel: whatever does not match at once is canceled
    FOK = "fok"  # fill or kill: all at once or nothing
    GTD = "gtd"  # good till `expire_ts_ns`


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
        """No further request can change it (a late fill may still be booked: see TRANSITIONS)."""
        return self in _TERMINAL


_TERMINAL = frozenset({OrderStatus.DENIED, OrderStatus.FILLED, OrderStatus.CANCELED,
                       OrderStatus.REJECTED, OrderStatus.EXPIRED})


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class Fill(DomainModel):
    """One execution against an order, as the venue reported it."""

    trade_id: str = Field(min_length=1)  # the venue's trade id: unique per order
    qty: Positive
    price: Positive
    fee: Money = Decimal(0)  # negative for a maker rebate
    fee_asset: str = Field(min_length=1)
    liquidity: Liquidity = Liquidity.TAKER
    ts_ns: TimestampNs


class Order(DomainModel):
    """An order's full state. Changed only by applying events (see `apply`).

    Child orders of an execution algorithm point to their parent with `parent_id`; the legs of
    one multi-leg order share a `leg_group_id`.
    """

    client_order_id: ClientOrderIdField
    venue: VenueId = Field(min_length=1)
    instrument: Instrument
    side: Side
    order_type: OrderType
    qty: Positive
    limit_price: Positive | None = None
    trigger_price: Positive | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_ts_ns: TimestampNs | None = None
    parent_id: str | None = Field(default=None, min_length=1)
    leg_group_id: str | None = Field(default=None, min_length=1)
    status: OrderStatus = OrderStatus.PENDING_NEW
    filled_qty: NonNegative = Decimal(0)
    filled_notional: NonNegative = Decimal(0)  # sum of price * qty, exact; the average's source
    avg_fill_price: NonNegative | None = None
    venue_order_id: VenueOrderId | None = None
    reason: str | None = None
    created_ts_ns: TimestampNs
    updated_ts_ns: TimestampNs

    @model_validator(mode="after")
    def _prices_match_type(self) -> Order:
        if self.order_type.has_limit_price != (self.limit_price is not None):
            raise InvalidValue(
                "limit_price", f"is required for limit types and only for them, "
                               f"not {self.order_type.value}"
            )
        if self.order_type.has_trigger_price != (self.trigger_price is not None):
            raise InvalidValue(
                "trigger_price", f"is required for stop types and only for them, "
                                 f"not {self.order_type.value}"
            )
        return self

    @model_validator(mode="after")
    def _time_in_force_fits(self) -> Order:
        if (self.time_in_force is TimeInForce.GTD) != (self.expire_ts_ns is not None):
            raise InvalidValue("expire_ts_ns", "is required for GTD orders and only for them")
        immediate = self.time_in_force in (TimeInForce.IOC, TimeInForce.FOK)
        if self.order_type is OrderType.LIMIT_MAKER and immediate:
            raise InvalidValue("time_in_force", "a post-only order cannot be IOC or FOK")
        if self.filled_qty > self.qty:
            raise InvalidValue("filled_qty", f"{self.filled_qty} exceeds qty {self.qty}")
        return self

    @property
    def leaves_qty(self) -> Decimal:
        """The quantity still open: ordered minus filled."""
        return self.qty - self.filled_qty
