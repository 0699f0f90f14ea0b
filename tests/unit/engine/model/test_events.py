"""Order events: frozen, past tense, and lossless through JSON."""

from __future__ import annotations

import json

import pytest

from engine.errors import InvalidValue
from engine.model import (
    DenialReason,
    OrderCanceled,
    OrderCreated,
    OrderDenied,
    OrderEvent,
    OrderStatusUnknown,
    event_from_json,
    event_to_json,
)

from factories import filled, new_order

ORDER = new_order(parent_id="twap-1", leg_group_id="basis-7")
COMMON = {"client_order_id": ORDER.client_order_id, "ts_ns": 1_700_000_000_123_456_789,
          "correlation_id": "twap-1", "causation_id": "cmd-9"}

EVENTS: list[OrderEvent] = [
    OrderCreated(event_id="e1", order=ORDER, **COMMON),
    filled(ORDER, "0.125", "2999.123456789012345678901234567"),
    OrderDenied(event_id="e3", reason_code=DenialReason.SANCTIONED_ADDRESS, detail="0xabc",
                **COMMON),
    OrderCanceled(event_id="e4", **COMMON),
    OrderStatusUnknown(event_id="e5", reason="send timed out after 10 s", **COMMON),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: type(event).__name__)
def test_event_json_when_round_tripped_then_equal_and_same_type(event: OrderEvent) -> None:
    back = event_from_json(event_to_json(event))
    assert back == event and type(back) is type(event)


def test_event_json_when_serialised_then_decimals_are_strings_with_every_digit() -> None:
    payload = json.loads(event_to_json(EVENTS[1]))
    assert payload["fill"]["qty"] == "0.125"
    assert payload["fill"]["price"] == "2999.123456789012345678901234567"
    assert payload["kind"] == "filled"


def test_event_json_when_kind_unknown_or_field_bad_then_invalid_value() -> None:
    with pytest.raises(InvalidValue):
        event_from_json('{"kind": "teleported", "event_id": "x"}')
    bad = json.loads(event_to_json(EVENTS[1]))
    bad["fill"]["qty"] = 0.5  # a float in the payload is refused, not rounded
    with pytest.raises(InvalidValue, match="qty"):
        event_from_json(json.dumps(bad))


def test_event_when_frozen_then_cannot_be_changed() -> None:
    with pytest.raises(Exception, match="frozen"):
        EVENTS[3].ts_ns = 0  # type: ignore[misc]
    assert EVENTS[3].correlation_id == "twap-1"


def test_denied_when_reason_code_not_in_the_closed_set_then_invalid_value() -> None:
    with pytest.raises(InvalidValue) as caught:
        OrderDenied(event_id="d", reason_code="because", **COMMON)
    assert caught.value.field == "reason_code"
    parsed = OrderDenied(event_id="d", reason_code="max_notional", **COMMON)
    assert parsed.reason_code is DenialReason.MAX_NOTIONAL
