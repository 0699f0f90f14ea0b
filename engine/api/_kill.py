"""The kill switch's engine side: cancels go through the OMS, orders carry a strategy.

`risk.pretrade.KillSwitch` blocks new legs of the scope it covers and hands that scope's
resting orders to its `Canceller`. Here the canceller is the OMS: each cancel is journaled
(`OrderCancelRequested`) before the venue is asked, and the venue's answer comes back as an
ordinary order event, exactly as for `crossbook order cancel`.

An order's strategy is the part of its parent id (the API's request id, or an algorithm's
parent id) before the first ':' ("mm:quote-17" belongs to strategy "mm"); an id without one
belongs to the gate's default strategy. So a desk names its strategies in the ids it already
sends, and a strategy kill switch covers its algorithms' children too.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence

from engine.model import Order, OrderEvent
from engine.oms import GateLeg, OrderManager, RiskGate
from risk import pretrade

log = logging.getLogger(__name__)


def strategy_of(order: Order, default: str) -> str:
    """The strategy an order belongs to (see the module docstring)."""
    prefix, sep, _ = (order.parent_id or "").partition(":")
    return prefix if sep and prefix else default


class DeskRiskGate(RiskGate):
    """`RiskGate` with the strategy of each order taken from its parent id, so limits,
    throttles and kill switches per strategy see the desk's real strategies."""

    def _intent(self, leg: GateLeg, group: str | None) -> pretrade.LegIntent:
        intent = super()._intent(leg, group)
        strategy = strategy_of(leg.order, self.strategy)
        return intent if strategy == intent.strategy else dataclasses.replace(
            intent, strategy=strategy)

    def on_event(self, event: OrderEvent, order: Order) -> None:
        super().on_event(event, order)
        strategy = strategy_of(order, self.strategy)
        if strategy == self.strategy:
            return
        state = self.pretrade.state  # the base class books resting orders under its default
        for resting in state.resting_orders():
            if resting.client_order_id == order.client_order_id and resting.strategy != strategy:
                state.remove_resting(resting.client_order_id)
                state.add_resting(dataclasses.replace(resting, strategy=strategy))
                return


class OmsCanceller:
    """`risk.pretrade.Canceller` over the OMS: every cancel is an OMS cancel (journaled, then
    sent); `drain()` waits for the venues' answers."""

    def __init__(self, oms: OrderManager) -> None:
        self.oms = oms
        self._tasks: set[asyncio.Task[Order]] = set()

    def cancel(self, orders: Sequence[pretrade.RestingOrder], reason: str) -> None:
        self.cancel_ids([order.client_order_id for order in orders], reason)

    def cancel_ids(self, client_order_ids: Sequence[str], reason: str) -> None:
        """Start one OMS cancel per order (on the running loop); an order already final is
        left as it is."""
        loop = asyncio.get_running_loop()
        for coid in client_order_ids:
            log.info("canceling %s: %s", coid, reason)
            task = loop.create_task(self.oms.cancel(coid))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every cancel started so far (a failure is logged; the OMS reconciles)."""
        while self._tasks:
            started = list(self._tasks)
            self._tasks.difference_update(started)  # a finished task never comes back
            for task in started:
                with contextlib.suppress(Exception):
                    await task
                if not task.cancelled() and task.exception() is not None:
                    log.warning("cancel failed: %s", task.exception())
