"""The lifecycle table decides every change; everything it does not list is refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine.errors import IllegalTransition, InvalidValue, OverFill
from engine.model import (
    TRANSITIONS,
    ByFills,
    DenialReason,
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
    VenueOrderId,
    apply,
)

from factories import accepted, filled, new_order

S = OrderStatus


def _event(order: Order, cls: type[OrderEvent], **fields: Any) -> OrderEvent:
    return cls(event_id=f"{order.client_order_id}/{cls.__name__}",
               client_order_id=order.client_order_id, ts_ns=5_000, **fields)


# One valid instance of every non-creating event type, for the exhaustive table test.
SAMPLES: dict[type[OrderEvent], dict[str, Any]] = {
    OrderDenied: {"reason_code": DenialReason.MAX_NOTIONAL},
    OrderAccepted: {"venue_order_id": "v-9"},
    OrderRejected: {"reason": "insufficient balance"},
    OrderCancelRequested: {},
    OrderCancelRejected: {"reason": "unknown order"},
    OrderCanceled: {},
    OrderExpired: {},
    OrderStatusUnknown: {"reason": "timeout"},
}


def _sample(order: Order, cls: type[OrderEvent]) -> OrderEvent:
    if cls is OrderFilled:
        return filled(order, "0.5")
    return _event(order, cls, **SAMPLES[cls])


@pytest.mark.parametrize("state", list(OrderStatus))
@pytest.mark.parametrize("event_type", [*SAMPLES, OrderFilled], ids=lambda cls: cls.__name__)
def test_apply_when_pair_not_in_table_then_illegal_transition_else_a_state(
    state: OrderStatus, event_type: type[OrderEvent]
) -> None:
    order = new_order(status=state)
    event = _sample(order, event_type)
    if (state, event_type) not in TRANSITIONS:
        with pytest.raises(IllegalTransition, match=state.value):
            apply(order, event)
        return
    assert isinstance(apply(order, event).status, OrderStatus)


def test_apply_when_partial_then_full_fill_then_status_and_average_price_follow() -> None:
    order = new_order()
    order = apply(None, OrderCreated(event_id="c", client_order_id=order.client_order_id,
                                     ts_ns=1, order=order))
    order = apply(order, accepted(order))
    order = apply(order, filled(order, "0.5", "2990", "t1"))
    assert order.status is S.PARTIALLY_FILLED
    order = apply(order, filled(order, "1.5", "3000", "t2"))
    assert order.status is S.FILLED
    assert order.avg_fill_price == Decimal("2997.5")
    assert order.filled_notional == Decimal("5995")
    assert order.leaves_qty == 0 and order.venue_order_id == "v-1"


def test_apply_when_fills_exceed_quantity_then_overfill_and_order_unchanged() -> None:
    order = new_order(status=S.ACCEPTED)
    with pytest.raises(OverFill, match="exceed quantity 2"):
        apply(order, filled(order, "2.5"))
    assert order.filled_qty == 0


def test_apply_when_canceled_then_late_fill_is_booked_and_completes_the_order() -> None:
    order = new_order(status=S.CANCELED)
    assert apply(order, filled(order, "1")).status is S.CANCELED
    assert apply(order, filled(order, "2")).status is S.FILLED


def test_apply_when_fill_arrives_while_cancel_pending_then_stays_pending_until_complete() -> None:
    order = new_order(status=S.CANCEL_PENDING)
    partly = apply(order, filled(order, "1"))
    assert partly.status is S.CANCEL_PENDING and partly.filled_qty == 1
    assert apply(partly, filled(partly, "1", trade="t2")).status is S.FILLED


def test_apply_when_cancel_rejected_then_resumes_where_the_order_was() -> None:
    pending = new_order(status=S.CANCEL_PENDING, venue_order_id=VenueOrderId("v-1"))
    rejected = _event(pending, OrderCancelRejected, reason="too late")
    assert apply(pending, rejected).status is S.ACCEPTED
    partly = pending.model_copy(update={"filled_qty": Decimal(1)})
    assert apply(partly, rejected).status is S.PARTIALLY_FILLED
    # The cancel overtook the order: the venue has not acknowledged it yet.
    unacked = new_order(status=S.CANCEL_PENDING)
    assert apply(unacked, rejected).status is S.PENDING_NEW


def test_apply_when_ack_arrives_after_fill_or_cancel_request_then_state_kept_and_id_recorded(
) -> None:
    for state in (S.PARTIALLY_FILLED, S.CANCEL_PENDING, S.FILLED):
        order = new_order(status=state)
        after = apply(order, accepted(order))
        assert after.status is state and after.venue_order_id == "v-1"


def test_apply_when_timeout_then_unknown_and_reconciliation_can_resolve_it() -> None:
    order = new_order()
    unknown = apply(order, _event(order, OrderStatusUnknown, reason="send timed out"))
    assert unknown.status is S.UNKNOWN and unknown.reason == "send timed out"
    assert apply(unknown, accepted(unknown)).status is S.ACCEPTED
    assert apply(unknown, filled(unknown, "2")).status is S.FILLED
    for terminal in (OrderRejected, OrderCanceled, OrderExpired):
        assert apply(unknown, _sample(unknown, terminal)).status.is_terminal


@pytest.mark.parametrize("terminal", [S.FILLED, S.REJECTED, S.DENIED, S.EXPIRED, S.CANCELED])
def test_apply_when_order_is_terminal_then_cancel_request_is_illegal(terminal: S) -> None:
    order = new_order(status=terminal)
    with pytest.raises(IllegalTransition, match=terminal.value):
        apply(order, _event(order, OrderCancelRequested))


def test_apply_when_denied_then_terminal_with_reason_code() -> None:
    order = new_order()
    denied = apply(order, _event(order, OrderDenied, reason_code=DenialReason.MAX_NOTIONAL,
                                 detail="12000 > 10000"))
    assert denied.status is S.DENIED and denied.status.is_terminal
    assert denied.reason == "max_notional: 12000 > 10000"


def test_apply_when_created_twice_or_for_another_id_then_refused() -> None:
    order = new_order()
    created = OrderCreated(event_id="c", client_order_id=order.client_order_id, ts_ns=1,
                           order=order)
    with pytest.raises(IllegalTransition, match="OrderCreated"):
        apply(order, created)
    other = new_order(1)
    with pytest.raises(InvalidValue, match="client_order_id"):
        apply(None, OrderCreated(event_id="c", client_order_id=other.client_order_id, ts_ns=1,
                                 order=order))
    with pytest.raises(InvalidValue, match="client_order_id"):
        apply(order, accepted(other))


def test_apply_when_event_before_creation_then_illegal_transition_from_absent() -> None:
    order = new_order()
    with pytest.raises(IllegalTransition, match="absent"):
        apply(None, accepted(order))


def test_transition_table_when_terminal_then_only_late_fills_and_late_acks_are_listed() -> None:
    leaving = {(state, event): nxt for (state, event), nxt in TRANSITIONS.items()
               if state.is_terminal}
    assert leaving == {(S.CANCELED, OrderFilled): ByFills.FILLED_OR_STAY,
                       (S.FILLED, OrderAccepted): ByFills.STAY}


def test_apply_when_event_timestamp_is_older_then_updated_ts_never_goes_back() -> None:
    order = new_order(status=S.ACCEPTED, updated_ts_ns=9_000)
    assert apply(order, filled(order, "1")).updated_ts_ns == 9_000
