"""Builders for domain objects in tests: valid by default, overridable field by field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.model import (
    Fill,
    Instrument,
    Order,
    OrderAccepted,
    OrderFilled,
    OrderType,
    Side,
    client_order_id,
)

WETH_USDC = Instrument(base="WETH", quote="USDC")


def new_order(sequence: int = 0, **overrides: Any) -> Order:
    fields: dict[str, Any] = {
        "client_order_id": client_order_id("parent-test", sequence),
        "venue": "simex",
        "instrument": WETH_USDC,
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "qty": Decimal("2"),
        "limit_price": Decimal("3000"),
        "created_ts_ns": 1_000,
        "updated_ts_ns": 1_000,
    }
    fields.update(overrides)
    return Order(**fields)


def accepted(order: Order, event_id: str = "ack", ts_ns: int = 2_000) -> OrderAccepted:
    return OrderAccepted(event_id=f"{order.client_order_id}/{event_id}",
                         client_order_id=order.client_order_id, ts_ns=ts_ns, venue_order_id="v-1")


def filled(order: Order, qty: str, price: str = "2999", trade: str = "t1",
           fee: str = "0") -> OrderFilled:
    return OrderFilled(
        event_id=f"{order.client_order_id}/fill-{trade}", client_order_id=order.client_order_id,
        ts_ns=3_000, fill=Fill(trade_id=trade, qty=Decimal(qty), price=Decimal(price),
                               fee=Decimal(fee), fee_asset="USDC", ts_ns=3_000),
    )
