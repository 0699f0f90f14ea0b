"""Reconciliation: bring every order whose outcome we do not know back in line with its venue.

    reconcile(client_order_id)  ask the venue by client id and book what it says; an order
                                the venue provably never got is resent under the same id
    reconcile_open()            the same for every order that is not terminal
    run_forever()               the background pass over unresolved orders

The venue decides what "provably never got" means: `query` returns None only then (a CEX
after its receive window; the Safe venue when the Safe nonce is unused and the transaction
manager holds no transaction for the order). Anything it cannot decide yet it reports as
UNKNOWN, and the order stays open until it can.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from connectors.errors import RetryableVenueError
from engine.errors import RetryableError
from engine.model import Order, OrderCanceled, OrderStatus

if TYPE_CHECKING:
    from engine.oms._manager import OrderManager

# Orders the venue may have, or not yet: sent and never acknowledged, or lost in flight.
OPEN_AT_VENUE = (OrderStatus.PENDING_NEW, OrderStatus.UNKNOWN)


class Reconciler:
    """Resolves UNKNOWN and unacknowledged orders of one OrderManager against its venues."""

    def __init__(self, oms: OrderManager) -> None:
        self.oms = oms
        self.resends = 0

    async def reconcile(self, coid: str) -> bool:
        """Ask the venue for the order by client id and book its answer; True once resolved
        (the order is no longer UNKNOWN or unacknowledged)."""
        oms = self.oms
        order = oms.order(coid)
        if order.status.is_terminal:
            return True
        if coid in oms._in_flight:
            return False
        venue = oms.venues[order.venue]
        try:
            report = await oms._timed(venue.query(coid, order.instrument.id))
        except (TimeoutError, RetryableVenueError, RetryableError):
            return False
        if report is None:
            return await self._absent(order)
        await oms._apply_report(report)
        return oms.order(coid).status not in OPEN_AT_VENUE

    async def _absent(self, order: Order) -> bool:
        """The venue has no such order. Unsent or lost: resend under the same client id once
        the lost request can no longer arrive; a cancel that raced it: canceled."""
        oms = self.oms
        coid = order.client_order_id
        last = oms._last_sent_ns.get(coid, order.updated_ts_ns)
        settled = oms.clock.now_ns() - last >= oms.config.resend_after_ns
        if order.status is OrderStatus.CANCEL_PENDING and order.venue_order_id is None:
            if not settled:
                return False  # the order itself may still reach the venue
            oms._record(OrderCanceled(event_id=f"{coid}/canceled",
                                      client_order_id=coid, ts_ns=oms.clock.now_ns(),
                                      correlation_id=order.parent_id))
            return True
        if order.status not in OPEN_AT_VENUE or not settled:
            return False
        self.resends += 1
        await oms.send(coid)
        return oms.order(coid).status not in OPEN_AT_VENUE

    async def reconcile_open(self) -> list[str]:
        """Reconcile every order that is not terminal; return the ids still unresolved."""
        unresolved: list[str] = []
        for order in self.oms.open_orders():
            if not await self.reconcile(order.client_order_id):
                unresolved.append(order.client_order_id)
        return unresolved

    async def run_forever(self) -> None:
        """Every `reconcile_every_ns`, reconcile the orders still open at their venue."""
        oms = self.oms
        while True:
            await oms.clock.sleep(oms.config.reconcile_every_ns)
            stale = [o.client_order_id for o in oms.open_orders()
                     if o.status in (*OPEN_AT_VENUE, OrderStatus.CANCEL_PENDING)]
            for coid in stale:
                with contextlib.suppress(Exception):
                    await self.reconcile(coid)
