"""The async Python API: one engine (OMS, router, algorithms, leg groups) to drive and watch.

    engine = Engine(oms, router)
    await engine.start()                      # replay + reconcile + resume unfinished parents
    handle = engine.run_algo("twap", "twap-1", {"symbol": "WETH/USDC", "side": "buy",
                                                "qty": "2", "duration_ns": 60 * 10**9,
                                                "slices": 12})
    async for progress in handle.updates():   # live progress (fills, state)
        ...
    final = await handle.result()

Recovery: every parent (algorithm or leg group) whose last journaled state is running or
paused is rebuilt from its journaled parameters and resumed after the OMS has reconciled
every open order; its children, fills and schedule come from the journal, so nothing is sent
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.algos import ALGOS, AlgoProgress, ExecAlgo, algo_for, validated
from engine.api._kill import OmsCanceller, strategy_of
from engine.errors import InvalidValue
from engine.legs import LegGroup, LegGroupParams, LegGroupReport
from engine.model import Order, OrderEvent
from engine.oms import ChildSpec, OrderManager, RiskGate
from engine.router import Router
from risk import pretrade

_RESUMABLE = ("running", "paused")


@dataclass
class AlgoHandle:
    """A running parent: its algorithm (or group), its task, and a feed of progress."""

    parent_id: str
    task: asyncio.Task[Any]
    algo: ExecAlgo | None = None
    group: LegGroup | None = None
    _queues: list[asyncio.Queue[AlgoProgress | None]] = field(default_factory=list)

    def _push(self, progress: AlgoProgress | None) -> None:
        for queue in self._queues:
            queue.put_nowait(progress)

    async def updates(self) -> AsyncIterator[AlgoProgress]:
        """Progress snapshots until the parent ends."""
        queue: asyncio.Queue[AlgoProgress | None] = asyncio.Queue()
        self._queues.append(queue)
        try:
            while not self.task.done() or not queue.empty():
                item = await queue.get()
                if item is None:
                    return
                yield item
        finally:
            self._queues.remove(queue)

    async def result(self) -> AlgoProgress | LegGroupReport:
        result: AlgoProgress | LegGroupReport = await self.task
        return result


class Engine:
    """The OMS with its router, running algorithms and leg groups; what the API serves."""

    def __init__(self, oms: OrderManager, router: Router) -> None:
        self.oms = oms
        self.router = router
        self.handles: dict[str, AlgoHandle] = {}

    async def start(self, resume: bool = True) -> list[str]:
        """Start the OMS (replay, reconcile) and resume unfinished parents; their ids."""
        await self.oms.start()
        return self.resume_parents() if resume else []

    async def close(self) -> None:
        for handle in self.handles.values():
            handle.task.cancel()
        for handle in self.handles.values():
            with contextlib.suppress(BaseException):  # canceled or failed: closed all the same
                await handle.task
        await self.oms.close()

    def resume_parents(self) -> list[str]:
        resumed = []
        for parent_id, record in self.oms.parents().items():
            if record.get("state") not in _RESUMABLE or parent_id in self.handles:
                continue
            params = record.get("params")
            algo = record.get("algo")
            if not isinstance(params, dict) or not isinstance(algo, str):
                continue
            if algo == "leg_group":
                self.run_group(parent_id, params)
            elif algo in ALGOS:
                self.run_algo(algo, parent_id, params)
            resumed.append(parent_id)
        return resumed

    # ---- orders -----------------------------------------------------------------------------

    async def submit_order(self, request_id: str, spec: ChildSpec) -> Order:
        """One order, idempotent on `request_id`: the same id returns the same order."""
        existing = self.oms.orders(request_id)
        if existing:
            return existing[0]
        (order,) = await self.oms.submit([spec], parent_id=request_id)
        return order

    async def cancel(self, id_: str) -> Order | AlgoProgress | LegGroupReport:
        """Cancel an order by client order id, or a parent by its id."""
        handle = self.handles.get(id_)
        if handle is not None and handle.algo is not None:
            return await handle.algo.cancel()
        if handle is not None:
            raise InvalidValue("id", "a leg group cannot be canceled midway; it unwinds itself")
        return await self.oms.cancel(id_)

    def subscribe(self, listener: Any) -> Any:
        """Every order event: `listener(event, order_after)`; returns unsubscribe."""
        return self.oms.subscribe(listener)

    # ---- kill switch ------------------------------------------------------------------------

    def _risk_gate(self) -> RiskGate:
        gate = self.oms.gate
        if not isinstance(gate, RiskGate):
            raise InvalidValue("kill_switch", "the engine has no pre-trade gate yet")
        return gate

    async def engage_kill_switch(self, level: str, name: str | None = None,
                                 reason: str = "operator") -> list[Order]:
        """Block every new order of the scope (desk, an account, or a strategy by `name`) and
        cancel its open orders through the OMS; returns those orders after their cancels.

        Besides the resting orders the gate holds, every open OMS order of the scope is
        canceled (one still in flight, or one from before a restart)."""
        gate = self._risk_gate()
        try:
            kill = pretrade.KillLevel(level)
        except ValueError:
            raise InvalidValue("level", "must be desk, account or strategy") from None
        try:
            covered = gate.pretrade.kill_switch.engage(kill, name, reason)
        except pretrade.InvalidLimit as error:
            raise InvalidValue("name", error.reason) from None
        ids = {order.client_order_id for order in covered}
        others = [o.client_order_id for o in self.oms.open_orders()
                  if o.client_order_id not in ids and _in_scope(o, kill, name, gate)]
        canceller = gate.pretrade.kill_switch.canceller
        if isinstance(canceller, OmsCanceller):
            canceller.cancel_ids(others, f"{kill.value} kill switch: {reason}")
            await canceller.drain()
        return [self.oms.order(coid) for coid in sorted(ids | set(others))]

    def release_kill_switch(self, level: str, name: str | None = None) -> None:
        """Let new orders of the scope through again (nothing canceled is resent)."""
        try:
            kill = pretrade.KillLevel(level)
            self._risk_gate().pretrade.kill_switch.release(kill, name)
        except ValueError:
            raise InvalidValue("level", "must be desk, account or strategy") from None
        except pretrade.InvalidLimit as error:
            raise InvalidValue("name", error.reason) from None

    def kill_switches(self) -> list[dict[str, str]]:
        """Every engaged kill switch: level, name and reason."""
        return [{"level": level.value, "name": name, "reason": reason}
                for level, name, reason in self._risk_gate().pretrade.kill_switch.engaged()]

    # ---- parents ----------------------------------------------------------------------------

    def run_algo(self, name: str, parent_id: str, params: Mapping[str, object]) -> AlgoHandle:
        """Start algorithm `name` (validated params) as a task; returns its handle."""
        if parent_id in self.handles and not self.handles[parent_id].task.done():
            return self.handles[parent_id]
        algo = algo_for(self.oms, self.router, parent_id, name, params)
        task = asyncio.create_task(algo.run())
        handle = AlgoHandle(parent_id, task, algo=algo)
        algo.subscribe(handle._push)
        unsubscribe = self.oms.subscribe(
            lambda event, order: self._on_child(handle, event, order))

        def _ended(_: asyncio.Task[Any]) -> None:
            unsubscribe()
            handle._push(None)

        task.add_done_callback(_ended)
        self.handles[parent_id] = handle
        return handle

    def run_group(self, group_id: str, params: Mapping[str, object]) -> AlgoHandle:
        """Start a leg group (validated params) as a task; returns its handle."""
        if group_id in self.handles and not self.handles[group_id].task.done():
            return self.handles[group_id]
        group = LegGroup(self.oms, self.router, group_id, validated(LegGroupParams, params))
        task = asyncio.create_task(group.run())
        handle = AlgoHandle(group_id, task, group=group)
        task.add_done_callback(lambda _: handle._push(None))
        self.handles[group_id] = handle
        return handle

    @staticmethod
    def _on_child(handle: AlgoHandle, event: OrderEvent, order: Order) -> None:
        if handle.algo is not None and order.parent_id == handle.parent_id:
            handle._push(handle.algo.progress())

    def execution_report(self, parent_id: str) -> dict[str, dict[str, object]]:
        """Per venue: base filled, quote notional, average price, fills, fees by asset (from
        the journal's fills of the parent's children). Gas is the on-chain venue's fee."""
        children = {o.client_order_id for o in self.oms.orders(parent_id)}
        report: dict[str, dict[str, object]] = {}
        for fill in self.oms.book.fills.values():
            if fill.client_order_id not in children:
                continue
            venue = report.setdefault(fill.venue, {"qty": Decimal(0), "notional": Decimal(0),
                                                   "fills": 0, "fees": {}})
            venue["qty"] = Decimal(str(venue["qty"])) + fill.qty
            venue["notional"] = Decimal(str(venue["notional"])) + fill.qty * fill.price
            venue["fills"] = int(str(venue["fills"])) + 1
            fees = venue["fees"]
            assert isinstance(fees, dict)
            fees[fill.fee_asset] = fees.get(fill.fee_asset, Decimal(0)) + fill.fee
        for venue in report.values():
            venue["avg_price"] = Decimal(str(venue["notional"])) / Decimal(str(venue["qty"]))
        return report

    def fills_by_venue(self, parent_id: str) -> dict[str, tuple[Decimal, Decimal]]:
        """(base filled, quote notional) per venue over a parent's children."""
        found: dict[str, tuple[Decimal, Decimal]] = {}
        for child in self.oms.orders(parent_id):
            qty, notional = found.get(child.venue, (Decimal(0), Decimal(0)))
            found[child.venue] = (qty + child.filled_qty, notional + child.filled_notional)
        return {venue: totals for venue, totals in found.items() if totals[0]}


def _in_scope(order: Order, level: pretrade.KillLevel, name: str | None,
              gate: RiskGate) -> bool:
    if level is pretrade.KillLevel.DESK:
        return True
    if level is pretrade.KillLevel.ACCOUNT:
        return name == gate.account  # every order of this engine is its gate's one account
    return strategy_of(order, gate.strategy) == name
