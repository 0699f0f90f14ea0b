"""Sniper: show nothing until the all-in price across venues reaches the limit, then take
everything available at that price, at once, on every venue that has it."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from connectors.venue import Side as VenueSide
from engine.algos._base import AlgoParams, ExecAlgo, Positive
from engine.model import Side
from engine.router import NoRoute, RoutePlan, RouteRequest


class SniperParams(AlgoParams):
    limit_price: Positive  # required: the price the sniper waits for (all-in, fees included)
    poll_ns: int = Field(default=500_000_000, gt=0)
    expire_ns: int | None = Field(default=None, gt=0)


class Sniper(ExecAlgo):
    name = "sniper"
    params: SniperParams

    async def _work(self) -> None:
        deadline = None if self.params.expire_ns is None else (
            self.start_ns() + self.params.expire_ns)
        while not self.stopped:
            await self._wait_if_paused()
            remaining = self.remaining()
            if self.stopped or remaining <= 0 or remaining < self.min_lot():
                return
            if deadline is not None and self.clock.now_ns() >= deadline:
                return
            plan = await self._plan(remaining)
            if plan is not None:
                await self.send_plan(plan)
                continue
            await self.clock.sleep(self.params.poll_ns)

    async def _plan(self, qty: Decimal) -> RoutePlan | None:
        """A plan for what is available within the limit, all-in; None when nothing is."""
        try:
            plan = await self.router.plan(RouteRequest(
                self.params.symbol, VenueSide(self.params.side.value), qty,
                limit_price=self.params.limit_price))
        except NoRoute:
            return None
        limit = self.params.limit_price
        within = (plan.all_in_price <= limit if self.params.side is Side.BUY
                  else plan.all_in_price >= limit)
        return plan if within and plan.base_qty > 0 else None
