"""Boundary types refuse bad input by field; the public surface is sorted and complete."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from pretrade_support import World

import risk.pretrade
from risk.pretrade import (
    InvalidLeg,
    InvalidState,
    ReferenceKind,
    RestingOrder,
    Side,
    VenueFilter,
)


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("quantity", Decimal("0"), "positive"),
    ("quantity", Decimal("-1"), "positive"),
    ("quantity", 1.5, "Decimal"),
    ("notional", Decimal("Infinity"), "finite"),
    ("limit_price", Decimal("0"), "positive"),
    ("account", "", "non-empty"),
    ("client_order_id", "", "non-empty"),
    ("group_id", "", "non-empty"),
    ("side", "buy!", "Side"),
    ("kind", "spot", "InstrumentKind"),
])
def test_leg_intent_when_a_field_breaks_its_rule_then_raises_naming_it(
        field: str, value: object, rule: str) -> None:
    with pytest.raises(InvalidLeg, match=rule) as raised:
        replace(World().leg(), **{field: value})
    assert raised.value.field == field


def test_leg_signed_quantity_follows_the_side() -> None:
    world = World()
    assert world.leg(quantity="2").signed_quantity == 2
    assert world.leg(side=Side.SELL, quantity="2").signed_quantity == -2


def test_state_updates_refuse_bad_values() -> None:
    world = World()
    with pytest.raises(InvalidState, match="tick_size"):
        VenueFilter(Decimal("-0.1"), Decimal("0"), Decimal("0"), Decimal("0"))
    with pytest.raises(InvalidState, match="price"):
        RestingOrder("r-1", "acct-a", "basis", "binance", "BTC-PERP", Side.BUY, Decimal("0"),
                     Decimal("1"))
    with pytest.raises(InvalidState, match="is on BTC"):
        world.gate.state.set_position("acct-a", "BTC-PERP", "BTC", Decimal("1"))
        world.gate.state.set_position("acct-a", "BTC-PERP", "ETH", Decimal("1"))
    with pytest.raises(InvalidState, match="not resting"):
        world.gate.state.remove_resting("nope")
    with pytest.raises(InvalidState, match="gate's clock"):
        world.gate.state.set_reference("binance", "BTC-PERP", ReferenceKind.MID,
                                       Decimal("60000"), observed_ns=world.clock.now + 1)


def test_net_and_gross_aggregates_follow_position_updates() -> None:
    world = World()
    world.set_position("acct-a", "BTC-PERP", Decimal("2"))
    world.set_position("acct-a", "BTC/USDT", Decimal("-5"))
    world.set_position("acct-a", "BTC-PERP", Decimal("-1"))
    assert world.gate.state.net_gross("acct-a", "BTC") == (Decimal("-6"), Decimal("6"))
    world.set_position("acct-a", "BTC/USDT", Decimal("0"))
    assert world.gate.state.net_gross("acct-a", "BTC") == (Decimal("-1"), Decimal("1"))
    assert ("acct-a", "BTC/USDT") not in world.gate.state.positions


def test_public_api_is_sorted_unique_and_importable() -> None:
    names = list(risk.pretrade.__all__)
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions
    assert names == sorted(names, key=lambda n: (
        0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    assert len(set(names)) == len(names)
    assert all(hasattr(risk.pretrade, name) for name in names)
