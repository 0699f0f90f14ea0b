"""Execution algorithms over the OMS, the real Router and in-memory PaperVenues (engine.oms;
no network), driven by a ManualClock: no real sleeps."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from engine.algos import (
    AlgoState,
    Iceberg,
    IcebergParams,
    Immediate,
    ImmediateParams,
    Sniper,
    SniperParams,
    Twap,
    TwapParams,
    Vwap,
    VwapParams,
    algo_for,
    estimate_profile,
)
from engine.errors import InvalidValue
from engine.model import DenialReason, OrderStatus, Side
from engine.oms import ManualClock, OrderManager, PaperVenue
from engine.router import Router

from oms_support import SECOND, StaticGate, journal_at, paper, started_oms

D = Decimal


async def _setup(tmp_path: Path, venues: list[PaperVenue], gate: StaticGate | None = None
                 ) -> tuple[OrderManager, Router, ManualClock, StaticGate]:
    clock, gate = ManualClock(), gate or StaticGate()
    oms = await started_oms(journal_at(tmp_path), venues, gate, clock)
    return oms, Router(venues, refine_points=0), clock, gate


async def test_immediate_when_two_venues_then_split_and_filled_with_every_child_gated(
        tmp_path: Path) -> None:
    a, b = paper("a", size="1"), paper("b", mid="3000.5", size="1")
    oms, router, _, gate = await _setup(tmp_path, [a, b])
    algo = Immediate(oms, router, "imm-1", ImmediateParams(symbol="WETH/USDC", side=Side.BUY,
                                                            qty=D("3")))
    progress = await algo.run()
    assert progress.state is AlgoState.DONE and progress.filled == D(3)
    assert set(progress.fills_by_venue) == {"a", "b"}
    assert sum(len(group) for group in gate.checked) == progress.children
    assert a.position("WETH/USDC") + b.position("WETH/USDC") == D(3)


async def test_immediate_when_first_round_fills_short_then_remainder_rerouted(
        tmp_path: Path) -> None:
    a = paper("a", size="1")
    oms, router, _, _ = await _setup(tmp_path, [a])
    algo = Immediate(oms, router, "imm-2", ImmediateParams(symbol="WETH/USDC", side=Side.BUY,
                                                            qty=D("2")))
    original = a._execute

    def thin_once(order):  # type: ignore[no-untyped-def]
        a._execute = original  # the first child meets a book someone else just hit
        a.set_book("WETH/USDC", [(D(3001), D("0.5")), (D(3100), D(100))], [])
        original(order)

    a._execute = thin_once  # type: ignore[method-assign]
    progress = await algo.run()
    first, second = oms.orders("imm-2")
    assert (first.status, first.filled_qty) == (OrderStatus.EXPIRED, D("0.5"))
    assert (second.qty, second.status) == (D("1.5"), OrderStatus.FILLED)
    assert progress.filled == D(2)


async def test_twap_when_run_then_slices_on_schedule_within_jitter_and_total_filled(
        tmp_path: Path) -> None:
    oms, router, clock, _ = await _setup(tmp_path, [paper(size="100")])
    start = clock.now_ns()
    algo = Twap(oms, router, "twap-1", TwapParams(symbol="WETH/USDC", side=Side.BUY,
                                                   qty=D("4"), duration_ns=40 * SECOND, slices=4,
                                                   randomize=0.5, seed=3))
    task = asyncio.create_task(algo.run())
    for _ in range(45):
        await clock.advance(SECOND)
    progress = await task
    assert progress.filled == D(4) and progress.state is AlgoState.DONE
    times = [c.created_ts_ns - start for c in oms.orders("twap-1")]
    assert len(times) == 4
    for i, offset in enumerate(times):  # each slice within a quarter interval of its slot
        assert abs(offset - i * 10 * SECOND) <= 2.5 * SECOND + SECOND
    assert [c.qty for c in oms.orders("twap-1")] == [D(1)] * 4


async def test_twap_when_paused_then_nothing_released_and_resume_catches_up(
        tmp_path: Path) -> None:
    oms, router, clock, _ = await _setup(tmp_path, [paper(size="100")])
    algo = Twap(oms, router, "twap-2", TwapParams(symbol="WETH/USDC", side=Side.BUY,
                                                   qty=D("4"), duration_ns=40 * SECOND,
                                                   slices=4))
    task = asyncio.create_task(algo.run())
    await clock.advance(SECOND)
    assert len(oms.orders("twap-2")) == 1
    algo.pause()
    await clock.advance(25 * SECOND)
    assert len(oms.orders("twap-2")) == 1 and algo.state is AlgoState.PAUSED
    algo.resume()
    await clock.advance(SECOND)
    catch_up = oms.orders("twap-2")[-1]
    assert catch_up.qty == D(2)  # slices 2 and 3 in one child: behind schedule, caught up
    await clock.advance(20 * SECOND)
    assert (await task).filled == D(4)


async def test_twap_when_canceled_then_stops_and_cancels_resting_children(
        tmp_path: Path) -> None:
    oms, router, clock, _ = await _setup(tmp_path, [paper(size="100")])
    algo = Twap(oms, router, "twap-3", TwapParams(symbol="WETH/USDC", side=Side.BUY,
                                                   qty=D("4"), duration_ns=40 * SECOND,
                                                   slices=4))
    task = asyncio.create_task(algo.run())
    await clock.advance(SECOND)
    await algo.cancel()
    await clock.advance(60 * SECOND)
    progress = await task
    assert progress.state is AlgoState.CANCELED and progress.filled == D(1)
    assert oms.parents()["twap-3"]["state"] == "canceled"


async def test_twap_when_gate_denies_then_no_child_reaches_a_venue(tmp_path: Path) -> None:
    venue = paper(size="100")
    oms, router, clock, gate = await _setup(tmp_path, [venue],
                                            StaticGate(DenialReason.MAX_POSITION))
    algo = Twap(oms, router, "twap-4", TwapParams(symbol="WETH/USDC", side=Side.BUY,
                                                   qty=D("2"), duration_ns=20 * SECOND,
                                                   slices=2))
    task = asyncio.create_task(algo.run())
    for _ in range(25):
        await clock.advance(SECOND)
    progress = await task
    assert progress.filled == 0 and venue.place_calls == 0
    assert all(c.status is OrderStatus.DENIED for c in oms.orders("twap-4"))
    assert len(gate.checked) == len(oms.orders("twap-4")) >= 2


async def test_vwap_when_profile_given_then_slices_follow_it(tmp_path: Path) -> None:
    oms, router, clock, _ = await _setup(tmp_path, [paper(size="100")])
    algo = Vwap(oms, router, "vwap-1", VwapParams(symbol="WETH/USDC", side=Side.SELL,
                                                   qty=D("4"), duration_ns=20 * SECOND,
                                                   profile=(D(1), D(3))))
    task = asyncio.create_task(algo.run())
    for _ in range(25):
        await clock.advance(SECOND)
    await task
    assert [c.qty for c in oms.orders("vwap-1")] == [D(1), D(3)]


def test_vwap_when_volumes_given_then_profile_estimated_from_them() -> None:
    trades = [(0, D(1)), (5, D(1)), (12, D(2)), (25, D(9))]
    assert estimate_profile(trades, 0, 10, 2) == (D(2), D(2))
    params = VwapParams(symbol="WETH/USDC", side=Side.BUY, qty=D(1), duration_ns=10,
                        volumes=estimate_profile(trades, 0, 10, 3))
    assert params.volumes == (D(2), D(2), D(9))


async def test_iceberg_when_limit_then_one_tranche_rests_at_a_time_and_refreshes_on_fill(
        tmp_path: Path) -> None:
    venue = paper(size="100")
    oms, router, clock, _ = await _setup(tmp_path, [venue])
    algo = Iceberg(oms, router, "ice-1", IcebergParams(
        symbol="WETH/USDC", side=Side.BUY, qty=D("2.5"), display_qty=D(1),
        limit_price=D(2990), venue="paper"))
    task = asyncio.create_task(algo.run())
    for expected in (D(1), D(1), D("0.5")):
        await clock.advance(0)
        (resting,) = [c for c in oms.orders("ice-1") if not c.status.is_terminal]
        assert resting.qty == expected and resting.limit_price == D(2990)
        venue.trade_against(resting.client_order_id, expected)
    progress = await task
    assert progress.filled == D("2.5") and progress.children == 3


async def test_sniper_when_price_not_reached_then_nothing_sent_then_takes_what_is_there(
        tmp_path: Path) -> None:
    venue = paper(size="100")
    oms, router, clock, _ = await _setup(tmp_path, [venue])
    algo = Sniper(oms, router, "snipe-1", SniperParams(
        symbol="WETH/USDC", side=Side.BUY, qty=D(2), limit_price=D(2995), poll_ns=SECOND))
    task = asyncio.create_task(algo.run())
    for _ in range(5):
        await clock.advance(SECOND)
    assert venue.place_calls == 0 and oms.orders("snipe-1") == []
    venue.set_book("WETH/USDC", [(D(2990), D("0.5")), (D(3001), D(100))], [])
    await clock.advance(SECOND)
    # what is at the price (to the router's lot rounding), and nothing above it
    assert D("0.499") <= oms.filled("snipe-1") <= D("0.5")
    venue.set_book("WETH/USDC", [(D(2988), D(5))], [])
    await clock.advance(SECOND)
    progress = await task
    assert progress.filled == D(2)
    assert all(c.avg_fill_price is not None and c.avg_fill_price <= D(2990)
               for c in oms.orders("snipe-1"))


def test_params_when_invalid_then_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValue, match="display_qty"):
        IcebergParams(symbol="WETH/USDC", side=Side.BUY, qty=D(1), display_qty=D(2))
    with pytest.raises(InvalidValue, match="profile"):
        VwapParams(symbol="WETH/USDC", side=Side.BUY, qty=D(1), duration_ns=1)
    with pytest.raises(ValueError, match="slices"):
        TwapParams(symbol="WETH/USDC", side=Side.BUY, qty=D(1), duration_ns=1, slices=0)
    with pytest.raises(InvalidValue, match="algo"):
        algo_for(None, None, "p", "martingale", {})  # type: ignore[arg-type]


async def test_algo_when_run_again_after_done_then_nothing_is_sent(tmp_path: Path) -> None:
    venue = paper(size="100")
    oms, router, _, _ = await _setup(tmp_path, [venue])
    params = ImmediateParams(symbol="WETH/USDC", side=Side.BUY, qty=D(1))
    assert (await Immediate(oms, router, "imm-9", params).run()).filled == D(1)
    calls = venue.place_calls
    again = await Immediate(oms, router, "imm-9", params).run()
    assert again.state is AlgoState.DONE and venue.place_calls == calls
