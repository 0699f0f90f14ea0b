"""Each per-leg check: one leg that trips it, and one exactly at the boundary that passes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from pretrade_support import World

from risk.pretrade import (
    DESK,
    InvalidLeg,
    ReasonCode,
    ReferenceKind,
    Scope,
    Side,
)


@pytest.fixture
def world() -> World:
    return World()


def codes(world: World, *legs: object) -> set[ReasonCode]:
    return set(world.gate.check(list(legs)).codes)  # type: ignore[arg-type]


def test_check_when_nothing_is_limited_then_accepts(world: World) -> None:
    decision = world.gate.check([world.leg()])
    assert decision.accepted and decision.reasons == ()


@pytest.mark.parametrize(("field", "value", "code"), [
    ("account", "acct-zz", ReasonCode.UNKNOWN_ACCOUNT),
    ("venue", "kraken", ReasonCode.UNKNOWN_VENUE),
    ("instrument", "DOGE-PERP", ReasonCode.UNKNOWN_INSTRUMENT),
])
def test_check_when_account_venue_or_instrument_is_unknown_then_denies(
        world: World, field: str, value: str, code: ReasonCode) -> None:
    decision = world.gate.check([replace(world.leg(), **{field: value})])
    assert not decision.accepted
    assert decision.codes == {code}
    assert decision.reasons[0].observed == value


def test_check_when_leg_names_another_underlying_for_a_held_instrument_then_denies(
        world: World) -> None:
    world.set_position("acct-a", "BTC-PERP", Decimal("1"))
    assert codes(world, world.leg(underlying="ETH")) == {ReasonCode.UNKNOWN_INSTRUMENT}


def test_check_when_venue_or_instrument_is_restricted_then_denies_until_lifted(
        world: World) -> None:
    world.gate.limits.restrict_venue("binance")
    world.gate.limits.restrict_instrument("BTC-PERP")
    assert codes(world, world.leg()) == {ReasonCode.RESTRICTED_VENUE,
                                         ReasonCode.RESTRICTED_INSTRUMENT}
    assert codes(world, world.leg("WETH/USDC", price=None)) == set()
    world.gate.limits.restrict_venue("binance", restricted=False)
    world.gate.limits.restrict_instrument("BTC-PERP", restricted=False)
    assert world.gate.check([world.leg()]).accepted


def test_check_when_quantity_exceeds_max_order_qty_then_denies_and_at_limit_accepts(
        world: World) -> None:
    world.gate.limits.set(DESK, max_order_qty=Decimal("2"))
    assert world.gate.check([world.leg(quantity="2")]).accepted
    decision = world.gate.check([world.leg(quantity="2.001")])
    assert decision.codes == {ReasonCode.MAX_ORDER_QTY}
    reason = decision.reasons[0]
    assert (reason.limit_name, reason.limit, reason.observed, reason.scope) == (
        "max_order_qty", "2", "2.001", "desk")


def test_check_when_notional_exceeds_max_order_notional_then_denies_and_at_limit_accepts(
        world: World) -> None:
    world.gate.limits.set(Scope(account="acct-a"), max_order_notional=Decimal("120000"))
    assert world.gate.check([world.leg(quantity="2")]).accepted  # 2 x 60000 = limit
    decision = world.gate.check([world.leg(quantity="2", price="60000.1")])
    assert decision.codes == {ReasonCode.MAX_ORDER_NOTIONAL}
    assert decision.reasons[0].scope == "account=acct-a"


@pytest.mark.parametrize(("overrides", "code"), [
    ({"price": "60000.05"}, ReasonCode.TICK_SIZE),
    ({"quantity": "1.0005"}, ReasonCode.LOT_SIZE),
    ({"quantity": "0.0009", "notional": Decimal("54")}, ReasonCode.MIN_QTY),
    ({"quantity": "0.001", "price": "4000", "notional": Decimal("4")}, ReasonCode.MIN_NOTIONAL),
])
def test_check_when_leg_breaks_a_venue_filter_then_denies(
        world: World, overrides: dict[str, object], code: ReasonCode) -> None:
    decision = world.gate.check([world.leg(**overrides)])  # type: ignore[arg-type]
    assert decision.codes >= {code}


def test_check_when_leg_sits_exactly_on_every_filter_boundary_then_accepts(world: World) -> None:
    # binance: tick 0.1, lot 0.001, min qty 0.001, min notional 5
    leg = world.leg(quantity="0.001", price="5000.0", notional=Decimal("5"))
    assert world.gate.check([leg]).accepted


def test_check_when_amm_leg_has_no_tick_then_any_price_passes_the_filters(world: World) -> None:
    leg = world.leg("WETH/USDC", quantity="1.23456789", price=None,
                    notional=Decimal("3703.7"))
    assert world.gate.check([leg]).accepted


def test_check_when_price_is_outside_the_collar_then_denies_and_at_the_edge_accepts(
        world: World) -> None:
    world.gate.limits.set(DESK, collar_mid_bps=50)
    world.gate.state.set_reference("binance", "BTC-PERP", ReferenceKind.MID, Decimal("60000"))
    assert world.gate.check([world.leg(price="60300")]).accepted  # exactly 50 bps
    assert world.gate.check([world.leg(side=Side.SELL, price="59700")]).accepted
    decision = world.gate.check([world.leg(price="60300.1")])
    assert decision.codes == {ReasonCode.PRICE_COLLAR}
    assert decision.reasons[0].observed.startswith("50.02 bps from mid 60000")


def test_check_when_collar_is_set_per_reference_kind_then_each_reference_is_checked(
        world: World) -> None:
    world.gate.limits.set(Scope(instrument="BTC-PERP"), collar_mid_bps=100, collar_mark_bps=20)
    world.gate.state.set_reference("binance", "BTC-PERP", ReferenceKind.MID, Decimal("60000"))
    world.gate.state.set_reference("binance", "BTC-PERP", ReferenceKind.MARK, Decimal("59800"))
    decision = world.gate.check([world.leg(price="60000")])  # 33 bps off the mark
    assert decision.codes == {ReasonCode.PRICE_COLLAR}
    assert decision.reasons[0].limit_name == "collar_mark_bps"


def test_check_when_swap_average_price_is_off_the_pool_marginal_price_then_denies(
        world: World) -> None:
    world.gate.limits.set(Scope(venue="uniswap"), collar_amm_bps=30)
    world.gate.state.set_reference("uniswap", "WETH/USDC", ReferenceKind.AMM, Decimal("3000"))
    fine = world.leg("WETH/USDC", quantity="10", price=None, notional=Decimal("30090"))
    assert world.gate.check([fine]).accepted  # 30 bps
    bad = world.leg("WETH/USDC", quantity="10", price=None, notional=Decimal("30100"))
    assert world.gate.check([bad]).codes == {ReasonCode.PRICE_COLLAR}


def test_check_when_collar_reference_is_missing_or_stale_then_denies(world: World) -> None:
    world.gate.limits.set(DESK, collar_mark_bps=100, max_reference_age_ns=5_000_000_000)
    assert codes(world, world.leg()) == {ReasonCode.NO_REFERENCE_PRICE}
    world.gate.state.set_reference("binance", "BTC-PERP", ReferenceKind.MARK, Decimal("60000"))
    world.clock.advance(5_000_000_000)
    assert world.gate.check([world.leg()]).accepted  # exactly as old as allowed
    world.clock.advance(1)
    assert codes(world, world.leg()) == {ReasonCode.STALE_REFERENCE_PRICE}


def test_check_when_client_order_id_was_accepted_before_then_denies(world: World) -> None:
    assert world.gate.check([world.leg(client_order_id="c-1")]).accepted
    assert codes(world, world.leg(client_order_id="c-1", quantity="2")) == {
        ReasonCode.DUPLICATE_CLIENT_ORDER_ID}
    pair = [world.leg(client_order_id="c-2", group_id="g"),
            world.leg(client_order_id="c-2", side=Side.SELL, price="61000", group_id="g")]
    assert codes(world, *pair) == {ReasonCode.DUPLICATE_CLIENT_ORDER_ID}


def test_check_when_denied_then_client_order_id_is_not_remembered(world: World) -> None:
    world.gate.limits.set(DESK, max_order_qty=Decimal("1"))
    assert not world.gate.check([world.leg(client_order_id="c-9", quantity="5")]).accepted
    assert world.gate.check([world.leg(client_order_id="c-9")]).accepted


def test_check_when_same_economic_order_repeats_inside_the_window_then_denies(
        world: World) -> None:
    world.gate.limits.set(DESK, duplicate_window_ns=1_000_000_000)
    assert world.gate.check([world.leg()]).accepted
    world.clock.advance(1_000_000_000)
    decision = world.gate.check([world.leg()])  # new client order id, same order
    assert decision.codes == {ReasonCode.DUPLICATE_ORDER}
    world.clock.advance(1)
    assert world.gate.check([world.leg()]).accepted  # the window has passed
    assert world.gate.check([world.leg(quantity="1.001")]).accepted  # another order


def test_check_when_leg_crosses_our_own_resting_order_then_denies(world: World) -> None:
    world.resting(side=Side.SELL, price="60010")
    assert world.gate.check([world.leg(price="60009.9")]).accepted  # below our own ask
    assert codes(world, world.leg(price="60010")) == {ReasonCode.SELF_TRADE}
    assert codes(world, world.leg(price=None)) == {ReasonCode.SELF_TRADE}  # market buy
    assert world.gate.check([world.leg(side=Side.SELL, price="60100")]).accepted
    assert world.gate.check([world.leg("BTC/USDT", price="61000")]).accepted  # other book


def test_check_when_our_resting_order_is_gone_then_self_trade_no_longer_applies(
        world: World) -> None:
    order = world.resting(side=Side.BUY, price="59990")
    assert codes(world, world.leg(side=Side.SELL, price="59990")) == {ReasonCode.SELF_TRADE}
    world.gate.state.remove_resting(order.client_order_id)
    assert world.gate.check([world.leg(side=Side.SELL, price="59990")]).accepted


def test_check_when_two_legs_of_a_group_cross_each_other_then_denies(world: World) -> None:
    buy = world.leg(price="60000", group_id="g")
    sell = world.leg(side=Side.SELL, price="59990", group_id="g")
    assert codes(world, buy, sell) == {ReasonCode.SELF_TRADE}


def test_check_with_no_legs_raises(world: World) -> None:
    with pytest.raises(InvalidLeg, match="legs"):
        world.gate.check([])


@pytest.mark.parametrize("group_ids", [(None, None), ("g", None), ("g", "h")])
def test_check_of_legs_without_one_shared_group_id_raises(
        world: World, group_ids: tuple[str | None, str | None]) -> None:
    legs = [world.leg(group_id=group_ids[0]), world.leg("BTC/USDT", group_id=group_ids[1])]
    with pytest.raises(InvalidLeg, match="share one group_id"):
        world.gate.check(legs)


def test_denial_reasons_name_check_limit_observed_and_leg(world: World) -> None:
    world.gate.limits.set(Scope(account="acct-a", instrument="BTC-PERP"),
                          max_order_qty=Decimal("1"))
    decision = world.gate.check([world.leg(quantity="3", client_order_id="c-77")])
    assert decision.to_json() == {"accepted": False, "reasons": [{
        "code": "max_order_qty", "limit_name": "max_order_qty", "limit": "1", "observed": "3",
        "scope": "account=acct-a,instrument=BTC-PERP", "client_order_id": "c-77",
        "account": "acct-a", "underlying": "BTC"}]}
    assert str(decision.reasons[0]) == (
        "max_order_qty c-77: 3 vs max_order_qty 1 [account=acct-a,instrument=BTC-PERP]")
