"""The order lifecycle as one transition table, and `apply`, the only way an order changes."""

from __future__ import annotations

from enum import Enum

from engine.errors import IllegalTransition, InvalidValue, OverFill
from engine.model._orders import (
    Order,
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
    OrderStatus,
    OrderStatusUnknown,
)


class _ByFill(Enum):
    """Next states that depend on the fill just applied, resolved in `_resolve`."""

    FILLED_OR_PARTIAL = "filled, or partially filled while quantity remains"
    FILLED_OR_STAY = "filled, or stay where it is while quantity remains"
    RESUME = "back to accepted or partially filled, whichever the fills say"


S = OrderStatus
_Next = OrderStatus | _ByFill

# (state, event) -> next state. Pairs not listed are illegal and raise IllegalTransition.
TRANSITIONS: dict[tuple[OrderStatus, type[OrderEvent]], _Next] = {
    (S.PENDING_NEW, OrderDenied): S.DENIED,
    (S.PENDING_NEW, OrderAccepted): S.ACCEPTED,
    (S.PENDING_NEW, OrderRejected): S.REJECTED,
    # Venues may report an IOC/market fill before (or instead of) the acknowledgement.
    (S.PENDING_NEW, OrderFilled): _ByFill.FILLED_OR_PARTIAL,
    (S.PENDING_NEW, OrderCanceled): S.CANCELED,  # IOC with nothing matched
    (S.PENDING_NEW, OrderExpired): S.EXPIRED,
    (S.PENDING_NEW, OrderCancelRequested): S.CANCEL_PENDING,
    (S.PENDING_NEW, OrderStatusUnknown): S.UNKNOWN,  # send timed out: reconcile, never resend
    (S.ACCEPTED, OrderFilled): _ByFill.FILLED_OR_PARTIAL,
    (S.ACCEPTED, OrderCancelRequested): S.CANCEL_PENDING,
    (S.ACCEPTED, OrderCanceled): S.CANCELED,  # canceled by the venue (e.g. self-trade prevention)
    (S.ACCEPTED, OrderExpired): S.EXPIRED,
    (S.ACCEPTED, OrderStatusUnknown): S.UNKNOWN,
    (S.PARTIALLY_FILLED, OrderFilled): _ByFill.FILLED_OR_PARTIAL,
    (S.PARTIALLY_FILLED, OrderCancelRequested): S.CANCEL_PENDING,
    (S.PARTIALLY_FILLED, OrderCanceled): S.CANCELED,
    (S.PARTIALLY_FILLED, OrderExpired): S.EXPIRED,
    (S.PARTIALLY_FILLED, OrderStatusUnknown): S.UNKNOWN,
    # Fills keep arriving while our cancel is in flight; the last one may complete the order.
    (S.CANCEL_PENDING, OrderFilled): _ByFill.FILLED_OR_STAY,
    (S.CANCEL_PENDING, OrderCanceled): S.CANCELED,
    (S.CANCEL_PENDING, OrderCancelRejected): _ByFill.RESUME,
    (S.CANCEL_PENDING, OrderExpired): S.EXPIRED,
    (S.CANCEL_PENDING, OrderStatusUnknown): S.UNKNOWN,
    # Reconciliation resolves UNKNOWN to whatever the venue says happened.
    (S.UNKNOWN, OrderAccepted): S.ACCEPTED,
    (S.UNKNOWN, OrderRejected): S.REJECTED,
    (S.UNKNOWN, OrderFilled): _ByFill.FILLED_OR_PARTIAL,
    (S.UNKNOWN, OrderCanceled): S.CANCELED,
    (S.UNKNOWN, OrderExpired): S.EXPIRED,
    # Canceled, then filled: the venue matched before our cancel arrived and reports the trade
    # late. The fill is real and must be booked; the order is filled if nothing remains.
    (S.CANCELED, OrderFilled): _ByFill.FILLED_OR_STAY,
}


def _resolve(next_state: _Next, order: Order) -> OrderStatus:
    if isinstance(next_state, OrderStatus):
        return next_state
    complete = order.leaves_qty == 0
    if next_state is _ByFill.FILLED_OR_PARTIAL:
        return S.FILLED if complete else S.PARTIALLY_FILLED
    if next_state is _ByFill.FILLED_OR_STAY:
        return S.FILLED if complete else order.status
    return S.PARTIALLY_FILLED if order.filled_qty > 0 else S.ACCEPTED


def _with_fill(order: Order, event: OrderFilled) -> Order:
    fill = event.fill
    filled = order.filled_qty + fill.qty
    if filled > order.qty:
        raise OverFill(order.client_order_id, str(order.qty), str(filled))
    previous_cost = (order.avg_fill_price or 0) * order.filled_qty
    average = (previous_cost + fill.price * fill.qty) / filled
    return order.model_copy(update={"filled_qty": filled, "avg_fill_price": average})


def _with_details(order: Order, event: OrderEvent) -> Order:
    if isinstance(event, OrderFilled):
        return _with_fill(order, event)
    if isinstance(event, OrderAccepted):
        return order.model_copy(update={"venue_order_id": event.venue_order_id})
    if isinstance(event, OrderDenied):
        return order.model_copy(update={"reason": f"{event.reason_code}: {event.detail}"})
    if isinstance(event, OrderRejected | OrderCancelRejected | OrderStatusUnknown):
        return order.model_copy(update={"reason": event.reason})
    return order


def apply(order: Order | None, event: OrderEvent) -> Order:
    """The order after `event`; raises IllegalTransition or OverFill and changes nothing."""
    if isinstance(event, OrderCreated):
        if order is not None:
            raise IllegalTransition(event.client_order_id, order.status.value, "created")
        if event.order.status is not S.PENDING_NEW or event.order.filled_qty != 0:
            raise InvalidValue("order.status", "a new order starts pending_new and unfilled")
        return event.order
    if order is None:
        raise IllegalTransition(event.client_order_id, "absent", type(event).__name__)
    next_state = TRANSITIONS.get((order.status, type(event)))
    if next_state is None:
        raise IllegalTransition(order.client_order_id, order.status.value, type(event).__name__)
    updated = _with_details(order, event)
    status = _resolve(next_state, updated)
    return updated.model_copy(update={"status": status, "updated_ts_ns": event.ts_ns})
