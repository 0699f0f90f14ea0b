"""Orders and fills validate at construction; invalid fields are named in the error."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import InvalidValue
from engine.model import Fill, OrderType, TimeInForce

from factories import new_order


def test_order_when_limit_without_price_then_invalid_value_names_limit_price() -> None:
    with pytest.raises(InvalidValue, match="limit_price: is required") as caught:
        new_order(limit_price=None)
    assert caught.value.field == "limit_price"
    assert new_order(order_type=OrderType.MARKET, limit_price=None).limit_price is None


def test_order_when_market_with_limit_price_then_invalid_value() -> None:
    with pytest.raises(InvalidValue) as caught:
        new_order(order_type=OrderType.MARKET)
    assert caught.value.field == "limit_price"


def test_order_when_stop_type_then_trigger_price_required_and_only_there() -> None:
    with pytest.raises(InvalidValue) as caught:
        new_order(order_type=OrderType.STOP_LIMIT)
    assert caught.value.field == "trigger_price"
    stop = new_order(order_type=OrderType.STOP_MARKET, limit_price=None,
                     trigger_price=Decimal("2900"))
    assert stop.trigger_price == Decimal("2900")
    with pytest.raises(InvalidValue, match="trigger_price"):
        new_order(trigger_price=Decimal("2900"))


def test_order_when_gtd_then_expire_ts_ns_required_and_only_for_gtd() -> None:
    with pytest.raises(InvalidValue, match="expire_ts_ns"):
        new_order(time_in_force=TimeInForce.GTD)
    with pytest.raises(InvalidValue, match="expire_ts_ns"):
        new_order(expire_ts_ns=5_000)
    assert new_order(time_in_force=TimeInForce.GTD, expire_ts_ns=5_000).expire_ts_ns == 5_000


@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
def test_order_when_post_only_and_immediate_then_invalid_value(tif: TimeInForce) -> None:
    with pytest.raises(InvalidValue) as caught:
        new_order(order_type=OrderType.LIMIT_MAKER, time_in_force=tif)
    assert caught.value.field == "time_in_force"


@pytest.mark.parametrize(("field", "value"), [
    ("qty", Decimal(0)), ("qty", 1.5), ("qty", "-1"), ("client_order_id", "bad id!"),
    ("client_order_id", "x" * 37), ("venue", ""), ("limit_price", Decimal("-1")),
    ("created_ts_ns", -1), ("parent_id", ""), ("filled_qty", Decimal(3)), ("surprise", 1),
])
def test_order_when_field_invalid_then_invalid_value_names_it(field: str, value: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        new_order(**{field: value})
    assert caught.value.field == field


def test_order_when_frozen_then_fields_cannot_be_assigned() -> None:
    order = new_order()
    with pytest.raises(Exception, match="frozen"):
        order.qty = Decimal(5)  # type: ignore[misc]
    assert order.leaves_qty == Decimal(2)


def test_order_when_children_and_legs_then_linked_by_parent_and_leg_group() -> None:
    child = new_order(parent_id="twap-1", leg_group_id="basis-7")
    assert (child.parent_id, child.leg_group_id) == ("twap-1", "basis-7")


def test_fill_when_maker_rebate_then_negative_fee_allowed_but_float_refused() -> None:
    fill = Fill(trade_id="t1", qty=Decimal("1"), price=Decimal("3000"), fee=Decimal("-0.3"),
                fee_asset="USDC", ts_ns=1)
    assert fill.fee == Decimal("-0.3")
    with pytest.raises(InvalidValue) as caught:
        Fill(trade_id="t1", qty=Decimal("1"), price=3000.0, fee_asset="USDC", ts_ns=1)
    assert caught.value.field == "price"
    with pytest.raises(InvalidValue) as missing:
        Fill(trade_id="", qty=Decimal("1"), price=Decimal(1), fee_asset="USDC", ts_ns=1)
    assert missing.value.field == "trade_id"
