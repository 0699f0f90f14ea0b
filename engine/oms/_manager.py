"""The OrderManager: every order's lifecycle, journaled before anything leaves the process.

    submit(specs, parent_id)   deterministic ids -> gate -> journal OrderCreated (and
                               OrderDenied) -> send; a send that times out becomes UNKNOWN
    cancel(client_order_id)    journal OrderCancelRequested -> venue cancel by our id
    reconcile(client_order_id) ask the venue by client id, book what it says; an order the
                               venue provably never got is resent under the same id
                               (engine/oms/_reconcile.py)
    start()                    replay the journal, reconcile every open order, then accept

Every state change goes through `engine.model.apply` (inside `Journal.append`), so the journal
is the only truth: positions and balances, per venue and in total, are its projections.
Event ids are derived from the order and what happened (`<id>/fill/<trade id>`), so booking
the same thing twice, after a restart or a re-delivered fill, is refused by the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from connectors.errors import RetryableVenueError, TerminalVenueError
from connectors.orders import (
    OrderKind,
    OrderRequest,
    VenueFill,
    VenueOrderReport,
    VenueOrderStatus,
)
from connectors.orders import TimeInForce as VenueTif
from connectors.venue import Side as VenueSide
from engine.errors import (
    DuplicateEvent,
    DuplicateFill,
    IllegalTransition,
    OverFill,
    RetryableError,
)
from engine.journal import Journal, Projections
from engine.model import (
    ClientOrderId,
    Fill,
    InstrumentId,
    Liquidity,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderCreated,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    OrderStatusUnknown,
    OrderType,
    TimeInForce,
    VenueId,
    VenueOrderId,
    client_order_id,
)
from engine.oms._clock import Clock, WallClock
from engine.oms._errors import NotAccepting, UnknownOrder, UnknownVenue
from engine.oms._gate import Gate, GateDecision, GateLeg
from engine.oms._reconcile import OPEN_AT_VENUE, Reconciler
from engine.oms._spec import ChildSpec, instrument_of
from engine.oms._venue import ExecutionVenue

log = logging.getLogger(__name__)
T = TypeVar("T")
PARENT_AUDIT_KIND = "oms.parent"
_KINDS = {OrderType.MARKET: OrderKind.MARKET, OrderType.LIMIT: OrderKind.LIMIT,
          OrderType.LIMIT_MAKER: OrderKind.LIMIT_MAKER}
_TIFS = {TimeInForce.GTC: VenueTif.GTC, TimeInForce.IOC: VenueTif.IOC,
         TimeInForce.FOK: VenueTif.FOK}
EventListener = Callable[[OrderEvent, Order], None]


@dataclass(frozen=True)
class OmsConfig:
    """Timeouts of the OMS, in nanoseconds on its clock.

    `request_timeout_ns`: a place/cancel/query without an answer in this time makes the order
    UNKNOWN. `resend_after_ns`: an UNKNOWN (or never-acknowledged) order the venue says it does
    not have is sent again, under the same client id, only once this much time has passed
    since it was last sent (the CEX connector itself waits out timestamp + recvWindow).
    `reconcile_every_ns`: how often the background reconciler looks at unresolved orders.
    `start_timeout_ns`: how long `start` keeps reconciling before it gives up (not accepting).
    """

    request_timeout_ns: int = 15_000_000_000  # above a CEX venue's default 11 s window
    resend_after_ns: int = 7_000_000_000
    reconcile_every_ns: int = 1_000_000_000
    fill_catch_up_polls: int = 5
    start_timeout_ns: int = 60_000_000_000


class OrderManager:
    """Owns orders from intent to final state, over a journal, venues and a gate."""

    def __init__(self, journal: Journal, venues: Mapping[str, ExecutionVenue], gate: Gate,
                 clock: Clock | None = None, config: OmsConfig | None = None) -> None:
        self.journal = journal
        self.venues = dict(venues)
        self.gate = gate
        self.clock: Clock = clock if clock is not None else WallClock()
        self.config = config or OmsConfig()
        self.book = Projections()
        self.accepting = False
        self.orphan_fills: list[VenueFill] = []  # fills for ids we never created
        self.reconciler = Reconciler(self)
        self._next_seq: dict[str, int] = {}
        self._last_sent_ns: dict[str, int] = {}
        self._waiters: dict[str, list[asyncio.Future[Order]]] = {}
        self._listeners: list[EventListener] = []
        self._ids = itertools.count()
        self._reconciler: asyncio.Task[None] | None = None
        self._in_flight: set[str] = set()
        self._attached = False

    # ---- lifecycle --------------------------------------------------------------------------

    def attach(self) -> None:
        """Load the journal's projections and take every venue's fills. Call it before the
        venues start streaming, so no fill delivered at connect time goes unseen."""
        if self._attached:
            return
        self.book = self.journal.projections()
        for venue in self.venues.values():
            venue.on_fill = self._on_fill
        self._attached = True

    async def start(self, background: bool = True) -> None:
        """Replay the journal, reconcile every open order with its venue, then accept orders.

        Raises NotAccepting if orders are still unresolved after `start_timeout_ns`.
        """
        self.attach()
        for venue in self.venues.values():
            with contextlib.suppress(RetryableVenueError, RetryableError):
                await venue.poll_fills()  # fills booked at the venue while we were down
        deadline = self.clock.now_ns() + self.config.start_timeout_ns
        while unresolved := await self.reconcile_open():
            if self.clock.now_ns() >= deadline:
                raise NotAccepting(f"{len(unresolved)} orders are still unresolved at their "
                                   f"venues: {', '.join(unresolved[:5])}")
            await self.clock.sleep(self.config.reconcile_every_ns)
        self.accepting = True
        if background:
            self._reconciler = asyncio.create_task(self.reconciler.run_forever())

    async def close(self) -> None:
        self.accepting = False
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        """Call `listener(event, order_after)` for every recorded event; returns unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # ---- reading ----------------------------------------------------------------------------

    def order(self, client_order_id: str) -> Order:
        found = self.book.orders.get(ClientOrderId(client_order_id))
        if found is None:
            raise UnknownOrder(client_order_id)
        return found

    def orders(self, parent_id: str | None = None) -> list[Order]:
        if parent_id is not None:
            return self.book.children(parent_id)
        return sorted(self.book.orders.values(),
                      key=lambda o: (o.created_ts_ns, o.client_order_id))

    def open_orders(self) -> list[Order]:
        return [o for o in self.orders() if not o.status.is_terminal]

    def positions(self) -> dict[tuple[VenueId, InstrumentId], Decimal]:
        """Net position per (venue, instrument), from fills."""
        return {k: v for k, v in self.book.positions.items() if v}

    def total_position(self, instrument_id: str) -> Decimal:
        return self.book.total_position(instrument_id)

    def balances(self) -> dict[tuple[VenueId, str], Decimal]:
        """Change of each asset per venue caused by our fills (fees included)."""
        return dict(self.book.balances)

    def total_balances(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for (_, asset), amount in self.book.balances.items():
            totals[asset] = totals.get(asset, Decimal(0)) + amount
        return totals

    def filled(self, parent_id: str) -> Decimal:
        """Base filled by every child of a parent."""
        return sum((o.filled_qty for o in self.book.children(parent_id)), Decimal(0))

    # ---- parents ----------------------------------------------------------------------------

    def record_parent(self, parent_id: str, state: str, detail: Mapping[str, object]) -> None:
        """Journal a parent order's state change (created, paused, resumed, canceled, done)."""
        payload = json.dumps({"parent_id": parent_id, "state": state, **detail},
                             default=str, sort_keys=True)
        self.journal.append_audit(PARENT_AUDIT_KIND, parent_id, payload, self.clock.now_ns())

    def parents(self) -> dict[str, dict[str, object]]:
        """Every parent's creation record merged with its latest state."""
        found: dict[str, dict[str, object]] = {}
        for record in self.journal.audit_records(PARENT_AUDIT_KIND):
            payload = json.loads(record.payload_json)
            found.setdefault(record.subject, {}).update(payload)
        return found

    # ---- submitting -------------------------------------------------------------------------

    def _sequence(self, parent_id: str) -> int:
        if parent_id not in self._next_seq:
            used = [int(o.client_order_id.rsplit("-", 1)[1], 36)
                    for o in self.book.children(parent_id)]
            self._next_seq[parent_id] = max(used, default=-1) + 1
        seq = self._next_seq[parent_id]
        self._next_seq[parent_id] = seq + 1
        return seq

    def _new_order(self, spec: ChildSpec, parent_id: str, leg_group_id: str | None) -> Order:
        if spec.venue not in self.venues:
            raise UnknownVenue(spec.venue)
        now = self.clock.now_ns()
        return Order(
            client_order_id=client_order_id(parent_id, self._sequence(parent_id)),
            venue=VenueId(spec.venue), instrument=instrument_of(spec.symbol), side=spec.side,
            order_type=spec.order_type, qty=spec.qty, limit_price=spec.limit_price,
            time_in_force=spec.time_in_force, parent_id=parent_id, leg_group_id=leg_group_id,
            created_ts_ns=now, updated_ts_ns=now)

    async def submit(self, specs: Sequence[ChildSpec], parent_id: str,
                     leg_group_id: str | None = None) -> list[Order]:
        """Gate `specs` as one group, journal them, and send the accepted ones.

        Returns once every venue answered (or the request timed out: UNKNOWN). A denied group
        is journaled as denied and never reaches a venue.
        """
        orders = self.prepare(specs, parent_id, leg_group_id)
        if orders and orders[0].status is OrderStatus.PENDING_NEW:
            await asyncio.gather(*(self.send(o.client_order_id) for o in orders))
        return [self.order(o.client_order_id) for o in orders]

    def prepare(self, specs: Sequence[ChildSpec], parent_id: str,
                leg_group_id: str | None = None) -> list[Order]:
        """The accept -> gate -> journal half of `submit`: nothing is sent yet."""
        if not self.accepting:
            raise NotAccepting("the OMS is not accepting orders (starting or stopped)")
        orders = [self._new_order(spec, parent_id, leg_group_id) for spec in specs]
        decision = self.gate.check([GateLeg(o, s.price_for_gate)
                                    for o, s in zip(orders, specs, strict=True)])
        for order in orders:
            self._record(OrderCreated(event_id=f"{order.client_order_id}/created",
                                      client_order_id=order.client_order_id,
                                      ts_ns=order.created_ts_ns, correlation_id=parent_id,
                                      order=order))
        if not decision.accepted:
            for order in orders:
                self._deny(order, decision)
        return [self.order(o.client_order_id) for o in orders]

    def _deny(self, order: Order, decision: GateDecision) -> None:
        own = [r for r in decision.reasons if r.client_order_id == order.client_order_id]
        reason = (own or list(decision.reasons))[0]
        detail = "; ".join(r.detail for r in (own or decision.reasons))
        if not own:
            detail = f"group denied: {detail}"
        self._record(OrderDenied(event_id=f"{order.client_order_id}/denied",
                                 client_order_id=order.client_order_id, ts_ns=self.clock.now_ns(),
                                 correlation_id=order.parent_id, reason_code=reason.code,
                                 detail=detail))

    async def send(self, coid: str) -> None:
        """Send a journaled order to its venue (again, under the same id, for a resend)."""
        order = self.order(coid)
        venue = self.venues[order.venue]
        request = OrderRequest(order.client_order_id, order.instrument.id.split("-")[0],
                               VenueSide(order.side.value), _KINDS[order.order_type], order.qty,
                               order.limit_price, _TIFS[order.time_in_force])
        self._last_sent_ns[coid] = self.clock.now_ns()
        self._in_flight.add(coid)
        try:
            report = await self._timed(venue.place(request))
        except (TimeoutError, RetryableVenueError, RetryableError) as error:
            self._unknown(coid, f"no answer to the order: {type(error).__name__} {error}")
            return
        except TerminalVenueError as error:
            self._record(OrderRejected(event_id=self._event_id(coid, "rejected"),
                                       client_order_id=order.client_order_id,
                                       ts_ns=self.clock.now_ns(), correlation_id=order.parent_id,
                                       reason=str(error)))
            return
        finally:
            self._in_flight.discard(coid)
        await self._apply_report(report)

    async def _timed(self, request: Awaitable[T]) -> T:
        """`request`, or TimeoutError once `request_timeout_ns` passed on the OMS clock."""
        task = asyncio.ensure_future(request)
        timer = asyncio.ensure_future(self.clock.sleep(self.config.request_timeout_ns))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            raise TimeoutError("the venue did not answer in time")
        return task.result()

    # ---- canceling --------------------------------------------------------------------------

    async def cancel(self, coid: str) -> Order:
        """Ask the venue to cancel an open order (journaled first); returns the order after."""
        order = self.order(coid)
        if order.status.is_terminal:
            return order
        self._record(OrderCancelRequested(event_id=self._event_id(coid, "cancel"),
                                          client_order_id=order.client_order_id,
                                          ts_ns=self.clock.now_ns(),
                                          correlation_id=order.parent_id))
        venue = self.venues[order.venue]
        try:
            report = await self._timed(venue.cancel(coid, order.instrument.id))
        except (TimeoutError, RetryableVenueError, RetryableError) as error:
            self._unknown(coid, f"no answer to the cancel: {type(error).__name__} {error}")
            return self.order(coid)
        except TerminalVenueError as error:
            current = self.order(coid)
            never_acknowledged = current.venue_order_id is None and current.filled_qty == 0
            # "unknown order" for an order the venue never acknowledged: it may still be in
            # flight. Stay cancel-pending; reconciliation closes it once it cannot arrive.
            if current.status is OrderStatus.CANCEL_PENDING and not never_acknowledged:
                self._record(OrderCancelRejected(event_id=self._event_id(coid, "cancel-rej"),
                                                 client_order_id=order.client_order_id,
                                                 ts_ns=self.clock.now_ns(),
                                                 correlation_id=order.parent_id,
                                                 reason=str(error)))
            await self.reconcile(coid)
            return self.order(coid)
        await self._apply_report(report)
        return self.order(coid)

    # ---- venue answers ----------------------------------------------------------------------

    async def _apply_report(self, report: VenueOrderReport) -> None:
        coid = report.client_order_id
        order = self.book.orders.get(ClientOrderId(coid))
        if order is None or (order.status.is_terminal
                             and report.status is not VenueOrderStatus.FILLED):
            return
        ts = self.clock.now_ns()
        if report.status is VenueOrderStatus.UNKNOWN:
            self._unknown(coid, report.reason or "the venue could not say")
            return
        if report.status is VenueOrderStatus.REJECTED:
            if order.status in (*OPEN_AT_VENUE, OrderStatus.CANCEL_PENDING):
                self._record(OrderRejected(event_id=self._event_id(coid, "rejected"),
                                           client_order_id=order.client_order_id, ts_ns=ts,
                                           correlation_id=order.parent_id,
                                           reason=report.reason or "rejected",
                                           venue_code=report.reason.split(":")[0] or None))
            return
        if report.venue_order_id and order.venue_order_id is None and order.status not in (
                OrderStatus.ACCEPTED, OrderStatus.CANCELED, OrderStatus.EXPIRED):
            self._record(OrderAccepted(event_id=f"{coid}/accepted",
                                       client_order_id=order.client_order_id, ts_ns=ts,
                                       correlation_id=order.parent_id,
                                       venue_order_id=VenueOrderId(report.venue_order_id)))
        if report.filled_qty > self.order(coid).filled_qty:
            await self._catch_up_fills(order.venue, coid, report.filled_qty)
        self._final(coid, report)

    def _final(self, coid: str, report: VenueOrderReport) -> None:
        order = self.order(coid)
        if order.status.is_terminal or order.filled_qty < report.filled_qty:
            return  # fills still missing: the reconciler comes back before closing the order
        ts = self.clock.now_ns()
        if report.status is VenueOrderStatus.CANCELED:
            self._record(OrderCanceled(event_id=f"{coid}/canceled",
                                       client_order_id=order.client_order_id, ts_ns=ts,
                                       correlation_id=order.parent_id))
        elif report.status is VenueOrderStatus.EXPIRED:
            self._record(OrderExpired(event_id=f"{coid}/expired",
                                      client_order_id=order.client_order_id, ts_ns=ts,
                                      correlation_id=order.parent_id))
        elif report.status in (VenueOrderStatus.OPEN, VenueOrderStatus.PARTIALLY_FILLED) and (
                order.status is OrderStatus.UNKNOWN):
            self._record(OrderAccepted(event_id=self._event_id(coid, "accepted"),
                                       client_order_id=order.client_order_id, ts_ns=ts,
                                       correlation_id=order.parent_id,
                                       venue_order_id=VenueOrderId(report.venue_order_id or "?")))

    async def _catch_up_fills(self, venue_name: str, coid: str, filled_qty: Decimal) -> None:
        """The venue reports more filled than we booked: fetch the fills we missed."""
        venue = self.venues[venue_name]
        for _ in range(self.config.fill_catch_up_polls):
            if self.order(coid).filled_qty >= filled_qty:
                return
            with contextlib.suppress(RetryableVenueError, RetryableError, TimeoutError):
                await self._timed(venue.poll_fills())
            if self.order(coid).filled_qty < filled_qty:
                await asyncio.sleep(0.01)  # the user stream may be a moment behind REST

    def _on_fill(self, fill: VenueFill) -> None:
        order = self.book.orders.get(ClientOrderId(fill.client_order_id))
        if order is None:
            self.orphan_fills.append(fill)
            return
        _, quote = fill.symbol.split("/")
        event = OrderFilled(
            event_id=f"{fill.client_order_id}/fill/{fill.trade_id}",
            client_order_id=order.client_order_id, ts_ns=fill.ts_ns,
            correlation_id=order.parent_id,
            fill=Fill(trade_id=fill.trade_id, qty=fill.qty, price=fill.price, fee=fill.fee,
                      fee_asset=fill.fee_asset or quote, liquidity=Liquidity(fill.liquidity.value),
                      ts_ns=fill.ts_ns))
        if (order.client_order_id, fill.trade_id) in self.book.fills:
            return  # re-delivered (stream and poll, or after a reconnect)
        if not self._record(event):
            log.warning("fill %s of %s could not be booked", fill.trade_id, fill.client_order_id)
            self.orphan_fills.append(fill)

    def _unknown(self, coid: str, reason: str) -> None:
        order = self.order(coid)
        if order.status is OrderStatus.UNKNOWN or order.status.is_terminal:
            return
        self._record(OrderStatusUnknown(event_id=self._event_id(coid, "unknown"),
                                        client_order_id=order.client_order_id,
                                        ts_ns=self.clock.now_ns(), correlation_id=order.parent_id,
                                        reason=reason))

    def _event_id(self, coid: str, what: str) -> str:
        return f"{coid}/{what}/{self.clock.now_ns()}-{next(self._ids)}"

    def _record(self, event: OrderEvent) -> bool:
        """Journal `event` (durably), then fold it into the in-memory book; False if refused."""
        try:
            self.journal.append(event)
        except (DuplicateEvent, DuplicateFill):
            return False  # already booked: a re-delivery, or replayed after a restart
        except (IllegalTransition, OverFill) as error:
            log.warning("refused %s: %s", type(event).__name__, error)
            return False
        order = self.book.apply(event).order
        for listener in list(self._listeners):
            try:
                listener(event, order)
            except Exception:  # a subscriber's bug must not stop the OMS: the event is durable
                log.exception("event listener failed on %s", event.event_id)
        if order.status.is_terminal:
            for waiter in self._waiters.pop(order.client_order_id, []):
                if not waiter.done():
                    waiter.set_result(order)
        return True

    # ---- waiting ----------------------------------------------------------------------------

    async def wait_done(self, coid: str, timeout_ns: int | None = None) -> Order:
        """The order once it is terminal, or as it is when `timeout_ns` passes (clock time)."""
        order = self.order(coid)
        if order.status.is_terminal:
            return order
        future: asyncio.Future[Order] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(coid, []).append(future)
        if timeout_ns is None:
            return await future
        timer = asyncio.ensure_future(self.clock.sleep(timeout_ns))
        pending: set[asyncio.Future[object]] = {future, timer}  # type: ignore[arg-type]
        try:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
        return self.order(coid)

    # ---- reconciliation (engine/oms/_reconcile.py) ----------------------------------------

    @property
    def resends(self) -> int:
        """Orders sent again under their id because the venue provably never got them."""
        return self.reconciler.resends

    async def reconcile(self, coid: str) -> bool:
        """Ask the venue for the order by client id and book its answer; True once resolved
        (the order is no longer UNKNOWN or unacknowledged)."""
        return await self.reconciler.reconcile(coid)

    async def reconcile_open(self) -> list[str]:
        """Reconcile every order that is not terminal; return the ids still unresolved."""
        return await self.reconciler.reconcile_open()
