"""Message-rate token buckets and rolling notional windows, per venue and per strategy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pretrade_support import World

from risk.pretrade import InvalidLimit, ReasonCode, Side, ThrottleScope, ThrottleSpec

SECOND = 1_000_000_000


@pytest.fixture
def world() -> World:
    return World()


def test_message_rate_allows_the_burst_then_denies_then_refills(world: World) -> None:
    world.gate.throttles.set(ThrottleScope.VENUE, "binance",
                             ThrottleSpec(max_messages=2, per_ns=SECOND))
    assert world.gate.check([world.leg()]).accepted
    assert world.gate.check([world.leg()]).accepted
    decision = world.gate.check([world.leg()])
    assert decision.codes == {ReasonCode.MESSAGE_RATE}
    assert decision.reasons[0].scope == "venue=binance"
    assert world.gate.check([world.leg("WETH/USDC", price=None)]).accepted  # other venue
    world.clock.advance(SECOND // 2 - 1)
    assert not world.gate.check([world.leg()]).accepted
    world.clock.advance(1)  # one token back
    assert world.gate.check([world.leg()]).accepted
    assert not world.gate.check([world.leg()]).accepted


def test_message_rate_per_strategy_spans_venues(world: World) -> None:
    world.gate.throttles.set(ThrottleScope.STRATEGY, "basis",
                             ThrottleSpec(max_messages=1, per_ns=SECOND))
    assert world.gate.check([world.leg()]).accepted
    assert world.gate.check([world.leg("WETH/USDC", price=None)]).codes == {
        ReasonCode.MESSAGE_RATE}
    assert world.gate.check([world.leg(strategy="mm")]).accepted


def test_group_counts_each_leg_against_the_bucket_and_consumes_nothing_when_denied(
        world: World) -> None:
    world.gate.throttles.set(ThrottleScope.VENUE, "binance",
                             ThrottleSpec(max_messages=2, per_ns=SECOND))
    three = [world.leg(group_id="g"),
             world.leg("BTC/USDT", side=Side.SELL, price="60100", group_id="g"),
             world.leg("ETH/USDT", price="3000", group_id="g")]
    decision = world.gate.check(three)
    assert [r.client_order_id for r in decision.reasons] == [three[2].client_order_id]
    assert world.gate.check(three[:2]).accepted  # the denied group took no tokens


def test_rolling_notional_window(world: World) -> None:
    world.gate.throttles.set(ThrottleScope.STRATEGY, "basis", ThrottleSpec(
        max_notional=Decimal("150000"), window_ns=60 * SECOND))
    assert world.gate.check([world.leg(quantity="2")]).accepted  # 120 000
    world.clock.advance(10 * SECOND)
    assert world.gate.check([world.leg(quantity="0.5")]).accepted  # exactly 150 000
    decision = world.gate.check([world.leg(quantity="0.001")])
    assert decision.codes == {ReasonCode.NOTIONAL_RATE}
    assert decision.reasons[0].observed == "150060.000"
    world.clock.advance(50 * SECOND)  # the first 120 000 leaves the window
    assert world.gate.check([world.leg(quantity="2")]).accepted


def test_respec_applies_to_the_next_check_and_keeps_what_was_used(world: World) -> None:
    throttles = world.gate.throttles
    throttles.set(ThrottleScope.VENUE, "binance", ThrottleSpec(max_messages=5, per_ns=SECOND))
    assert world.gate.check([world.leg()]).accepted  # 4 left
    throttles.set(ThrottleScope.VENUE, "binance", ThrottleSpec(max_messages=2, per_ns=SECOND))
    assert world.gate.check([world.leg()]).accepted
    assert world.gate.check([world.leg()]).accepted
    assert not world.gate.check([world.leg()]).accepted
    throttles.set(ThrottleScope.VENUE, "binance", None)
    assert world.gate.check([world.leg()]).accepted
    assert throttles.spec(ThrottleScope.VENUE, "binance") is None


@pytest.mark.parametrize(("spec", "field"), [
    ({"max_messages": 5}, "max_messages"),
    ({"max_notional": Decimal("1")}, "max_notional"),
    ({"max_messages": 0, "per_ns": 1}, "max_messages"),
    ({"max_messages": 10, "per_ns": 5}, "per_ns"),
    ({"max_notional": Decimal("-1"), "window_ns": 1}, "max_notional"),
])
def test_throttle_spec_when_it_breaks_a_rule_then_raises(
        spec: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidLimit) as raised:
        ThrottleSpec(**spec)  # type: ignore[arg-type]
    assert raised.value.field == field
