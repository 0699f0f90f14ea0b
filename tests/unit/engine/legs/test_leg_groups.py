"""Leg groups over the OMS and PaperVenues (engine.oms, in memory: scripted rejections,
hangs and failures), driven by a ManualClock. Every failure test ends with zero residual."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import InvalidValue
from engine.legs import GroupState, LegGroup, LegGroupParams, LegPolicy, LegSpec, OnFailure
from engine.model import OrderStatus, Side
from engine.oms import Fault, ManualClock, OrderManager, PaperVenue
from engine.router import Router

from oms_support import SECOND, StaticGate, book, journal_at, paper, started_oms

D = Decimal


def arb(policy: LegPolicy = LegPolicy.ALL_OR_NONE, on_failure: OnFailure = OnFailure.UNWIND,
        qty: str = "1", tranches: int = 1) -> LegGroupParams:
    return LegGroupParams(legs=(
        LegSpec(venue="a", symbol="WETH/USDC", side=Side.BUY, ratio=D(1)),
        LegSpec(venue="b", symbol="WETH/USDC", side=Side.SELL, ratio=D(1))),
        qty=D(qty), policy=policy, on_failure=on_failure, tranches=tranches,
        leg_timeout_ns=5 * SECOND)


async def _setup(tmp_path: Path, gate: StaticGate | None = None
                 ) -> tuple[OrderManager, Router, ManualClock, list[PaperVenue]]:
    venues = [paper("a", size="100"), paper("b", mid="3010", size="100"),
              paper("c", mid="3005", size="100")]
    clock = ManualClock()
    oms = await started_oms(journal_at(tmp_path), venues, gate or StaticGate(), clock)
    return oms, Router(venues, refine_points=0), clock, venues


async def _drive(clock: ManualClock, task: asyncio.Task[object], step_s: int = 1) -> None:
    for _ in range(200):
        if task.done():
            return
        await clock.advance(step_s * SECOND)
    raise AssertionError("the group did not end")


def _net(venues: list[PaperVenue]) -> Decimal:
    return sum((v.position("WETH/USDC") for v in venues), D(0))


async def test_group_when_every_leg_fills_then_completed_with_zero_residual(
        tmp_path: Path) -> None:
    oms, router, _, venues = await _setup(tmp_path)
    report = await LegGroup(oms, router, "arb-1", arb(qty="2")).run()
    assert report.state is GroupState.COMPLETED
    assert report.leg_filled == (D(2), D(2)) and report.residual == {}
    assert venues[0].position("WETH/USDC") == D(2) and venues[1].position("WETH/USDC") == -2
    assert oms.parents()["arb-1"]["state"] == "completed"


async def test_group_when_a_leg_is_rejected_then_filled_legs_unwound_and_residual_zero(
        tmp_path: Path) -> None:
    oms, router, _, venues = await _setup(tmp_path)
    venues[1].faults.append(Fault.REJECT)
    report = await LegGroup(oms, router, "arb-2", arb()).run()
    assert report.state is GroupState.UNWOUND and "rejected" in (report.failure or "")
    assert report.residual == {} and report.kept_units == 0
    assert venues[0].position("WETH/USDC") == 0 and _net(venues) == 0
    assert oms.total_position("WETH/USDC") == 0


async def test_group_when_a_leg_times_out_then_canceled_unwound_and_residual_zero(
        tmp_path: Path) -> None:
    oms, router, clock, venues = await _setup(tmp_path)
    venues[1].faults.append(Fault.HANG_BEFORE)
    group = LegGroup(oms, router, "arb-3", arb())
    task = asyncio.create_task(group.run())
    await clock.advance(SECOND)
    assert group.residual() == {"WETH": D(1)}  # reported while the other leg hangs
    await _drive(clock, task)  # type: ignore[arg-type]
    report = task.result()
    assert report.state is GroupState.UNWOUND and "timed out" in (report.failure or "")
    assert report.residual == {} and _net(venues) == 0
    (hung,) = [o for o in oms.orders("arb-3") if o.venue == "b"]
    assert hung.status is OrderStatus.CANCELED and venues[1].place_calls == 1


async def test_group_when_a_leg_fails_then_residual_hedged_on_the_cheapest_venue(
        tmp_path: Path) -> None:
    oms, router, _, venues = await _setup(tmp_path)
    venues[1].faults.append(Fault.REJECT)  # e.g. a swap leg that reverted
    report = await LegGroup(oms, router, "arb-4", arb(on_failure=OnFailure.HEDGE)).run()
    assert report.state is GroupState.UNWOUND and report.residual == {}
    hedges = oms.orders("arb-4.remedy")
    assert hedges and all(h.side is Side.SELL for h in hedges)
    assert {h.venue for h in hedges} == {"b"}  # the best bid: b quotes 3010 - 1
    assert _net(venues) == 0


async def test_group_when_a_transient_error_hits_a_leg_then_resolved_and_residual_zero(
        tmp_path: Path) -> None:
    oms, router, clock, venues = await _setup(tmp_path)
    venues[1].faults.append(Fault.ERROR)
    task = asyncio.create_task(LegGroup(oms, router, "arb-5", arb()).run())
    await _drive(clock, task)  # type: ignore[arg-type]
    assert task.result().residual == {} and _net(venues) == 0


async def test_group_when_gate_denies_a_leg_then_no_leg_reaches_any_venue(
        tmp_path: Path) -> None:
    gate = StaticGate()
    gate.deny_venues.add("b")
    oms, router, _, venues = await _setup(tmp_path, gate)
    report = await LegGroup(oms, router, "arb-6", arb()).run()
    assert report.state is GroupState.UNWOUND and report.residual == {}
    assert all(v.place_calls == 0 for v in venues)
    assert {o.status for o in oms.orders("arb-6")} == {OrderStatus.DENIED}


async def test_ratio_locked_when_a_later_tranche_fails_then_completed_units_kept(
        tmp_path: Path) -> None:
    oms, router, clock, venues = await _setup(tmp_path)
    params = LegGroupParams(legs=(
        LegSpec(venue="a", symbol="WETH/USDC", side=Side.BUY, ratio=D(1)),
        LegSpec(venue="c", symbol="WETH/USDC", side=Side.SELL, ratio=D(2))),
        qty=D(3), policy=LegPolicy.RATIO_LOCKED, tranches=3, duration_ns=30 * SECOND,
        leg_timeout_ns=5 * SECOND)
    group = LegGroup(oms, router, "cal-1", params)
    task = asyncio.create_task(group.run())
    await clock.advance(SECOND)
    assert group.leg_filled() == (D(1), D(2))  # released in proportion
    venues[2].faults.append(Fault.REJECT)
    await _drive(clock, task)  # type: ignore[arg-type]
    report = task.result()
    assert report.state is GroupState.UNWOUND and report.kept_units == D(1)
    assert report.residual == {}
    assert venues[0].position("WETH/USDC") == D(1)
    assert venues[2].position("WETH/USDC") == D(-2)


def test_params_when_legs_repeat_or_aon_has_tranches_then_refused() -> None:
    leg = LegSpec(venue="a", symbol="WETH/USDC", side=Side.BUY, ratio=D(1))
    with pytest.raises(InvalidValue, match="legs"):
        LegGroupParams(legs=(leg, leg), qty=D(1))
    with pytest.raises(InvalidValue, match="tranches"):
        LegGroupParams(legs=(leg,), qty=D(1), tranches=2)


async def test_group_when_run_again_after_it_ended_then_nothing_is_sent(
        tmp_path: Path) -> None:
    oms, router, _, venues = await _setup(tmp_path)
    venues[1].faults.append(Fault.REJECT)
    first = await LegGroup(oms, router, "arb-7", arb()).run()
    calls = [v.place_calls for v in venues]
    again = await LegGroup(oms, router, "arb-7", arb()).run()
    assert [v.place_calls for v in venues] == calls
    assert (again.state, again.residual, again.kept_units) == (first.state, {}, D(0))


async def test_group_when_a_leg_venue_has_no_liquidity_then_stopped_unwound_and_residual_zero(
        tmp_path: Path) -> None:
    # b has asks only: the sell leg has no price (it used to fail building a zero limit).
    asks, _ = book("3010", 10, "100")
    venues = [paper("a", size="100"), PaperVenue("b", {"WETH/USDC": (asks, [])})]
    oms = await started_oms(journal_at(tmp_path), venues, StaticGate(), ManualClock())
    report = await LegGroup(oms, Router(venues, refine_points=0), "arb-empty",
                            arb(policy=LegPolicy.RATIO_LOCKED, qty="2", tranches=2)).run()
    assert report.state is GroupState.UNWOUND and report.residual == {}
    assert "no sell liquidity in WETH/USDC" in (report.failure or "")
    assert _net(venues) == 0 and oms.total_position("WETH/USDC") == 0
