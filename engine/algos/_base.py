"""What every execution algorithm shares: validated parameters, state, pause/resume/cancel,
and one way to take liquidity now (route -> child orders through the OMS and its gate)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors.venue import Side as VenueSide
from engine.model import Money, Order, OrderStatus, OrderType, Side, TimeInForce
from engine.oms import ChildSpec, OrderManager
from engine.router import NoRoute, RoutePlan, Router, RouteRequest

Positive = Annotated[Money, Field(gt=0)]


class AlgoParams(BaseModel):
    """Parameters shared by every algorithm: what to trade, how much, and a price cap."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str = Field(pattern=r"^[A-Za-z0-9._]{1,32}/[A-Za-z0-9._]{1,32}$")
    side: Side
    qty: Positive
    limit_price: Positive | None = None
    child_timeout_ns: int = Field(default=30_000_000_000, gt=0)


class AlgoState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELED = "canceled"
    DONE = "done"


@dataclass(frozen=True)
class AlgoProgress:
    """Where a parent order stands; `in_doubt` is child quantity still UNKNOWN or open."""

    parent_id: str
    algo: str
    state: AlgoState
    symbol: str
    side: Side
    qty: Decimal
    filled: Decimal
    in_doubt: Decimal
    avg_price: Decimal | None
    children: int
    fills_by_venue: dict[str, Decimal]
    reason: str | None = None  # why a parent ended canceled without being asked to

    def to_json(self) -> dict[str, object]:
        return {"parent_id": self.parent_id, "algo": self.algo, "state": self.state.value,
                "symbol": self.symbol, "side": self.side.value, "qty": str(self.qty),
                "filled": str(self.filled), "in_doubt": str(self.in_doubt),
                "avg_price": None if self.avg_price is None else str(self.avg_price),
                "children": self.children,
                "fills_by_venue": {k: str(v) for k, v in self.fills_by_venue.items()},
                "reason": self.reason}


ProgressListener = Callable[[AlgoProgress], None]


class ExecAlgo(ABC):
    """A parent order worked over time. `run()` returns the final progress.

    Children go through `OrderManager.submit`, so every one of them is gated and journaled;
    the parent's own state changes are journaled as parent records. Time comes from the OMS
    clock (injectable), so tests drive it without sleeping.
    """

    name: ClassVar[str]

    def __init__(self, oms: OrderManager, router: Router, parent_id: str,
                 params: AlgoParams) -> None:
        self.oms = oms
        self.router = router
        self.parent_id = parent_id
        self.params = params
        self.clock = oms.clock
        self.state = AlgoState.PENDING
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._listeners: list[ProgressListener] = []
        self.no_route_count = 0
        self.reason: str | None = None

    # ---- control ----------------------------------------------------------------------------

    def pause(self) -> None:
        if self.state is AlgoState.RUNNING:
            self.state = AlgoState.PAUSED
            self._resumed.clear()
            self.oms.record_parent(self.parent_id, "paused", {})

    def resume(self) -> None:
        if self.state is AlgoState.PAUSED:
            self.state = AlgoState.RUNNING
            self._resumed.set()
            self.oms.record_parent(self.parent_id, "running", {})

    async def cancel(self) -> AlgoProgress:
        """Stop releasing children and cancel any still open at a venue."""
        if self.state in (AlgoState.DONE, AlgoState.CANCELED):
            return self.progress()
        self.state = AlgoState.CANCELED
        self._resumed.set()
        for child in self.oms.orders(self.parent_id):
            if not child.status.is_terminal:
                await self.oms.cancel(child.client_order_id)
        self.oms.record_parent(self.parent_id, "canceled", {})
        return self.progress()

    def subscribe(self, listener: ProgressListener) -> None:
        self._listeners.append(listener)

    @property
    def stopped(self) -> bool:
        return self.state in (AlgoState.CANCELED, AlgoState.DONE)

    async def _wait_if_paused(self) -> None:
        await self._resumed.wait()

    # ---- progress ---------------------------------------------------------------------------

    def children(self) -> list[Order]:
        return self.oms.orders(self.parent_id)

    def filled(self) -> Decimal:
        return sum((c.filled_qty for c in self.children()), Decimal(0))

    def in_doubt(self) -> Decimal:
        """Quantity of children that may still fill: never sent again, never counted as done."""
        return sum((c.leaves_qty for c in self.children() if not c.status.is_terminal),
                   Decimal(0))

    def remaining(self) -> Decimal:
        return max(self.params.qty - self.filled() - self.in_doubt(), Decimal(0))

    def progress(self) -> AlgoProgress:
        children = self.children()
        filled = sum((c.filled_qty for c in children), Decimal(0))
        notional = sum((c.filled_notional for c in children), Decimal(0))
        by_venue: dict[str, Decimal] = {}
        for child in children:
            if child.filled_qty:
                by_venue[child.venue] = by_venue.get(child.venue, Decimal(0)) + child.filled_qty
        return AlgoProgress(self.parent_id, self.name, self.state, self.params.symbol,
                            self.params.side, self.params.qty, filled, self.in_doubt(),
                            notional / filled if filled else None, len(children), by_venue,
                            self.reason)

    def _publish(self) -> None:
        snapshot = self.progress()
        for listener in list(self._listeners):
            listener(snapshot)

    # ---- running ----------------------------------------------------------------------------

    async def run(self) -> AlgoProgress:
        """Work the parent to the end (done or canceled)."""
        known = self.oms.parents().get(self.parent_id)
        if known is None:
            self.oms.record_parent(self.parent_id, "running", {
                "algo": self.name, "params": self.params.model_dump(mode="json"),
                "start_ns": self.clock.now_ns(), **self._creation_detail()})
        elif known.get("state") in ("canceled", "done"):
            self.state = AlgoState(str(known["state"]))  # finished before: never worked twice
            return self.progress()
        if self.state is AlgoState.PENDING:
            self.state = AlgoState.RUNNING
        await self._work()
        if self.state is not AlgoState.CANCELED:
            await self._settle_children()
            self.state = AlgoState.DONE
            self.oms.record_parent(self.parent_id, "done", {"filled": str(self.filled())})
        self._publish()
        return self.progress()

    def _creation_detail(self) -> dict[str, object]:
        """More for the parent's creation record (an algorithm's own facts)."""
        return {}

    def start_ns(self) -> int:
        """When the parent first started (from its record, so a restart keeps the schedule)."""
        known = self.oms.parents().get(self.parent_id, {})
        start = known.get("start_ns")
        return int(start) if isinstance(start, int | str) else self.clock.now_ns()

    @abstractmethod
    async def _work(self) -> None: ...

    async def _settle_children(self) -> None:
        for child in self.children():
            if not child.status.is_terminal:
                await self.oms.wait_done(child.client_order_id, self.params.child_timeout_ns)

    async def take(self, qty: Decimal, limit_price: Decimal | None = None) -> Decimal:
        """Route `qty` now and send one IOC child per venue leg; the base filled."""
        limit = limit_price if limit_price is not None else self.params.limit_price
        try:
            plan = await self.router.plan(RouteRequest(self.params.symbol,
                                                       VenueSide(self.params.side.value), qty,
                                                       limit_price=limit))
        except NoRoute:
            self.no_route_count += 1
            return Decimal(0)
        return await self.send_plan(plan)

    async def send_plan(self, plan: RoutePlan) -> Decimal:
        specs = [self._child(leg.venue, leg.base_qty, leg.quote.marginal_price,
                             leg.quote.avg_price) for leg in plan.legs if leg.base_qty > 0]
        if not specs:
            return Decimal(0)
        children = await self.oms.submit(specs, self.parent_id)
        filled = Decimal(0)
        for child in children:
            if child.status is OrderStatus.UNKNOWN or not child.status.is_terminal:
                child = await self.oms.wait_done(child.client_order_id,
                                                 self.params.child_timeout_ns)
            filled += child.filled_qty
        self._publish()
        return filled

    def _child(self, venue: str, qty: Decimal, marginal: Decimal, avg: Decimal) -> ChildSpec:
        """An IOC limit at the plan's marginal price (fees included: never worse than the plan
        allowed), on the venue's tick."""
        tick = self._tick(venue)
        price = marginal
        if self.params.limit_price is not None:
            price = (min(price, self.params.limit_price) if self.params.side is Side.BUY
                     else max(price, self.params.limit_price))
        if tick > 0:
            rounding = ROUND_DOWN if self.params.side is Side.BUY else ROUND_UP
            price = (price / tick).to_integral_value(rounding) * tick
            return ChildSpec(venue, self.params.symbol, self.params.side, qty, OrderType.LIMIT,
                             price, TimeInForce.IOC, expected_price=avg)
        return ChildSpec(venue, self.params.symbol, self.params.side, qty, OrderType.MARKET,
                         None, TimeInForce.IOC, expected_price=avg)

    def _tick(self, venue: str) -> Decimal:
        for candidate, market in self.router.venues_for(self.params.symbol):
            if candidate.name == venue:
                return market.tick_size
        return Decimal(0)

    def min_lot(self) -> Decimal:
        """The smallest size any venue takes for the symbol."""
        lots = [m.lot_size for _, m in self.router.venues_for(self.params.symbol)]
        return min(lots, default=Decimal(0))
