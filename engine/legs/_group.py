"""Multi-leg groups: N legs on any venues that must keep a ratio, released together.

    group = LegGroup(oms, router, "arb-1", LegGroupParams(
        legs=(LegSpec(venue="simex", symbol="WETH/USDC", side=Side.BUY, ratio=Decimal(1)),
              LegSpec(venue="uniswap", symbol="WETH/USDC", side=Side.SELL, ratio=Decimal(1))),
        qty=Decimal("2"), policy=LegPolicy.ALL_OR_NONE, on_failure=OnFailure.UNWIND))
    report = await group.run()     # report.residual == {} when it ends

Each tranche sends every leg at once, gated as one group (the gate says yes to all legs or
to none). A tranche aims at a cumulative number of units, so a leg that fell behind catches
up in the next one, and a restart resumes from the journal. `tranches` spread over
`duration_ns` make a multi-leg TWAP.

Policies:
- ALL_OR_NONE: best effort at the whole group; if any leg fails, every filled leg is undone.
- RATIO_LOCKED: legs are released in proportion, tranche by tranche; on a failure the units
  completed so far are kept and only the excess of any leg is undone.
On a failure (a leg rejected, denied, or still unresolved after `leg_timeout_ns`), the excess
is removed by UNWIND (the opposite order on the leg's own venue) or HEDGE (the opposite
exposure on the cheapest venue, routed).

Residual unintended exposure, per base asset, is what the group's fills (legs and remedies)
hold beyond the units it keeps: `actual - kept_units x sum(ratio x side)`. Exposure in the
quote asset is cash and is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.venue import Side as VenueSide
from engine.errors import InvalidValue
from engine.model import Money, Order, OrderStatus, OrderType, Side, TimeInForce
from engine.oms import ChildSpec, OrderManager
from engine.router import NoRoute, Router, RouteRequest

Positive = Annotated[Money, Field(gt=0)]
_FAILED = (OrderStatus.REJECTED, OrderStatus.DENIED)



class _NoLiquidity(Exception):
    """A leg without a limit cannot be priced: its venue shows no liquidity on that side."""

class LegPolicy(StrEnum):
    ALL_OR_NONE = "all_or_none"
    RATIO_LOCKED = "ratio_locked"


class OnFailure(StrEnum):
    UNWIND = "unwind"
    HEDGE = "hedge"


class GroupState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"  # every leg filled its whole quantity
    UNWOUND = "unwound"  # a leg failed; the excess was removed
    CANCELED = "canceled"


class LegSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    venue: str = Field(min_length=1)
    symbol: str = Field(pattern=r"^[A-Za-z0-9._]{1,32}/[A-Za-z0-9._]{1,32}$")
    side: Side
    ratio: Positive
    limit_price: Positive | None = None

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]


class LegGroupParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    legs: tuple[LegSpec, ...] = Field(min_length=1, max_length=16)
    qty: Positive  # units of the group: leg i trades ratio_i x qty
    policy: LegPolicy = LegPolicy.ALL_OR_NONE
    on_failure: OnFailure = OnFailure.UNWIND
    tranches: int = Field(default=1, ge=1, le=10_000)
    duration_ns: int = Field(default=0, ge=0)
    leg_timeout_ns: int = Field(default=30_000_000_000, gt=0)
    remedy_attempts: int = Field(default=3, ge=1, le=20)

    @model_validator(mode="after")
    def _distinct_legs(self) -> LegGroupParams:
        keys = [(leg.venue, leg.symbol, leg.side) for leg in self.legs]
        if len(set(keys)) != len(keys):
            raise InvalidValue("legs", "two legs with the same venue, symbol and side")
        if self.policy is LegPolicy.ALL_OR_NONE and self.tranches != 1:
            raise InvalidValue("tranches", "all-or-none sends the group at once: 1 tranche")
        return self


@dataclass(frozen=True)
class LegGroupReport:
    group_id: str
    state: GroupState
    kept_units: Decimal
    leg_filled: tuple[Decimal, ...]
    residual: dict[str, Decimal]
    failure: str | None

    def to_json(self) -> dict[str, object]:
        return {"group_id": self.group_id, "state": self.state.value,
                "kept_units": str(self.kept_units),
                "leg_filled": [str(q) for q in self.leg_filled],
                "residual": {k: str(v) for k, v in self.residual.items()},
                "failure": self.failure}


class LegGroup:
    """Works one leg group to completion, or removes what a failure left behind."""

    def __init__(self, oms: OrderManager, router: Router, group_id: str,
                 params: LegGroupParams) -> None:
        self.oms = oms
        self.router = router
        self.group_id = group_id
        self.params = params
        self.clock = oms.clock
        self.state = GroupState.RUNNING
        self.failure: str | None = None
        self._kept: Decimal | None = None  # units kept after a failure

    @property
    def remedy_parent(self) -> str:
        return f"{self.group_id}.remedy"

    # ---- exposure ---------------------------------------------------------------------------

    def leg_orders(self, index: int) -> list[Order]:
        leg = self.params.legs[index]
        return [o for o in self.oms.orders(self.group_id)
                if (o.venue, o.instrument.id, o.side) == (leg.venue, leg.symbol, leg.side)]

    def leg_filled(self) -> tuple[Decimal, ...]:
        return tuple(sum((o.filled_qty for o in self.leg_orders(i)), Decimal(0))
                     for i in range(len(self.params.legs)))

    def leg_in_doubt(self, index: int) -> Decimal:
        return sum((o.leaves_qty for o in self.leg_orders(index) if not o.status.is_terminal),
                   Decimal(0))

    def completed_units(self) -> Decimal:
        return min(f / leg.ratio for f, leg in zip(self.leg_filled(), self.params.legs,
                                                   strict=True))

    def kept_units(self) -> Decimal:
        return self.completed_units() if self._kept is None else self._kept

    def residual(self) -> dict[str, Decimal]:
        """Unintended exposure per base asset now; empty when there is none."""
        actual: dict[str, Decimal] = {}
        every = self.oms.orders(self.group_id) + self.oms.orders(self.remedy_parent)
        for order in every:
            asset = order.instrument.base
            actual[asset] = actual.get(asset, Decimal(0)) + order.filled_qty * order.side.sign
        kept = self.kept_units()
        for leg in self.params.legs:
            actual[leg.base] = actual.get(leg.base, Decimal(0)) - kept * leg.ratio * leg.side.sign
        return {asset: qty for asset, qty in actual.items() if qty != 0}

    def report(self) -> LegGroupReport:
        return LegGroupReport(self.group_id, self.state, self.kept_units(), self.leg_filled(),
                              self.residual(), self.failure)

    # ---- running ----------------------------------------------------------------------------

    async def run(self) -> LegGroupReport:
        known = self.oms.parents().get(self.group_id)
        if known is None:
            self.oms.record_parent(self.group_id, "running", {
                "algo": "leg_group", "params": self.params.model_dump(mode="json"),
                "start_ns": self.clock.now_ns()})
            start = self.clock.now_ns()
        elif known.get("state") in (GroupState.COMPLETED.value, GroupState.UNWOUND.value):
            self.state = GroupState(str(known["state"]))  # finished before: never worked twice
            self.failure = str(known.get("failure")) if known.get("failure") else None
            if self.state is GroupState.UNWOUND:
                self._kept = Decimal(str(known.get("kept_units", "0")))
            return self.report()
        else:
            start = int(str(known.get("start_ns", self.clock.now_ns())))
        for tranche in range(1, self.params.tranches + 1):
            wait = start + self.params.duration_ns * (tranche - 1) // self.params.tranches \
                - self.clock.now_ns()
            if wait > 0:
                await self.clock.sleep(wait)
            if not await self._tranche(self.params.qty * tranche / self.params.tranches):
                break
        else:
            # the last tranche may have filled short for want of liquidity: catch up once
            if self.completed_units() < self.params.qty:
                await self._tranche(self.params.qty)
        await self._finish()
        return self.report()

    async def _tranche(self, target_units: Decimal) -> bool:
        """Bring every leg to `target_units`; False on a failure (the group stops)."""
        specs = []
        for index, leg in enumerate(self.params.legs):
            want = leg.ratio * target_units - self.leg_filled()[index] - self.leg_in_doubt(index)
            try:
                spec = await self._child(leg, want)
            except _NoLiquidity as empty:  # nothing sent yet in this tranche: the group stops
                self.failure = str(empty)
                return False
            if spec is not None:
                specs.append(spec)
        if not specs:
            return True
        children = await self.oms.submit(specs, self.group_id, leg_group_id=self.group_id)
        for child in children:
            if child.status in _FAILED:
                self.failure = f"{child.venue} leg {child.status.value}: {child.reason}"
                return False
        for child in children:
            done = await self.oms.wait_done(child.client_order_id, self.params.leg_timeout_ns)
            if not done.status.is_terminal:
                await self.oms.cancel(child.client_order_id)
                done = await self._resolve(child.client_order_id)
                if not done.status.is_terminal or done.filled_qty < done.qty:
                    self.failure = f"{child.venue} leg timed out ({done.status.value})"
                    return False
        return True

    async def _resolve(self, coid: str) -> Order:
        """Reconcile a timed-out leg until the venue's answer is known (or time runs out)."""
        deadline = self.clock.now_ns() + self.params.leg_timeout_ns
        while self.clock.now_ns() < deadline:
            if await self.oms.reconcile(coid):
                order = self.oms.order(coid)
                if order.status.is_terminal:
                    return order
            await self.clock.sleep(max(self.oms.config.reconcile_every_ns, 1))
        return self.oms.order(coid)

    async def _child(self, leg: LegSpec, qty: Decimal) -> ChildSpec | None:
        market = next((m for v, m in self.router.venues_for(leg.symbol) if v.name == leg.venue),
                      None)
        if market is None:
            raise InvalidValue("legs", f"{leg.venue} does not trade {leg.symbol}")
        if market.lot_size > 0:
            qty = (qty / market.lot_size).to_integral_value(ROUND_DOWN) * market.lot_size
        if qty <= 0 or qty < market.min_qty:
            return None
        venue = next(v for v, m in self.router.venues_for(leg.symbol) if v.name == leg.venue)
        quote = await venue.quote(leg.symbol, VenueSide(leg.side.value), qty)
        if leg.limit_price is None and (quote.base_qty <= 0 or quote.marginal_price <= 0):
            raise _NoLiquidity(f"{leg.venue} has no {leg.side.value} liquidity in {leg.symbol} "
                               "to price the leg")
        price = leg.limit_price if leg.limit_price is not None else quote.marginal_price
        if market.tick_size > 0:
            rounding = ROUND_DOWN if leg.side is Side.BUY else ROUND_UP
            price = (price / market.tick_size).to_integral_value(rounding) * market.tick_size
            return ChildSpec(leg.venue, leg.symbol, leg.side, qty, OrderType.LIMIT, price,
                             TimeInForce.IOC, expected_price=quote.avg_price)
        return ChildSpec(leg.venue, leg.symbol, leg.side, qty, OrderType.MARKET, None,
                         TimeInForce.IOC, expected_price=quote.avg_price)

    async def _remedy_child(self, leg: LegSpec, qty: Decimal) -> ChildSpec | None:
        """An unwind or hedge child, or None where the venue cannot price it now (the residual
        stays reported until a later remedy round finds liquidity)."""
        try:
            return await self._child(leg, qty)
        except _NoLiquidity:
            return None

    # ---- ending -----------------------------------------------------------------------------

    async def _finish(self) -> None:
        if self.failure is None and self.completed_units() >= self.params.qty:
            self.state = GroupState.COMPLETED
        else:
            self.failure = self.failure or "legs could not be completed"
            await self._settle_in_doubt()
            self._kept = (Decimal(0) if self.params.policy is LegPolicy.ALL_OR_NONE
                          else self.completed_units())
            for _ in range(self.params.remedy_attempts):
                if not self.residual():
                    break
                await self._remedy()
            self.state = GroupState.UNWOUND
        self.oms.record_parent(self.group_id, self.state.value, {
            "kept_units": str(self.kept_units()), "failure": self.failure,
            "residual": {k: str(v) for k, v in self.residual().items()}})

    async def _settle_in_doubt(self) -> None:
        for order in self.oms.orders(self.group_id):
            if not order.status.is_terminal:
                await self.oms.cancel(order.client_order_id)
                await self._resolve(order.client_order_id)

    async def _remedy(self) -> None:
        if self.params.on_failure is OnFailure.UNWIND:
            await self._unwind()
        else:
            await self._hedge()

    async def _unwind(self) -> None:
        """Undo each leg's excess over the kept units on the leg's own venue."""
        specs = []
        filled = self.leg_filled()
        remedies = self.oms.orders(self.remedy_parent)
        for index, leg in enumerate(self.params.legs):
            undone = sum((o.filled_qty for o in remedies if o.venue == leg.venue
                          and o.instrument.id == leg.symbol and o.side is not leg.side),
                         Decimal(0))
            excess = filled[index] - undone - self.kept_units() * leg.ratio
            opposite = LegSpec(venue=leg.venue, symbol=leg.symbol,
                               side=Side.SELL if leg.side is Side.BUY else Side.BUY,
                               ratio=leg.ratio)
            spec = await self._remedy_child(opposite, excess) if excess > 0 else None
            if spec is not None:
                specs.append(spec)
        if specs:
            await self._send_remedy(specs)

    async def _hedge(self) -> None:
        """Offset the residual of each asset on the cheapest venue(s), routed."""
        specs = []
        for asset, qty in self.residual().items():
            leg = next(leg for leg in self.params.legs if leg.base == asset)
            side = Side.SELL if qty > 0 else Side.BUY
            try:
                plan = await self.router.plan(RouteRequest(leg.symbol, VenueSide(side.value),
                                                           abs(qty)))
            except NoRoute:
                continue
            for route_leg in plan.legs:
                spec = await self._remedy_child(LegSpec(venue=route_leg.venue,
                                                        symbol=leg.symbol, side=side,
                                                        ratio=Decimal(1)), route_leg.base_qty)
                if spec is not None:
                    specs.append(spec)
        if specs:
            await self._send_remedy(specs)

    async def _send_remedy(self, specs: list[ChildSpec]) -> None:
        children = await self.oms.submit(specs, self.remedy_parent, leg_group_id=self.group_id)
        for child in children:
            if not child.status.is_terminal:
                await self.oms.wait_done(child.client_order_id, self.params.leg_timeout_ns)
