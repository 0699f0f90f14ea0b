"""Post-trade checks on the group's summed state: positions, concentration, Greeks, margin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pretrade_support import World

from risk.pretrade import DESK, ReasonCode, Scope, Side

BTC = Scope(underlying="BTC")


@pytest.fixture
def world() -> World:
    return World()


def test_net_position_over_limit_then_denies_and_at_limit_accepts(world: World) -> None:
    world.set_position("acct-a", "BTC/USDT", Decimal("3"))
    world.gate.limits.set(Scope(account="acct-a", underlying="BTC"),
                          max_net_position=Decimal("5"))
    assert world.gate.check([world.leg(quantity="2")]).accepted  # 3 + 2 = 5
    decision = world.gate.check([world.leg(quantity="2.001")])
    assert decision.codes == {ReasonCode.MAX_NET_POSITION}
    reason = decision.reasons[0]
    assert (reason.account, reason.underlying, reason.limit, reason.observed, reason.scope) == (
        "acct-a", "BTC", "5", "5.001", "account=acct-a,underlying=BTC")
    assert world.gate.check([world.leg(side=Side.SELL, quantity="8")]).accepted  # net -5


def test_gross_position_counts_both_sides_across_instruments(world: World) -> None:
    world.set_position("acct-a", "BTC/USDT", Decimal("3"))
    world.set_position("acct-a", "BTC-PERP", Decimal("-3"))  # net 0, gross 6
    world.gate.limits.set(BTC, max_gross_position=Decimal("8"))
    assert world.gate.check([world.leg("BTC-C-60000", quantity="2", price="2500")]).accepted
    decision = world.gate.check([world.leg("BTC-C-60000", quantity="2.1", price="2500")])
    assert decision.codes == {ReasonCode.MAX_GROSS_POSITION}
    assert decision.reasons[0].observed == "8.1"
    # closing part of the short perp lowers the gross: accepted
    assert world.gate.check([world.leg(quantity="3")]).accepted


def test_position_limits_are_per_account(world: World) -> None:
    world.set_position("acct-b", "BTC-PERP", Decimal("10"))
    world.gate.limits.set(BTC, max_net_position=Decimal("5"))
    assert world.gate.check([world.leg(quantity="5")]).accepted
    assert world.gate.check([world.leg(quantity="1", account="acct-b")]).codes == {
        ReasonCode.MAX_NET_POSITION}


def test_concentration_is_the_underlyings_share_of_gross_notional(world: World) -> None:
    world.set_position("acct-a", "ETH/USDT", Decimal("20"))  # 60 000
    world.gate.limits.set(BTC, max_gross_concentration_bps=5_000, max_net_concentration_bps=5_000)
    assert world.gate.check([world.leg(quantity="1")]).accepted  # 60k of 120k: 5000 bps
    decision = world.gate.check([world.leg(quantity="1.001", price="60000")])
    assert decision.codes == {ReasonCode.MAX_GROSS_CONCENTRATION,
                              ReasonCode.MAX_NET_CONCENTRATION}
    assert {r.observed for r in decision.reasons} == {"5002.50"}  # 60060 / 120060


def test_concentration_when_an_underlying_has_no_price_then_denies(world: World) -> None:
    world.gate.state.set_position("acct-a", "SOL-PERP", "SOL", Decimal("100"))
    world.gate.limits.set(BTC, max_gross_concentration_bps=9_000)
    decision = world.gate.check([world.leg()])
    assert decision.codes == {ReasonCode.NO_REFERENCE_PRICE}
    assert decision.reasons[0].underlying == "SOL"


def test_delta_gamma_and_vega_limits_after_the_trade(world: World) -> None:
    world.gate.limits.set(BTC, max_abs_delta=1.0, max_abs_gamma=0.00008, max_abs_vega=120.0)
    # two calls: delta 1.0, gamma 0.00008, vega 120: all exactly at their limits
    assert world.gate.check([world.leg("BTC-C-60000", quantity="2", price="2500")]).accepted
    decision = world.gate.check([world.leg("BTC-C-60000", quantity="2.1", price="2500")])
    assert decision.codes == {ReasonCode.MAX_DELTA, ReasonCode.MAX_GAMMA, ReasonCode.MAX_VEGA}
    assert {r.limit_name for r in decision.reasons} == {"max_abs_delta", "max_abs_gamma",
                                                        "max_abs_vega"}


def test_greeks_add_to_what_the_account_already_holds(world: World) -> None:
    world.set_position("acct-a", "BTC-PERP", Decimal("-0.5"))
    world.gate.limits.set(BTC, max_abs_delta=1.0)
    assert world.gate.check([world.leg("BTC/USDT", quantity="1.5", price="60000")]).accepted
    assert world.gate.check([world.leg("BTC/USDT", quantity="1.6", price="60000")]).codes == {
        ReasonCode.MAX_DELTA}


def test_margin_utilisation_after_the_trade(world: World) -> None:
    world.view.equity["acct-a"] = 30_000.0  # maintenance 5% of |delta| notional
    world.gate.limits.set(Scope(account="acct-a"), max_margin_utilisation=0.5)
    assert world.gate.check([world.leg(quantity="5")]).accepted  # 15 000 / 30 000
    decision = world.gate.check([world.leg(quantity="5.001")])
    assert decision.codes == {ReasonCode.MARGIN_UTILISATION}
    assert decision.reasons[0].observed == "0.5001"


def test_liquidation_buffer_after_the_trade(world: World) -> None:
    world.view.equity["acct-a"] = 30_000.0
    world.gate.limits.set(DESK, min_liquidation_buffer=0.05)
    # 5 BTC: exposure 300k, maintenance 15k, buffer (30k - 15k) / 300k = 0.05
    assert world.gate.check([world.leg(quantity="5")]).accepted
    decision = world.gate.check([world.leg(quantity="5.1")])
    assert decision.codes == {ReasonCode.LIQUIDATION_BUFFER}


def test_margin_view_failure_then_denies_rather_than_guess(world: World) -> None:
    world.gate.limits.set(DESK, max_margin_utilisation=0.9, max_abs_delta=100.0)
    world.view.fail_with = RuntimeError("scenario cache rebuilding")
    decision = world.gate.check([world.leg()])
    assert decision.codes == {ReasonCode.MARGIN_UNAVAILABLE}
    assert all("scenario cache rebuilding" in r.observed for r in decision.reasons)


def test_margin_view_without_the_account_then_denies(world: World) -> None:
    del world.view.equity["acct-a"]
    world.gate.limits.set(DESK, max_margin_utilisation=0.9)
    assert world.gate.check([world.leg()]).codes == {ReasonCode.MARGIN_UNAVAILABLE}


def test_hedged_group_is_accepted_while_each_leg_alone_is_denied(world: World) -> None:
    world.gate.limits.set(BTC, max_abs_delta=1.0, max_net_position=Decimal("1"),
                          max_gross_position=Decimal("20"))
    world.gate.limits.set(Scope(account="acct-a"), max_margin_utilisation=0.1)
    buy_perp = world.leg("BTC-PERP", quantity="5", price="60000", group_id="basis-1")
    sell_spot = world.leg("BTC/USDT", side=Side.SELL, quantity="5", price="60010",
                          group_id="basis-1")
    alone = world.gate.check([buy_perp])
    assert not alone.accepted
    assert alone.codes == {ReasonCode.MAX_DELTA, ReasonCode.MAX_NET_POSITION}
    assert world.gate.check([sell_spot]).codes == {ReasonCode.MAX_DELTA,
                                                   ReasonCode.MAX_NET_POSITION}
    assert world.gate.check([buy_perp, sell_spot]).accepted


def test_group_legs_in_two_accounts_are_checked_per_account(world: World) -> None:
    world.gate.limits.set(BTC, max_net_position=Decimal("1"))
    buy_a = world.leg(quantity="5", group_id="g")
    sell_b = world.leg("BTC/USDT", side=Side.SELL, quantity="5", account="acct-b", group_id="g")
    decision = world.gate.check([buy_a, sell_b])  # hedged for the desk, not for each account
    assert {(r.code, r.account) for r in decision.reasons} == {
        (ReasonCode.MAX_NET_POSITION, "acct-a"), (ReasonCode.MAX_NET_POSITION, "acct-b")}


def test_trade_that_reduces_a_breach_is_allowed_and_one_that_grows_it_is_not(
        world: World) -> None:
    world.set_position("acct-a", "BTC-PERP", Decimal("8"))
    world.gate.limits.set(BTC, max_net_position=Decimal("5"), max_abs_delta=5.0)
    assert {r.code for r in world.gate.assess("acct-a")} == {ReasonCode.MAX_NET_POSITION,
                                                              ReasonCode.MAX_DELTA}
    assert world.gate.check([world.leg(side=Side.SELL, quantity="1")]).accepted  # 8 -> 7
    assert world.gate.check([world.leg(quantity="0.001")]).codes == {
        ReasonCode.MAX_NET_POSITION, ReasonCode.MAX_DELTA}


def test_assess_reports_nothing_when_within_limits(world: World) -> None:
    world.set_position("acct-a", "BTC-PERP", Decimal("1"))
    world.gate.limits.set(BTC, max_net_position=Decimal("1"), max_abs_delta=1.0)
    world.gate.limits.set(DESK, max_margin_utilisation=0.5)
    assert world.gate.assess("acct-a") == []


def test_desk_position_limit_sums_every_account(world: World) -> None:
    world.set_position("acct-b", "BTC-PERP", Decimal("4"))
    world.gate.limits.set(BTC, max_desk_net_position=Decimal("6"),
                          max_desk_gross_position=Decimal("10"))
    assert world.gate.check([world.leg(quantity="2")]).accepted  # 4 + 2 = 6
    decision = world.gate.check([world.leg(quantity="2.001")])
    assert decision.codes == {ReasonCode.MAX_NET_POSITION}
    reason = decision.reasons[0]
    assert (reason.limit_name, reason.account, reason.underlying, reason.observed) == (
        "max_desk_net_position", None, "BTC", "6.001")
    # a short in the other account nets the desk but adds to its gross: 4 + 6.001 > 10
    assert world.gate.check([world.leg(side=Side.SELL, quantity="6.001")]).codes == {
        ReasonCode.MAX_GROSS_POSITION}


def test_desk_limit_nets_a_group_across_accounts(world: World) -> None:
    world.gate.limits.set(BTC, max_desk_net_position=Decimal("1"))
    buy_a = world.leg(quantity="5", group_id="g")
    sell_b = world.leg("BTC/USDT", side=Side.SELL, quantity="5", account="acct-b", group_id="g")
    assert world.gate.check([buy_a]).codes == {ReasonCode.MAX_NET_POSITION}
    assert world.gate.check([buy_a, sell_b]).accepted
