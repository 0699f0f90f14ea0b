"""The order lifecycle as one transition table, and `apply`, the only way an order changes."""

from __future__ import annotations

from enum import Enum

from engine.errors import IllegalTransition, InvalidValue, OverFill
from engine.model._events import (
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
)
from engine.model._orders import Order, OrderStatus


class ByFills(Enum):
    """Next states that depend on the order's quantities after the event."""

    FILLED_OR_PARTIAL = "filled if nothing remains, else partially filled"
    FILLED_OR_STAY = "filled if nothing remains, else stay in the current state"
    STAY = "stay in the current state (the event only adds detail)"
    RESUME = "back to where the order was before the cancel request"


S = OrderStatus
NextState = OrderStatus | ByFills

# (state, event type) -> next state. Pairs not listed raise IllegalTransition.
TRANSITIONS: dict[tuple[OrderStatus, type[OrderEvent]], NextState] = {
    (S.PENDING_NEW, OrderDenied): S.DENIED,
    (S.PENDING_NEW, OrderAccepted): S.ACCEPTED,
    (S.PENDING_NEW, OrderRejected): S.REJECTED,
    # Venues may report an IOC/market fill before (or instead of) the acknowledgement.
    (S.PENDING_NEW, OrderFilled): ByFills.FILLED_OR_PARTIAL,
    (S.PENDING_NEW, OrderCanceled): S.CANCELED,  # IOC with nothing matched: no ack at all
    (S.PENDING_NEW, OrderExpired): S.EXPIRED,
    (S.PENDING_NEW, OrderCancelRequested): S.CANCEL_PENDING,
    (S.PENDING_NEW, OrderStatusUnknown): S.UNKNOWN,  # send timed out: reconcile, never resend
    (S.ACCEPTED, OrderFilled): ByFills.FILLED_OR_PARTIAL,
    (S.ACCEPTED, OrderCancelRequested): S.CANCEL_PENDING,
    (S.ACCEPTED, OrderCanceled): S.CANCELED,  # by the venue, e.g. self-trade prevention
    (S.ACCEPTED, OrderExpired): S.EXPIRED,
    (S.ACCEPTED, OrderStatusUnknown): S.UNKNOWN,
    # The REST acknowledgement and the user-stream fill race; the ack may come second.
    (S.PARTIALLY_FILLED, OrderAccepted): ByFills.STAY,
    (S.PARTIALLY_FILLED, OrderFilled): ByFills.FILLED_OR_PARTIAL,
    (S.PARTIALLY_FILLED, OrderCancelRequested): S.CANCEL_PENDING,
    (S.PARTIALLY_FILLED, OrderCanceled): S.CANCELED,
    (S.PARTIALLY_FILLED, OrderExpired): S.EXPIRED,
    (S.PARTIALLY_FILLED, OrderStatusUnknown): S.UNKNOWN,
    # Fills keep arriving while our cancel is in flight; the last one may complete the order.
    (S.CANCEL_PENDING, OrderFilled): ByFills.FILLED_OR_STAY,
    (S.CANCEL_PENDING, OrderCanceled): S.CANCELED,
    (S.CANCEL_PENDING, OrderCancelRejected): ByFills.RESUME,
    (S.CANCEL_PENDING, OrderExpired): S.EXPIRED,
    (S.CANCEL_PENDING, OrderStatusUnknown): S.UNKNOWN,  # the cancel timed out
    # Canceled before the venue acknowledged: the ack, or the rejection, still arrives.
    (S.CANCEL_PENDING, OrderAccepted): ByFills.STAY,
    (S.CANCEL_PENDING, OrderRejected): S.REJECTED,
    (S.CANCEL_PENDING, OrderCancelRequested): ByFills.STAY,  # a retried cancel
    # Reconciliation resolves UNKNOWN to whatever the venue says happened.
    (S.UNKNOWN, OrderAccepted): S.ACCEPTED,
    (S.UNKNOWN, OrderRejected): S.REJECTED,
    (S.UNKNOWN, OrderFilled): ByFills.FILLED_OR_PARTIAL,
    (S.UNKNOWN, OrderCanceled): S.CANCELED,
    (S.UNKNOWN, OrderExpired): S.EXPIRED,
    (S.UNKNOWN, OrderCancelRequested): S.CANCEL_PENDING,  # cancel by client id is always safe
    (S.UNKNOWN, OrderStatusUnknown): ByFills.STAY,  # the status query timed out too
    # Canceled, then filled: the venue matched before our cancel arrived and reports the trade
    # late. The fill is real and must be booked; the order is filled if nothing remains.
    (S.CANCELED, OrderFilled): ByFills.FILLED_OR_STAY,
    # Filled, then acknowledged: the same race as above, with the whole quantity matched.
    (S.FILLED, OrderAccepted): ByFills.STAY,
}


def _resolve(next_state: NextState, before: Order, after: Order) -> OrderStatus:
    if isinstance(next_state, OrderStatus):
        return next_state
    if next_state is ByFills.FILLED_OR_PARTIAL:
        return S.FILLED if after.leaves_qty == 0 else S.PARTIALLY_FILLED
    if next_state is ByFills.FILLED_OR_STAY and after.leaves_qty == 0:
        return S.FILLED
    if next_state is ByFills.RESUME:
        if after.filled_qty > 0:
            return S.PARTIALLY_FILLED
        # A cancel that overtook the order ("unknown order" at the venue): still unacknowledged.
        return S.ACCEPTED if after.venue_order_id is not None else S.PENDING_NEW
    return before.status


def _with_fill(order: Order, event: OrderFilled) -> Order:
    fill = event.fill
    filled = order.filled_qty + fill.qty
    if filled > order.qty:
        raise OverFill(order.client_order_id, str(order.qty), str(filled))
    # The average comes from the exact running notional, so it never drifts with fill count.
    notional = order.filled_notional + fill.price * fill.qty
    return order.model_copy(update={
        "filled_qty": filled, "filled_notional": notional, "avg_fill_price": notional / filled,
    })


def _with_details(order: Order, event: OrderEvent) -> Order:
    if isinstance(event, OrderFilled):
        return _with_fill(order, event)
    if isinstance(event, OrderAccepted):
        return order.model_copy(update={"venue_order_id": event.venue_order_id})
    if isinstance(event, OrderDenied):
        return order.model_copy(update={"reason": f"{event.reason_code.value}: {event.detail}"})
    if isinstance(event, OrderRejected | OrderCancelRejected | OrderStatusUnknown):
        return order.model_copy(update={"reason": event.reason})
    return order


def _created(order: Order | None, event: OrderCreated) -> Order:
    if order is not None:
        raise IllegalTransition(event.client_order_id, order.status.value, "OrderCreated")
    if event.order.client_order_id != event.client_order_id:
        raise InvalidValue("order.client_order_id", "must equal the event's client_order_id")
    if event.order.status is not S.PENDING_NEW or event.order.filled_qty != 0:
        raise InvalidValue("order.status", "a new order starts pending_new and unfilled")
    return event.order


def apply(order: Order | None, event: OrderEvent) -> Order:
    """The order after `event`; raises IllegalTransition, OverFill or InvalidValue instead.

    `order` is None before the order exists; only OrderCreated is legal then. Nothing is
    mutated: the result is a new Order.
    """
    if isinstance(event, OrderCreated):
        return _created(order, event)
    if order is None:
        raise IllegalTransition(event.client_order_id, "absent", type(event).__name__)
    if event.client_order_id != order.client_order_id:
        raise InvalidValue("client_order_id", f"event is for {event.client_order_id}, "
                                              f"not {order.client_order_id}")
    next_state = TRANSITIONS.get((order.status, type(event)))
    if next_state is None:
        raise IllegalTransition(order.client_order_id, order.status.value, type(event).__name__)
    updated = _with_details(order, event)
    return updated.model_copy(update={
        "status": _resolve(next_state, order, updated),
        "updated_ts_ns": max(order.updated_ts_ns, event.ts_ns),
    })
