"""Kill switches: cancel the resting orders they cover and deny new legs until released."""

from __future__ import annotations

import pytest
from pretrade_support import World

from risk.pretrade import InvalidLimit, KillLevel, ReasonCode, Side


@pytest.fixture
def world() -> World:
    world = World()
    world.resting(client_order_id="a-basis", account="acct-a", strategy="basis")
    world.resting(client_order_id="a-mm", account="acct-a", strategy="mm", side=Side.BUY,
                  price="59000")
    world.resting(client_order_id="b-mm", account="acct-b", strategy="mm")
    return world


def test_desk_switch_cancels_everything_and_denies_until_released(world: World) -> None:
    cancelled = world.gate.kill_switch.engage(KillLevel.DESK, reason="venue outage")
    assert {o.client_order_id for o in cancelled} == {"a-basis", "a-mm", "b-mm"}
    assert world.canceller.cancelled_ids == {"a-basis", "a-mm", "b-mm"}
    assert world.canceller.calls[0][1] == "desk kill switch: venue outage"
    for leg in (world.leg(), world.leg(account="acct-b", strategy="mm")):
        decision = world.gate.check([leg])
        assert decision.codes == {ReasonCode.KILL_SWITCH}
        assert decision.reasons[0].limit_name == "desk_kill_switch"
    world.gate.kill_switch.release(KillLevel.DESK)
    assert world.gate.check([world.leg(price="59000")]).accepted
    assert len(world.canceller.calls) == 1  # releasing sends nothing


def test_account_switch_covers_only_that_account(world: World) -> None:
    world.gate.kill_switch.engage(KillLevel.ACCOUNT, "acct-a")
    assert world.canceller.cancelled_ids == {"a-basis", "a-mm"}
    assert world.gate.check([world.leg()]).codes == {ReasonCode.KILL_SWITCH}
    assert world.gate.check([world.leg(account="acct-b", price="59000")]).accepted
    world.gate.kill_switch.release(KillLevel.ACCOUNT, "acct-a")
    assert world.gate.check([world.leg(price="59000")]).accepted


def test_strategy_switch_covers_that_strategy_in_every_account(world: World) -> None:
    world.gate.kill_switch.engage(KillLevel.STRATEGY, "mm")
    assert world.canceller.cancelled_ids == {"a-mm", "b-mm"}
    assert world.gate.check([world.leg(strategy="mm", account="acct-b")]).codes == {
        ReasonCode.KILL_SWITCH}
    assert world.gate.check([world.leg(strategy="basis", price="59500")]).accepted


def test_switch_blocks_a_whole_group_when_it_covers_one_leg(world: World) -> None:
    world.gate.kill_switch.engage(KillLevel.STRATEGY, "hedge")
    decision = world.gate.check([world.leg(price="59500", group_id="g"),
                                 world.leg("BTC/USDT", side=Side.SELL, strategy="hedge",
                                           group_id="g")])
    assert not decision.accepted and decision.codes == {ReasonCode.KILL_SWITCH}
    assert world.canceller.calls == []  # nothing of "hedge" was resting


def test_switch_without_a_name_below_desk_level_is_refused(world: World) -> None:
    with pytest.raises(InvalidLimit, match="account"):
        world.gate.kill_switch.engage(KillLevel.ACCOUNT)
    assert world.canceller.calls == []
