"""What both dialects share: the ccxt client, request pacing, the local books, the fill ledger.

A dialect speaks to its exchange through `CexLink.call` (weight budget, Retry-After, backoff
on transient errors) and hands every fill to `CexLink.deliver`, which drops a trade already
delivered (keyed by symbol and trade id), so a fill seen by both a stream and a poll is
delivered exactly once. A fill that arrives before anyone listens (`on_fill` unset, e.g. while
`start()` connects) is kept and handed over when the handler is attached.

The fill history read over REST is resumable: `cursors` holds, per symbol, the last trade the
REST poll has read through (contiguously, never a stream's newest), so a restarted venue given
those cursors reads only what came after them.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from connectors.cex.config import CexVenueConfig
from connectors.cex.errors import VenueUnavailable
from connectors.cex.localbook import LocalOrderBook
from connectors.cex.pacing import Backoff, WeightBudget
from connectors.orders import FillHandler, VenueFill
from connectors.venue import Market


def decimal_of(value: Any) -> Decimal:
    """A Decimal from a ccxt number: strings as sent; floats through their shortest repr,
    which gives back the decimal string the venue sent whenever it had <= 15 digits."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


@dataclass(frozen=True, slots=True)
class FillCursor:
    """Where a symbol's fill history has been read through: its last trade (venue trade id
    and venue time in ms). A venue resumes its REST fill polling after it."""

    trade_id: str
    ts_ms: int

    def to_json(self) -> dict[str, object]:
        return {"trade_id": self.trade_id, "ts_ms": self.ts_ms}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FillCursor:
        return cls(str(raw["trade_id"]), int(raw["ts_ms"]))


def load_cursors(path: str | None) -> dict[str, FillCursor]:
    """The cursors saved at `path` (JSON, symbol -> cursor); none when there is no file."""
    if path is None or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    return {symbol: FillCursor.from_json(item) for symbol, item in raw.items()}


def save_cursors(path: str, cursors: dict[str, FillCursor]) -> None:
    """Write `cursors` to `path` atomically (a crash leaves the old file or the new one)."""
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({s: c.to_json() for s, c in sorted(cursors.items())}, handle)
    os.replace(temporary, path)


class CexLink:
    def __init__(self, config: CexVenueConfig, exchange: Any,
                 on_fill: FillHandler | None = None) -> None:
        self.config, self.exchange = config, exchange
        self._on_fill = on_fill
        self._undelivered: list[VenueFill] = []  # fills that came before a handler
        self.cursors: dict[str, FillCursor] = {}
        self.history_requests = 0  # REST fill-history pages asked for
        self.history_trades_read = 0  # trades those pages returned
        self.budget = WeightBudget(headroom=config.weight_headroom)
        self.venue_counts_weight = False  # the venue reports used weight in headers
        self.markets: dict[str, Market] = {}
        self.ids: dict[str, str] = {}  # venue's market id (WETHUSDC) -> symbol
        self.books: dict[str, LocalOrderBook] = {}
        self.book_ready: dict[str, asyncio.Event] = {}
        self.user_ready = asyncio.Event()
        self.fills: list[VenueFill] = []
        self.seen_trades: set[tuple[str, str]] = set()
        self.reconnects = 0
        self.resyncs = 0

    def add_market(self, market: Market, venue_id: str) -> None:
        self.markets[market.symbol] = market
        self.ids[venue_id] = market.symbol
        self.books[market.symbol] = LocalOrderBook(market.symbol)
        self.book_ready[market.symbol] = asyncio.Event()

    def wanted(self, symbol: str) -> bool:
        return not self.config.symbols or symbol in self.config.symbols

    def backoff(self) -> Backoff:
        return Backoff(self.config.backoff_base_s, self.config.backoff_cap_s)

    async def call(self, weight: int, method: Callable[..., Awaitable[Any]], *args: Any,
                   retry: bool = True, **kwargs: Any) -> Any:
        """One REST call under the weight budget; rate limits and 5xx are waited out."""
        backoff = self.backoff()
        for _ in range(self.config.max_attempts):
            await self.budget.acquire(weight)
            try:
                result = await method(*args, **kwargs)
                self.observe()
                return result
            except (ccxt_async.DDoSProtection, ccxt_async.RateLimitExceeded):
                await asyncio.sleep(0)  # the budget now blocks until Retry-After has passed
                self.budget.retry_after(self.exchange.last_response_headers)
                if not retry:
                    raise
            except ccxt_async.OperationFailed:  # 5xx, network, timeouts: transient
                if not retry:
                    raise
                await asyncio.sleep(backoff.next_delay())
        raise VenueUnavailable(f"{self.config.name}: no answer after "
                               f"{self.config.max_attempts} attempts")

    def observe(self) -> None:
        """Take the venue's own count of used weight, where it sends one."""
        if self.venue_counts_weight:
            self.budget.observe(self.exchange.last_response_headers)

    @property
    def on_fill(self) -> FillHandler | None:
        return self._on_fill

    @on_fill.setter
    def on_fill(self, handler: FillHandler | None) -> None:
        """Attach the handler, first handing it every fill that came while there was none."""
        self._on_fill = handler
        while handler is not None and self._undelivered:
            handler(self._undelivered[0])
            self._undelivered.pop(0)

    def deliver(self, fill: VenueFill) -> None:
        key = (fill.symbol, fill.trade_id)
        if key in self.seen_trades:
            return
        self.seen_trades.add(key)
        self.fills.append(fill)
        if self._on_fill is not None:
            self._on_fill(fill)
        else:
            self._undelivered.append(fill)

    def read_through(self, symbol: str, cursor: FillCursor) -> None:
        """The REST history of `symbol` has been read through `cursor`; saved when the venue
        keeps its cursors in a file."""
        self.cursors[symbol] = cursor
        if self.config.fill_cursor_path is not None:
            save_cursors(self.config.fill_cursor_path, self.cursors)
