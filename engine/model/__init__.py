"""The domain model: assets, instruments, orders, fills and the events that change orders.

Prices and quantities are `Decimal` (floats are refused), quantised to each venue's tick and
lot; on-chain amounts are `int` base units, converted with `to_base_units`/`from_base_units`.
Orders change only through `apply(order, event)`, driven by the one table `TRANSITIONS`.
Invalid values raise `engine.errors.InvalidValue` naming the field.
"""

from engine.model._base import DomainModel
from engine.model._events import (
    AnyOrderEvent,
    DenialReason,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderCreated,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    event_from_json,
    event_to_json,
)
from engine.model._ids import (
    CLIENT_ORDER_ID_MAX_LENGTH,
    ChainId,
    ClientOrderId,
    InstrumentId,
    TxHash,
    VenueId,
    VenueOrderId,
    checksum_address,
    client_order_id,
    tx_hash,
    validate_client_order_id,
)
from engine.model._instruments import (
    Asset,
    Instrument,
    InstrumentKind,
    OptionRight,
    Side,
    VenueFilters,
)
from engine.model._lifecycle import TRANSITIONS, ByFills, NextState, apply
from engine.model._orders import Fill, Liquidity, Order, OrderStatus, OrderType, TimeInForce
from engine.model._values import (
    Amount,
    Money,
    from_base_units,
    plain,
    quantize_down,
    quantize_up,
    to_base_units,
    to_decimal,
)

__all__ = [
    "CLIENT_ORDER_ID_MAX_LENGTH",
    "TRANSITIONS",
    "Amount",
    "AnyOrderEvent",
    "Asset",
    "ByFills",
    "ChainId",
    "ClientOrderId",
    "DenialReason",
    "DomainModel",
    "Fill",
    "Instrument",
    "InstrumentId",
    "InstrumentKind",
    "Liquidity",
    "Money",
    "NextState",
    "OptionRight",
    "Order",
    "OrderAccepted",
    "OrderCancelRejected",
    "OrderCancelRequested",
    "OrderCanceled",
    "OrderCreated",
    "OrderDenied",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderRejected",
    "OrderStatus",
    "OrderStatusUnknown",
    "OrderType",
    "Side",
    "TimeInForce",
    "TxHash",
    "VenueFilters",
    "VenueId",
    "VenueOrderId",
    "apply",
    "checksum_address",
    "client_order_id",
    "event_from_json",
    "event_to_json",
    "from_base_units",
    "plain",
    "quantize_down",
    "quantize_up",
    "to_base_units",
    "to_decimal",
    "tx_hash",
    "validate_client_order_id",
]
