"""Random orders meeting random venue faults (in-memory PaperVenue, engine.oms: scripted
rejections, lost requests, lost answers, transient errors): once reconciled, every order is
final, nothing was executed twice, and the OMS's positions equal the venue's."""

from __future__ import annotations

import asyncio
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model import Side
from engine.oms import ChildSpec, Fault, ManualClock

from oms_support import SECOND, StaticGate, journal_at, paper, started_oms

ORDERS = st.lists(st.tuples(st.sampled_from([None, *Fault]), st.sampled_from(list(Side)),
                            st.integers(1, 30)), min_size=1, max_size=8)


async def _scenario(folder: Path, orders: list[tuple[Fault | None, Side, int]]) -> None:
    venue, clock = paper(size="1000"), ManualClock()
    oms = await started_oms(journal_at(folder), [venue], StaticGate(), clock)
    tasks = []
    for n, (fault, side, tenths) in enumerate(orders):
        if fault is not None:
            venue.faults.append(fault)
        spec = ChildSpec("paper", "WETH/USDC", side, Decimal(tenths) / 10,
                         expected_price=Decimal(3000))
        tasks.append(asyncio.ensure_future(oms.submit([spec], parent_id=f"p-{n}")))
        await clock.advance(3 * SECOND)  # past the request timeout of a hung request
        venue.faults.clear()
    await asyncio.gather(*tasks)
    for _ in range(3):
        await clock.advance(6 * SECOND)  # past the resend window
        await oms.reconcile_open()
    assert all(order.status.is_terminal for order in oms.orders())
    executed: dict[str, Decimal] = {}
    for fill in venue.fills:
        executed[fill.client_order_id] = executed.get(fill.client_order_id, 0) + fill.qty
    for order in oms.orders():
        assert executed.get(order.client_order_id, Decimal(0)) == order.filled_qty <= order.qty
    assert oms.total_position("WETH/USDC") == venue.position("WETH/USDC")
    assert oms.journal.replay() == oms.journal.projections()


@settings(derandomize=True, max_examples=40, deadline=None)
@given(orders=ORDERS)
def test_orders_when_venue_faults_then_reconciled_final_once_and_positions_agree(
        orders: list[tuple[Fault | None, Side, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_scenario(Path(folder), orders))
