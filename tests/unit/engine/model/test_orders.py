"""Instruments and orders validate at construction; the lifecycle table decides every change."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from engine.errors import IllegalTransition, InvalidValue, OverFill
from engine.model import (
    TRANSITIONS,
    Instrument,
    InstrumentKind,
    OptionRight,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderCreated,
    OrderDenied,
    OrderStatus,
    OrderStatusUnknown,
    OrderType,
    apply,
    event_from_json,
    event_to_json,
)

from factories import WETH_USDC, accepted, filled, new_order

EXPIRY = datetime(2026, 12, 25, 8, tzinfo=UTC)


def _event(order_id: str, cls: type, name: str, **fields: object) -> object:
    return cls(event_id=f"{order_id}/{name}", client_order_id=order_id, ts_ns=5_000, **fields)


def test_instrument_when_option_then_id_carries_expiry_strike_and_right() -> None:
    option = Instrument(base="BTC", quote="USD", kind=InstrumentKind.OPTION, expiry=EXPIRY,
                        strike=Decimal("90000"), right=OptionRight.CALL)
    assert option.id == "BTC/USD-20261225-90000-C"
    assert Instrument(base="BTC", quote="USD", kind=InstrumentKind.PERPETUAL).id == "BTC/USD-PERP"


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": InstrumentKind.OPTION, "expiry": EXPIRY},  # no strike, no right
        {"kind": InstrumentKind.SPOT, "strike": Decimal(1), "right": OptionRight.PUT},
        {"kind": InstrumentKind.FUTURE},  # no expiry
    ],
)
def test_instrument_when_terms_do_not_fit_the_kind_then_invalid_value(
    fields: dict[str, object],
) -> None:
    with pytest.raises(InvalidValue):
        Instrument(base="BTC", quote="USD", **fields)


def test_order_when_limit_without_price_then_invalid_value() -> None:
    with pytest.raises(InvalidValue, match="limit_price is required"):
        new_order(limit_price=None)
    assert new_order(order_type=OrderType.MARKET, limit_price=None).limit_price is None


@pytest.mark.parametrize(("field", "value"), [("qty", Decimal(0)), ("qty", 1.5),
                                              ("client_order_id", "bad id!"), ("venue", "")])
def test_order_when_field_invalid_then_invalid_value_names_it(field: str, value: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        new_order(**{field: value})
    assert caught.value.field == field


def test_apply_when_partial_then_full_fill_then_status_and_average_price_follow() -> None:
    order = apply(None, OrderCreated(event_id="c", client_order_id=new_order().client_order_id,
                                     ts_ns=1, order=new_order()))
    order = apply(order, accepted(order))
    order = apply(order, filled(order, "0.5", "2990", "t1"))
    assert order.status is OrderStatus.PARTIALLY_FILLED
    order = apply(order, filled(order, "1.5", "3000", "t2"))
    assert order.status is OrderStatus.FILLED
    assert order.avg_fill_price == Decimal("2997.5")
    assert order.leaves_qty == 0


def test_apply_when_fills_exceed_quantity_then_overfill() -> None:
    order = new_order(status=OrderStatus.ACCEPTED)
    with pytest.raises(OverFill):
        apply(order, filled(order, "2.5"))


def test_apply_when_canceled_then_late_fill_is_booked_and_completes_the_order() -> None:
    order = new_order(status=OrderStatus.CANCELED)
    assert apply(order, filled(order, "1")).status is OrderStatus.CANCELED
    assert apply(order, filled(order, "2")).status is OrderStatus.FILLED


def test_apply_when_cancel_rejected_then_resumes_according_to_fills() -> None:
    pending = new_order(status=OrderStatus.CANCEL_PENDING)
    rejected = _event(pending.client_order_id, OrderCancelRejected, "cr", reason="too late")
    assert apply(pending, rejected).status is OrderStatus.ACCEPTED  # type: ignore[arg-type]
    partly = pending.model_copy(update={"filled_qty": Decimal(1)})
    assert apply(partly, rejected).status is OrderStatus.PARTIALLY_FILLED  # type: ignore[arg-type]


def test_apply_when_timeout_then_unknown_and_reconciliation_can_resolve_it() -> None:
    order = new_order()
    unknown = apply(order, _event(order.client_order_id, OrderStatusUnknown, "u",  # type: ignore[arg-type]
                                  reason="send timed out"))
    assert unknown.status is OrderStatus.UNKNOWN and unknown.reason == "send timed out"
    assert apply(unknown, accepted(unknown)).status is OrderStatus.ACCEPTED


@pytest.mark.parametrize("terminal", [OrderStatus.FILLED, OrderStatus.REJECTED,
                                      OrderStatus.DENIED, OrderStatus.EXPIRED])
def test_apply_when_order_is_terminal_then_cancel_request_is_illegal(
    terminal: OrderStatus,
) -> None:
    order = new_order(status=terminal)
    with pytest.raises(IllegalTransition, match=terminal.value):
        apply(order, _event(order.client_order_id, OrderCancelRequested, "x"))  # type: ignore[arg-type]


def test_apply_when_denied_then_terminal_with_reason_code() -> None:
    order = new_order()
    denied = apply(order, _event(order.client_order_id, OrderDenied, "d",  # type: ignore[arg-type]
                                 reason_code="MAX_NOTIONAL", detail="12000 > 10000"))
    assert denied.status is OrderStatus.DENIED and denied.status.is_terminal
    assert denied.reason == "MAX_NOTIONAL: 12000 > 10000"


def test_transition_table_when_terminal_then_only_a_late_fill_after_cancel_leaves_it() -> None:
    leaving = {(state, event) for (state, event) in TRANSITIONS if state.is_terminal}
    assert {state for state, _ in leaving} == {OrderStatus.CANCELED}


def test_event_json_when_round_tripped_then_equal_and_decimals_are_strings() -> None:
    order = new_order()
    for event in (OrderCreated(event_id="c", client_order_id=order.client_order_id, ts_ns=1,
                               order=order), filled(order, "0.125", "2999.5"),
                  _event(order.client_order_id, OrderCanceled, "k")):
        payload = event_to_json(event)  # type: ignore[arg-type]
        assert event_from_json(payload) == event
    assert '"qty":"0.125"' in event_to_json(filled(order, "0.125"))
    assert WETH_USDC.id == "WETH/USDC"
