"""Iceberg: show only `display_qty`; when that tranche is done, show the next.

With a limit price each tranche rests as a GTC limit order on one venue (given, or the one
the router prefers for a tranche); without one, each tranche is taken at once, routed.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from connectors.venue import Side as VenueSide
from engine.algos._base import AlgoParams, ExecAlgo, Positive
from engine.errors import InvalidValue
from engine.model import OrderType, TimeInForce
from engine.oms import ChildSpec
from engine.router import NoRoute, RouteRequest


class IcebergParams(AlgoParams):
    display_qty: Positive
    venue: str | None = Field(default=None, min_length=1)
    refresh_wait_ns: int = Field(default=3_600_000_000_000, gt=0)  # longest wait per tranche

    @model_validator(mode="after")
    def _display_fits(self) -> IcebergParams:
        if self.display_qty > self.qty:
            raise InvalidValue("display_qty", f"{self.display_qty} exceeds qty {self.qty}")
        if self.venue is not None and self.limit_price is None:
            raise InvalidValue("venue", "a venue is only used for resting (limit) tranches")
        return self


class Iceberg(ExecAlgo):
    name = "iceberg"
    params: IcebergParams

    async def _work(self) -> None:
        while not self.stopped:
            await self._wait_if_paused()
            tranche = min(self.params.display_qty, self.remaining())
            if self.stopped or tranche <= 0 or tranche < self.min_lot():
                return
            if self.params.limit_price is None:
                if await self.take(tranche) == 0:
                    return
                continue
            venue = self.params.venue or await self._best_venue(tranche)
            if venue is None:
                return
            (child,) = await self.oms.submit([ChildSpec(
                venue, self.params.symbol, self.params.side, tranche, OrderType.LIMIT,
                self.params.limit_price, TimeInForce.GTC)], self.parent_id)
            self._publish()
            if child.status.is_terminal and child.filled_qty == 0:
                return  # denied or rejected: do not keep trying the same tranche
            await self.oms.wait_done(child.client_order_id, self.params.refresh_wait_ns)
            self._publish()

    async def _best_venue(self, qty: Decimal) -> str | None:
        try:
            plan = await self.router.plan(RouteRequest(self.params.symbol,
                                                       VenueSide(self.params.side.value), qty))
        except NoRoute:
            return None
        best = max(plan.legs, key=lambda leg: leg.base_qty, default=None)
        return None if best is None else best.venue
