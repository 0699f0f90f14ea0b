"""OrderManager against the in-memory PaperVenue (engine.oms; scripted faults, no network)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.orders import OrderRequest, VenueOrderReport
from engine.journal import Journal
from engine.model import (
    DenialReason,
    OrderCreated,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    client_order_id,
)
from engine.oms import ChildSpec, Fault, ManualClock, NotAccepting, OrderManager, PaperVenue

from oms_support import SECOND, StaticGate, journal_at, paper, started_oms

D = Decimal


def buy(qty: str, venue: str = "paper", **kwargs: object) -> ChildSpec:
    return ChildSpec(venue, "WETH/USDC", Side.BUY, D(qty), expected_price=D(3000),
                     **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return journal_at(tmp_path)


async def test_submit_when_market_ioc_then_filled_and_journaled_before_the_venue_saw_it(
        journal: Journal) -> None:
    venue, clock = paper(), ManualClock()
    seen_in_journal: list[OrderStatus | None] = []
    place = venue.place

    async def spying_place(request: OrderRequest) -> VenueOrderReport:
        logged = journal.order(request.client_order_id)
        seen_in_journal.append(logged.status if logged else None)
        return await place(request)

    venue.place = spying_place  # type: ignore[method-assign]
    oms = await started_oms(journal, [venue], StaticGate(), clock)
    (order,) = await oms.submit([buy("1.5")], parent_id="p-1")
    assert order.client_order_id == client_order_id("p-1", 0)
    assert seen_in_journal == [OrderStatus.PENDING_NEW]
    assert order.status is OrderStatus.FILLED
    assert (order.filled_qty, order.filled_notional) == (D("1.5"), D(3001) + D("0.5") * 3002)
    kinds = [getattr(e, "kind", "") for _, e in journal.events()]
    assert kinds[0] == "created" and kinds.count("filled") == 2


async def test_submit_when_children_of_one_parent_then_ids_are_deterministic_and_sequential(
        journal: Journal) -> None:
    oms = await started_oms(journal, [paper()], StaticGate(), ManualClock())
    first = await oms.submit([buy("0.1"), buy("0.1")], parent_id="twap-7")
    second = await oms.submit([buy("0.1")], parent_id="twap-7")
    assert [o.client_order_id for o in first + second] == [
        client_order_id("twap-7", n) for n in range(3)]
    assert all(o.parent_id == "twap-7" for o in oms.orders("twap-7"))


async def test_submit_when_gate_denies_then_journaled_denied_and_never_sent(
        journal: Journal) -> None:
    venue = paper()
    oms = await started_oms(journal, [venue], StaticGate(DenialReason.MAX_NOTIONAL),
                            ManualClock())
    (order,) = await oms.submit([buy("1")], parent_id="p-1")
    assert order.status is OrderStatus.DENIED
    assert order.reason is not None and order.reason.startswith("max_notional")
    assert venue.place_calls == 0 and venue.orders == {}
    assert journal.order(order.client_order_id) == order


async def test_submit_when_venue_rejects_then_rejected_with_the_venue_reason(
        journal: Journal) -> None:
    venue = paper()
    venue.faults.append(Fault.REJECT)
    oms = await started_oms(journal, [venue], StaticGate(), ManualClock())
    (order,) = await oms.submit([buy("1")], parent_id="p-1")
    assert order.status is OrderStatus.REJECTED and order.reason == "paper: rejected"


async def test_send_when_request_lost_then_unknown_and_resent_under_the_same_id_once_safe(
        journal: Journal) -> None:
    venue, clock = paper(), ManualClock()
    venue.faults.append(Fault.HANG_BEFORE)
    oms = await started_oms(journal, [venue], StaticGate(), clock)
    task = asyncio.ensure_future(oms.submit([buy("1")], parent_id="p-1"))
    await clock.advance(3 * SECOND)  # past the 2 s request timeout
    (order,) = await task
    assert order.status is OrderStatus.UNKNOWN and venue.orders == {}
    assert not await oms.reconcile(order.client_order_id)  # too early to resend
    assert venue.place_calls == 1
    await clock.advance(3 * SECOND)  # now 5 s after sending: the lost request cannot arrive
    assert await oms.reconcile(order.client_order_id)
    assert venue.place_calls == 2 and list(venue.orders) == [order.client_order_id]
    assert oms.order(order.client_order_id).status is OrderStatus.FILLED
    assert oms.resends == 1


async def test_send_when_executed_but_answer_lost_then_reconciled_without_a_resend(
        journal: Journal) -> None:
    venue, clock = paper(), ManualClock()
    venue.faults.append(Fault.HANG_AFTER)
    oms = await started_oms(journal, [venue], StaticGate(), clock)
    task = asyncio.ensure_future(oms.submit([buy("1")], parent_id="p-1"))
    await clock.advance(3 * SECOND)
    (order,) = await task
    # the fills streamed before the answer was lost: booked, and the order is done
    assert order.status is OrderStatus.FILLED
    await clock.advance(10 * SECOND)
    assert await oms.reconcile(order.client_order_id)
    assert venue.place_calls == 1 and venue.position("WETH/USDC") == D(1)


async def test_send_when_transient_error_then_unknown_not_rejected(journal: Journal) -> None:
    venue, clock = paper(), ManualClock()
    venue.faults.append(Fault.ERROR)
    oms = await started_oms(journal, [venue], StaticGate(), clock)
    (order,) = await oms.submit([buy("1")], parent_id="p-1")
    assert order.status is OrderStatus.UNKNOWN
    await clock.advance(6 * SECOND)
    assert await oms.reconcile(order.client_order_id)
    assert oms.order(order.client_order_id).status is OrderStatus.FILLED


async def test_positions_and_balances_when_fills_on_two_venues_then_per_venue_and_total(
        journal: Journal) -> None:
    a, b = paper("a"), paper("b", mid="3010")
    oms = await started_oms(journal, [a, b], StaticGate(), ManualClock())
    await oms.submit([buy("1", "a"), buy("2", "b")], parent_id="p-1")
    await oms.submit([ChildSpec("b", "WETH/USDC", Side.SELL, D("0.5"),
                                expected_price=D(3000))], parent_id="p-2")
    positions = oms.positions()
    assert positions[("a", "WETH/USDC")] == D(1)  # type: ignore[index]
    assert positions[("b", "WETH/USDC")] == D("1.5")  # type: ignore[index]
    assert oms.total_position("WETH/USDC") == D("2.5")
    truth = a.position("WETH/USDC") + b.position("WETH/USDC")
    assert oms.total_position("WETH/USDC") == truth
    totals = oms.total_balances()
    assert totals["WETH"] == D("2.5")
    paid = sum(f.qty * f.price * (1 if f.side.value == "buy" else -1) + f.fee
               for f in a.fills + b.fills)
    assert totals["USDC"] == -paid


async def test_cancel_when_resting_then_canceled_and_when_filled_then_unchanged(
        journal: Journal) -> None:
    venue = paper()
    oms = await started_oms(journal, [venue], StaticGate(), ManualClock())
    (resting,) = await oms.submit([buy("1", order_type=OrderType.LIMIT,
                                       limit_price=D(2990), time_in_force=TimeInForce.GTC)],
                                  parent_id="p-1")
    assert resting.status is OrderStatus.ACCEPTED
    venue.trade_against(resting.client_order_id, D("0.25"))
    canceled = await oms.cancel(resting.client_order_id)
    assert canceled.status is OrderStatus.CANCELED and canceled.filled_qty == D("0.25")
    (done,) = await oms.submit([buy("1")], parent_id="p-2")
    assert (await oms.cancel(done.client_order_id)).status is OrderStatus.FILLED


async def test_cancel_when_venue_says_already_done_then_cancel_rejected_and_reconciled(
        journal: Journal) -> None:
    venue = paper()
    oms = await started_oms(journal, [venue], StaticGate(), ManualClock())
    (resting,) = await oms.submit([buy("1", order_type=OrderType.LIMIT, limit_price=D(2990),
                                       time_in_force=TimeInForce.GTC)], parent_id="p-1")
    # the fill happens at the venue but its report is lost: only reconciliation can tell
    on_fill, venue.on_fill = venue.on_fill, None
    venue.trade_against(resting.client_order_id, D(1))
    venue.on_fill = on_fill
    venue.poll_fills = _redeliver(venue)  # type: ignore[method-assign]
    after = await oms.cancel(resting.client_order_id)
    assert after.status is OrderStatus.FILLED and after.filled_qty == D(1)
    kinds = [getattr(e, "kind", "") for _, e in journal.events()
             if e.client_order_id == resting.client_order_id]
    assert "cancel_requested" in kinds and "cancel_rejected" in kinds


def _redeliver(venue: PaperVenue):  # type: ignore[no-untyped-def]
    async def poll() -> int:
        for fill in venue.fills:
            assert venue.on_fill is not None
            venue.on_fill(fill)
        return len(venue.fills)
    return poll


async def test_fill_when_delivered_twice_then_booked_once(journal: Journal) -> None:
    venue = paper()
    oms = await started_oms(journal, [venue], StaticGate(), ManualClock())
    (order,) = await oms.submit([buy("1")], parent_id="p-1")
    assert venue.on_fill is not None
    for fill in venue.fills:
        venue.on_fill(fill)
    assert oms.order(order.client_order_id).filled_qty == D(1)
    assert journal.replay().positions == oms.book.positions


async def test_start_when_journal_has_unknown_order_then_reconciled_before_accepting(
        tmp_path: Path) -> None:
    venue, clock = paper(), ManualClock()
    venue.faults.append(Fault.HANG_AFTER)
    first = await started_oms(journal_at(tmp_path), [venue], StaticGate(), clock)
    on_fill, venue.on_fill = venue.on_fill, None  # the "crash": fills never reach us
    task = asyncio.ensure_future(first.submit([buy("1")], parent_id="p-1"))
    await clock.advance(3 * SECOND)
    (lost,) = await task
    assert lost.status is OrderStatus.UNKNOWN
    venue.on_fill = on_fill
    venue.poll_fills = _redeliver(venue)  # type: ignore[method-assign]
    second = OrderManager(journal_at(tmp_path), {"paper": venue}, StaticGate(), clock)
    with pytest.raises(NotAccepting):
        second.prepare([buy("1")], parent_id="p-2")
    await second.start(background=False)
    assert second.accepting
    assert second.order(lost.client_order_id).status is OrderStatus.FILLED
    assert venue.place_calls == 1
    assert second.total_position("WETH/USDC") == venue.position("WETH/USDC")


async def test_start_when_order_journaled_but_never_sent_then_sent_once_under_its_id(
        tmp_path: Path) -> None:
    venue, clock = paper(), ManualClock()
    first = await started_oms(journal_at(tmp_path), [venue], StaticGate(), clock)
    (order,) = first.prepare([buy("1")], parent_id="p-1")  # crash right after the journal
    await clock.advance(6 * SECOND)
    second = await started_oms(journal_at(tmp_path), [venue], StaticGate(), clock)
    assert second.order(order.client_order_id).status is OrderStatus.FILLED
    assert venue.place_calls == 1
    events = [e for _, e in journal_at(tmp_path).events()
              if e.client_order_id == order.client_order_id]
    assert isinstance(events[0], OrderCreated)
