"""PaperVenue: an in-memory order book that quotes (Venue) and executes (ExecutionVenue).

It exists so the OMS, the algorithms and the leg groups can be tested without a network, and
so faults can be scripted exactly: a rejection, a request that hangs before it reaches the
book, one that executes but whose answer never comes, a transient error. Integration tests use
simex through the real CexVenue instead. Matching is price-time against the levels given,
taker fee in the quote asset; our own resting orders fill only through `trade_against`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from connectors.cex.quoting import curve_from_levels, quote_from_levels
from connectors.errors import InvalidQuoteRequest, RetryableVenueError, TerminalVenueError
from connectors.orders import (
    FillHandler,
    Liquidity,
    OrderKind,
    OrderRequest,
    TimeInForce,
    VenueFill,
    VenueOrderReport,
    VenueOrderStatus,
)
from connectors.venue import (
    DepthCurve,
    Market,
    QtyBasis,
    Side,
    StateStamp,
    VenueKind,
    VenueQuote,
    require_positive,
    split_symbol,
)

Level = tuple[Decimal, Decimal]


class Fault(StrEnum):
    """What the next `place` call does instead of answering normally."""

    REJECT = "reject"  # the venue refuses the order
    HANG_BEFORE = "hang_before"  # the request never reaches the book; no answer
    HANG_AFTER = "hang_after"  # the order executes, but the answer never comes
    ERROR = "error"  # a transient error before the book saw anything


class PaperVenueError(RetryableVenueError):
    """A scripted transient failure."""


class PaperRejected(TerminalVenueError):
    """The paper venue refused a cancel (the order is done or was never there)."""


@dataclass
class _PaperOrder:
    request: OrderRequest
    venue_order_id: str
    status: VenueOrderStatus = VenueOrderStatus.OPEN
    filled_qty: Decimal = Decimal(0)
    filled_quote: Decimal = Decimal(0)
    reason: str = ""

    def report(self, venue: str) -> VenueOrderReport:
        r = self.request
        return VenueOrderReport(venue, r.client_order_id, r.symbol, r.side, self.status,
                                self.venue_order_id, r.qty, self.filled_qty, self.filled_quote,
                                self.reason, time.time_ns())


@dataclass
class _Book:
    market: Market
    asks: list[Level]
    bids: list[Level]


@dataclass
class PaperVenue:
    """A CEX-like venue in memory. `books` maps a symbol to (asks, bids), best first."""

    venue_name: str
    books: dict[str, tuple[list[Level], list[Level]]]
    taker_fee: Decimal = Decimal("0.001")
    lot_size: Decimal = Decimal("0.0001")
    tick_size: Decimal = Decimal("0.01")
    min_notional: Decimal = Decimal(0)
    on_fill: FillHandler | None = None
    faults: deque[Fault] = field(default_factory=deque)
    place_calls: int = 0
    orders: dict[str, _PaperOrder] = field(default_factory=dict)
    fills: list[VenueFill] = field(default_factory=list)
    _books: dict[str, _Book] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _undelivered: list[VenueFill] = field(default_factory=list)

    def __post_init__(self) -> None:
        for symbol, (asks, bids) in self.books.items():
            base, quote = split_symbol(symbol)
            market = Market(self.venue_name, VenueKind.CEX, symbol, base, quote, self.lot_size,
                            self.tick_size, self.lot_size, self.min_notional, self.taker_fee)
            self._books[symbol] = _Book(market, list(asks), list(bids))

    # ---- Venue ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.venue_name

    @property
    def kind(self) -> VenueKind:
        return VenueKind.CEX

    def markets(self) -> tuple[Market, ...]:
        return tuple(book.market for book in self._books.values())

    def _book(self, symbol: str) -> _Book:
        if symbol not in self._books:
            raise InvalidQuoteRequest("symbol", f"{symbol} is not traded on {self.venue_name}")
        return self._books[symbol]

    def _levels(self, symbol: str, side: Side) -> list[Level]:
        book = self._book(symbol)
        return book.asks if side is Side.BUY else book.bids

    async def quote(self, symbol: str, side: Side, qty: Decimal,
                    basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        require_positive("qty", qty)
        return quote_from_levels(self.venue_name, symbol, side, self._levels(symbol, side), qty,
                                 basis, self.taker_fee, StateStamp(time.time_ns(), sequence=1))

    async def depth(self, symbol: str, side: Side, max_base: Decimal,
                    points: int = 32) -> DepthCurve:
        require_positive("max_base", max_base)
        return curve_from_levels(self.venue_name, symbol, side, self._levels(symbol, side),
                                 max_base, points, self.taker_fee,
                                 StateStamp(time.time_ns(), sequence=1))

    def set_book(self, symbol: str, asks: list[Level], bids: list[Level]) -> None:
        """Replace a book's levels (a test moving the market)."""
        book = self._book(symbol)
        book.asks, book.bids = list(asks), list(bids)

    # ---- ExecutionVenue -------------------------------------------------------------------

    async def place(self, request: OrderRequest) -> VenueOrderReport:
        self.place_calls += 1
        fault = self.faults.popleft() if self.faults else None
        if fault is Fault.HANG_BEFORE:
            await asyncio.Event().wait()
        if fault is Fault.ERROR:
            raise PaperVenueError(f"{self.venue_name}: connection reset")
        existing = self.orders.get(request.client_order_id)
        if existing is not None and not existing.status.is_final:
            return VenueOrderReport(self.venue_name, request.client_order_id, request.symbol,
                                    request.side, VenueOrderStatus.REJECTED, qty=request.qty,
                                    reason="-2010: Duplicate order sent.")
        order = _PaperOrder(request, str(next(self._ids)))
        self.orders[request.client_order_id] = order
        if fault is Fault.REJECT:
            order.status, order.reason = VenueOrderStatus.REJECTED, "paper: rejected"
        else:
            self._execute(order)
        self._flush_fills()
        if fault is Fault.HANG_AFTER:
            await asyncio.Event().wait()
        return order.report(self.venue_name)

    def _execute(self, order: _PaperOrder) -> None:
        r = order.request
        levels = self._levels(r.symbol, r.side)
        crosses = [(p, s) for p, s in levels if r.limit_price is None
                   or (p <= r.limit_price if r.side is Side.BUY else p >= r.limit_price)]
        available = sum((s for _, s in crosses), Decimal(0))
        if r.kind is OrderKind.LIMIT_MAKER and crosses:
            order.status, order.reason = VenueOrderStatus.REJECTED, "would take"
            return
        if r.time_in_force is TimeInForce.FOK and available < r.qty:
            order.status = VenueOrderStatus.EXPIRED
            return
        left = r.qty
        for index, (price, size) in enumerate(list(crosses)):
            take = min(size, left)
            if take <= 0:
                break
            levels[index] = (price, size - take)
            self._fill(order, take, price, Liquidity.TAKER)
            left -= take
        levels[:] = [(p, s) for p, s in levels if s > 0]
        if left == 0:
            order.status = VenueOrderStatus.FILLED
        elif r.kind is OrderKind.MARKET or r.time_in_force is not TimeInForce.GTC:
            order.status = VenueOrderStatus.EXPIRED
        elif order.filled_qty > 0:
            order.status = VenueOrderStatus.PARTIALLY_FILLED

    def _fill(self, order: _PaperOrder, qty: Decimal, price: Decimal,
              liquidity: Liquidity) -> None:
        r = order.request
        order.filled_qty += qty
        order.filled_quote += qty * price
        fee = (qty * price * self.taker_fee) if liquidity is Liquidity.TAKER else Decimal(0)
        _, quote = split_symbol(r.symbol)
        fill = VenueFill(self.venue_name, r.client_order_id, order.venue_order_id,
                         f"{self.venue_name}-t{next(self._ids)}", r.symbol, r.side, qty, price,
                         fee, quote, liquidity, time.time_ns())
        self.fills.append(fill)
        self._undelivered.append(fill)

    def _flush_fills(self) -> None:
        pending, self._undelivered = self._undelivered, []
        for fill in pending:
            if self.on_fill is not None:
                self.on_fill(fill)

    def trade_against(self, client_order_id: str, qty: Decimal) -> None:
        """Someone takes `qty` of our resting order at its limit price (maker fill)."""
        order = self.orders[client_order_id]
        take = min(qty, order.request.qty - order.filled_qty)
        if order.status.is_final or take <= 0 or order.request.limit_price is None:
            raise PaperRejected(f"{client_order_id} is not resting")
        self._fill(order, take, order.request.limit_price, Liquidity.MAKER)
        order.status = (VenueOrderStatus.FILLED if order.filled_qty == order.request.qty
                        else VenueOrderStatus.PARTIALLY_FILLED)
        self._flush_fills()

    async def query(self, client_order_id: str, symbol: str) -> VenueOrderReport | None:
        order = self.orders.get(client_order_id)
        return None if order is None else order.report(self.venue_name)

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport:
        order = self.orders.get(client_order_id)
        if order is None or order.status.is_final:
            raise PaperRejected(f"-2011: Unknown order sent ({client_order_id})")
        order.status = VenueOrderStatus.CANCELED
        return order.report(self.venue_name)

    async def poll_fills(self) -> int:
        """Every fill is delivered at once here; nothing is ever missed."""
        return 0

    def position(self, symbol: str) -> Decimal:
        """Net base bought minus sold on `symbol`: the venue's truth for tests."""
        return sum((f.qty if f.side is Side.BUY else -f.qty for f in self.fills
                    if f.symbol == symbol), Decimal(0))
