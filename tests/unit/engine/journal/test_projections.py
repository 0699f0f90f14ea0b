"""Projections as pure functions of events: what a fill books, for spot and derivatives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import DuplicateFill
from engine.journal import Projections, effects_of
from engine.model import Instrument, InstrumentKind, OrderCreated, Side

from factories import accepted, filled, new_order

PERP = Instrument(base="BTC", quote="USDT", kind=InstrumentKind.PERPETUAL)


def test_effects_when_spot_sell_fills_then_base_leaves_quote_arrives_and_fee_is_paid() -> None:
    order = new_order(side=Side.SELL)
    effects = effects_of(order, filled(order, "0.5", "3000", fee="1.2"))
    assert effects.position_deltas == {("simex", "WETH/USDC"): Decimal("-0.5")}
    assert effects.balance_deltas == {("simex", "WETH"): Decimal("-0.5"),
                                      ("simex", "USDC"): Decimal("1500") - Decimal("1.2")}
    assert effects.fill is not None and effects.fill.side is Side.SELL


def test_effects_when_perpetual_fills_then_position_moves_but_only_the_fee_is_cash() -> None:
    order = new_order(instrument=PERP, venue="binance")
    effects = effects_of(order, filled(order, "0.5", "60000", fee="3"))
    assert effects.position_deltas == {("binance", "BTC/USDT-PERP"): Decimal("0.5")}
    assert effects.balance_deltas == {("binance", "USDC"): Decimal("-3")}


def test_effects_when_event_is_not_a_fill_then_books_nothing() -> None:
    order = new_order()
    effects = effects_of(order, accepted(order))
    assert effects.fill is None and not effects.position_deltas and not effects.balance_deltas


def test_projections_when_same_trade_twice_then_duplicate_fill_and_unchanged() -> None:
    order = new_order()
    projections = Projections()
    projections.apply(OrderCreated(event_id="c", client_order_id=order.client_order_id,
                                   ts_ns=1, order=order))
    projections.apply(filled(order, "0.5", trade="t1"))
    snapshot = Projections(dict(projections.orders), dict(projections.fills),
                           dict(projections.positions), dict(projections.balances))
    with pytest.raises(DuplicateFill):
        projections.apply(filled(order, "0.5", trade="t1").model_copy(update={"event_id": "x"}))
    assert projections == snapshot


def test_total_position_when_two_venues_then_sums_them() -> None:
    projections = Projections(positions={("simex", "WETH/USDC"): Decimal("1.5"),
                                         ("uniswap_v3", "WETH/USDC"): Decimal("-0.25"),
                                         ("simex", "WBTC/USDC"): Decimal("9")})
    assert projections.total_position("WETH/USDC") == Decimal("1.25")
    assert projections.total_position("SOL/USDC") == Decimal(0)
