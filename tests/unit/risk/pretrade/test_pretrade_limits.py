"""Limits by scope: precedence, field-by-field resolution, runtime changes, validation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pretrade_support import World

from risk.pretrade import DESK, InvalidLimit, LimitBook, ReasonCode, Scope

KEY = ("acct-a", "binance", "basis", "BTC-PERP", "BTC")


def test_most_specific_scope_wins_in_the_stated_order() -> None:
    book = LimitBook()
    # one rule per precedence step, least specific first; each must beat the one before
    steps = [DESK, Scope(account="acct-a"), Scope(strategy="basis"),
             Scope(account="acct-a", strategy="basis"), Scope(venue="binance"),
             Scope(underlying="BTC"), Scope(instrument="BTC-PERP"),
             Scope(account="acct-a", instrument="BTC-PERP"),
             Scope(account="acct-a", venue="binance", strategy="basis", instrument="BTC-PERP",
                   underlying="BTC")]
    for quantity, scope in enumerate(steps, start=1):
        book.set(scope, max_order_qty=Decimal(quantity))
        resolved = book.resolve(KEY)
        assert resolved.max_order_qty == quantity
        assert resolved.scope_of("max_order_qty") == str(scope)


def test_each_limit_is_resolved_on_its_own() -> None:
    book = LimitBook()
    book.set(DESK, max_order_qty=Decimal("10"), max_order_notional=Decimal("500000"))
    book.set(Scope(instrument="BTC-PERP"), max_order_qty=Decimal("2"))
    resolved = book.resolve(KEY)
    assert (resolved.max_order_qty, resolved.max_order_notional) == (2, 500000)
    assert resolved.scopes == {"max_order_qty": "instrument=BTC-PERP",
                               "max_order_notional": "desk"}


def test_scope_naming_another_value_does_not_match() -> None:
    book = LimitBook()
    book.set(Scope(account="acct-b"), max_order_qty=Decimal("1"))
    book.set(Scope(account="acct-a", venue="deribit"), max_order_qty=Decimal("2"))
    assert book.resolve(KEY).max_order_qty is None


@pytest.mark.parametrize(("scope", "name"), [
    (Scope(venue="binance", underlying="BTC"), "max_net_position"),
    (Scope(strategy="basis"), "max_abs_delta"),
    (Scope(instrument="BTC-PERP"), "max_gross_concentration_bps"),
    (Scope(underlying="BTC"), "max_margin_utilisation"),
    (Scope(account="acct-a"), "max_desk_net_position"),
])
def test_post_trade_limit_at_a_scope_that_can_never_match_is_refused(
        scope: Scope, name: str) -> None:
    book = LimitBook()
    with pytest.raises(InvalidLimit, match="only") as raised:
        value = Decimal("1") if "position" in name else 1 if name.endswith("_bps") else 1.0
        book.set(scope, **{name: value})
    assert raised.value.field == name
    assert book.rules() == {}


def test_setting_none_removes_a_limit_and_clear_removes_a_scope() -> None:
    book = LimitBook()
    book.set(DESK, max_order_qty=Decimal("1"), max_abs_delta=2)
    book.set(DESK, max_order_qty=None)
    assert book.rules() == {DESK: {"max_abs_delta": 2.0}}
    book.clear(DESK)
    assert book.rules() == {}
    assert book.resolve(KEY).max_abs_delta is None


def test_runtime_change_takes_effect_on_the_next_check() -> None:
    world = World()
    leg = world.leg(quantity="3")
    assert world.gate.check([leg]).accepted
    version = world.gate.limits.version
    world.gate.limits.set(Scope(strategy="basis"), max_order_qty=Decimal("2"))
    assert world.gate.limits.version == version + 1
    assert world.gate.check([world.leg(quantity="3")]).codes == {ReasonCode.MAX_ORDER_QTY}
    world.gate.limits.set(Scope(strategy="basis"), max_order_qty=Decimal("3"))
    assert world.gate.check([world.leg(quantity="3")]).accepted
    world.set_position("acct-a", "BTC-PERP", Decimal("3"))  # as if filled
    world.gate.limits.set(Scope(underlying="BTC"), max_net_position=Decimal("4"))
    assert world.gate.check([world.leg(quantity="2")]).codes == {ReasonCode.MAX_NET_POSITION}


@pytest.mark.parametrize(("name", "value", "rule"), [
    ("max_order_qty", 5, "Decimal"),
    ("max_order_qty", Decimal("-1"), "non-negative"),
    ("max_order_qty", Decimal("NaN"), "finite"),
    ("collar_mid_bps", 2.5, "an int"),
    ("collar_mid_bps", True, "an int"),
    ("collar_mid_bps", -1, "non-negative"),
    ("max_abs_delta", float("inf"), "finite"),
    ("max_abs_delta", "1", "a number"),
    ("max_slippage", Decimal("1"), "unknown limit"),
    ("duplicate_window_ns", 7_200 * 10**9, "retention"),
])
def test_set_when_value_breaks_its_rule_then_raises_naming_it(
        name: str, value: object, rule: str) -> None:
    book = LimitBook()
    with pytest.raises(InvalidLimit, match=rule) as raised:
        book.set(DESK, **{name: value})
    assert raised.value.field == name
    assert book.rules() == {}


def test_scope_with_an_empty_name_is_refused() -> None:
    with pytest.raises(InvalidLimit, match=r"scope\.venue"):
        Scope(venue="")


def test_resolve_when_key_names_values_no_rule_names_then_same_as_full_resolution() -> None:
    """The cached path drops key parts no rule names; on random rule sets and keys it must
    answer exactly what resolving the full key from scratch answers (values and scopes)."""
    import random

    rng = random.Random(7)
    values = [("acct-a", "acct-b", "acct-c"), ("binance", "deribit"), ("basis", "mm"),
              ("BTC-PERP", "BTC-C", "ETH-PERP", "NEW-1"), ("BTC", "ETH")]
    for _ in range(40):
        book = LimitBook()
        for quantity in range(1, rng.randint(2, 12)):
            scope = Scope(*(rng.choice(v[:-1] if bit == 3 else v) if rng.random() < 0.4
                            else None for bit, v in enumerate(values)))
            book.set(scope, max_order_qty=Decimal(quantity),
                     **({"max_order_notional": Decimal(quantity * 10)} if quantity % 2 else {}))
        for _ in range(30):
            key = tuple(rng.choice(v) for v in values)
            fast = book.resolve(key)  # type: ignore[arg-type]
            full = book._resolve(key)  # type: ignore[arg-type]
            assert (fast.max_order_qty, fast.max_order_notional, fast.scopes) == (
                full.max_order_qty, full.max_order_notional, full.scopes)


def test_resolve_when_a_rule_for_a_cached_instrument_is_added_then_next_resolve_sees_it() -> None:
    book = LimitBook()
    book.set(DESK, max_order_qty=Decimal("10"))
    assert book.resolve(KEY).max_order_qty == 10  # cached under the general key
    book.set(Scope(instrument="BTC-PERP"), max_order_qty=Decimal("3"))
    assert book.resolve(KEY).max_order_qty == 3
    assert book.resolve(("acct-a", "binance", "basis", "BTC-C", "BTC")).max_order_qty == 10
