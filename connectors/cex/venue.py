"""A CEX venue over ccxt: Venue quotes from a local book, and orders with our client ids.

REST goes through `ccxt.async_support.<exchange_id>` (or `ccxt.pro.<exchange_id>` where the
ccxt dialect streams); the exchange's API is spoken by one dialect (`connectors.cex.dialect`):
Binance's own API for Binance-API venues (simex, Binance), ccxt's unified API for any other
ccxt exchange id. Tests run both against simex through the real `ccxt.binance`.

Guarantees, in both dialects:
- a quote is refused (retryable) while a book is not in sync, never answered from a stale
  book (binance: rebuilt from a snapshot on any gap or reconnect; ccxt: each snapshot
  replaces the book);
- reconnects back off exponentially (capped, jittered);
- requests stay under the venue's rate limit and wait out any Retry-After;
- a placement whose answer never comes is UNKNOWN, then resolved by asking the venue by our
  client order id once the request can no longer execute (timestamp + recvWindow); only an
  order the venue provably never got is sent again, with the same client id;
- fills are deduplicated by trade id; REST is polled after every stream reconnect and on a
  timer, so a fill missed by a stream is still delivered;
- a fill that arrives before `on_fill` is set (during `start()`) is kept and delivered when
  the handler is attached;
- the REST fill history resumes after the last trade read (`fill_cursors`, passed in or kept
  in `config.fill_cursor_path`), so a restart does not read the whole history again;
- `unknown_window_ns` is how long resolving an UNKNOWN placement can take: an OMS request
  timeout must exceed it (`engine.oms.check_request_timeout`).

The venue is also a `connectors.volume.VolumeFeed`: `recent_trades` reads the public tape.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from decimal import Decimal

import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro

from connectors.cex.binance import BinanceDialect
from connectors.cex.config import CexVenueConfig, Dialect
from connectors.cex.dialect import ExchangeDialect
from connectors.cex.errors import InvalidCexConfig, VenueUnavailable
from connectors.cex.link import CexLink, FillCursor, load_cursors
from connectors.cex.localbook import LocalOrderBook
from connectors.cex.pacing import Backoff, WeightBudget
from connectors.cex.quoting import curve_from_levels, quote_from_levels
from connectors.cex.unified import CcxtDialect
from connectors.orders import (
    FillHandler,
    OrderRequest,
    VenueBalance,
    VenueFill,
    VenueOrderReport,
    VenueOrderStatus,
)
from connectors.venue import (
    DepthCurve,
    Market,
    QtyBasis,
    Side,
    VenueKind,
    VenueQuote,
    market_for,
    require_positive,
)
from connectors.volume import TradePrint, require_since


def _dialect_for(config: CexVenueConfig, on_fill: FillHandler | None) -> ExchangeDialect:
    dialect = config.resolved_dialect
    streaming = dialect is Dialect.CCXT and config.streams
    module = ccxt_pro if streaming and hasattr(ccxt_pro, config.exchange_id) else ccxt_async
    if not hasattr(module, config.exchange_id):
        raise InvalidCexConfig("exchange_id", f"ccxt has no exchange {config.exchange_id!r}")
    exchange = getattr(module, config.exchange_id)(config.client_options())
    if config.urls:
        exchange.urls["api"] = {**exchange.urls["api"], **config.urls}
    link = CexLink(config, exchange, on_fill)
    if dialect is Dialect.BINANCE:
        return BinanceDialect(link)
    return CcxtDialect(link)


class CexVenue:
    """A ccxt exchange as a Crossbook venue: quotes, depth, orders, balances, fills."""

    def __init__(self, config: CexVenueConfig, on_fill: FillHandler | None = None,
                 fill_cursors: Mapping[str, FillCursor] | None = None) -> None:
        """`fill_cursors`: per symbol, the last trade already read (from `fill_cursors` of a
        previous run); default: those saved at `config.fill_cursor_path`, if any."""
        self.config = config
        self.dialect = _dialect_for(config, on_fill)
        self.link: CexLink = self.dialect.link
        self.link.cursors = dict(fill_cursors if fill_cursors is not None
                                 else load_cursors(config.fill_cursor_path))
        self.exchange = self.dialect.exchange
        self.unknown_resolved = 0
        self._tasks: list[asyncio.Task[None]] = []

    # ---- what the link holds, under the names callers use ---------------------------------

    @property
    def budget(self) -> WeightBudget:
        return self.link.budget

    @property
    def books(self) -> dict[str, LocalOrderBook]:
        return self.link.books

    @property
    def fills(self) -> list[VenueFill]:
        return self.link.fills

    @property
    def reconnects(self) -> int:
        return self.link.reconnects

    @property
    def resyncs(self) -> int:
        return self.link.resyncs

    @property
    def fill_cursors(self) -> dict[str, FillCursor]:
        """Per symbol, the last trade the REST fill history has been read through."""
        return dict(self.link.cursors)

    @property
    def unknown_window_ns(self) -> int:
        """The longest a placement's outcome can stay open inside `place`: the answer's wait
        (request timeout + 1 s), or the recvWindow + 1 s after which a lost request can no
        longer execute, whichever is later, plus the resolving query's own timeout."""
        answer_s = self.config.request_timeout_s + 1
        lost_s = self.config.recv_window_ms / 1000 + 1
        return int((max(answer_s, lost_s) + self.config.request_timeout_s) * 1e9)

    @property
    def on_fill(self) -> FillHandler | None:
        return self.link.on_fill

    @on_fill.setter
    def on_fill(self, handler: FillHandler | None) -> None:
        self.link.on_fill = handler

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self, wait_s: float = 10.0) -> None:
        """Load markets and fees, start the book and fill loops, and wait until they are
        ready."""
        await self.dialect.prepare()
        self._tasks = [asyncio.create_task(loop) for loop in self.dialect.background()]
        waits = [e.wait() for e in self.link.book_ready.values()] + [self.link.user_ready.wait()]
        await asyncio.wait_for(asyncio.gather(*waits), wait_s)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.dialect.close()
        await self.exchange.close()

    async def __aenter__(self) -> CexVenue:
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- Venue protocol -----------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def kind(self) -> VenueKind:
        return VenueKind.CEX

    def markets(self) -> tuple[Market, ...]:
        return tuple(self.link.markets.values())

    def _synced_book(self, symbol: str) -> LocalOrderBook:
        market_for(self, symbol)
        book = self.books[symbol]
        if not book.synced:
            raise VenueUnavailable(f"{self.name}: {symbol} book is resyncing")
        return book

    async def quote(self, symbol: str, side: Side, qty: Decimal,
                    basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        require_positive("qty", qty)
        book = self._synced_book(symbol)
        levels = book.levels("asks" if side is Side.BUY else "bids")
        return quote_from_levels(self.name, symbol, side, levels, qty, basis,
                                 self.link.markets[symbol].taker_fee, self.dialect.stamp(book))

    async def depth(self, symbol: str, side: Side, max_base: Decimal,
                    points: int = 32) -> DepthCurve:
        require_positive("max_base", max_base)
        book = self._synced_book(symbol)
        levels = book.levels("asks" if side is Side.BUY else "bids")
        return curve_from_levels(self.name, symbol, side, levels, max_base, points,
                                 self.link.markets[symbol].taker_fee, self.dialect.stamp(book))

    # ---- orders -------------------------------------------------------------------------

    async def place(self, request: OrderRequest) -> VenueOrderReport:
        """Place an order under our client id; UNKNOWN outcomes are resolved, never resent
        unless the venue provably does not have the order."""
        market_for(self, request.symbol)
        backoff = Backoff(self.config.backoff_base_s, self.config.backoff_cap_s)
        for _ in range(self.config.max_attempts):
            sent_ms = int(time.time() * 1000)
            try:
                await self.budget.acquire(self.dialect.placement_weight)
                return await asyncio.wait_for(self.dialect.create(request),
                                              self.config.request_timeout_s + 1)
            except (ccxt_async.DDoSProtection, ccxt_async.RateLimitExceeded):
                # a 429/418 is answered before matching: the order was not taken
                self.budget.retry_after(self.exchange.last_response_headers)
                continue
            except (TimeoutError, ccxt_async.OperationFailed):
                # timeout, network, 5xx: the outcome is UNKNOWN, never "failed"
                resolved = await self._resolve(request, sent_ms)
                if resolved is not None:
                    return resolved
                await asyncio.sleep(backoff.next_delay())
            except ccxt_async.ExchangeError as error:
                return VenueOrderReport(self.name, request.client_order_id, request.symbol,
                                        request.side, VenueOrderStatus.REJECTED,
                                        qty=request.qty, reason=self.dialect.rejection(error),
                                        ts_ns=time.time_ns())
        return self._unknown(request)

    def _unknown(self, request: OrderRequest) -> VenueOrderReport:
        return VenueOrderReport(self.name, request.client_order_id, request.symbol,
                                request.side, VenueOrderStatus.UNKNOWN, qty=request.qty,
                                reason="no answer from the venue", ts_ns=time.time_ns())

    async def _resolve(self, request: OrderRequest, sent_ms: int) -> VenueOrderReport | None:
        """The order's state by client id; None once the venue provably never got it."""
        deadline_ms = sent_ms + self.config.recv_window_ms + 1000  # venue clock tolerance
        while True:
            try:
                report = await self.query(request.client_order_id, request.symbol)
            except VenueUnavailable:
                return self._unknown(request)
            if report is not None:
                self.unknown_resolved += 1
                return report
            wait_ms = deadline_ms - int(time.time() * 1000)
            if wait_ms <= 0:
                return None  # past timestamp + recvWindow: the lost request can never run
            await asyncio.sleep(wait_ms / 1000)

    async def query(self, client_order_id: str, symbol: str) -> VenueOrderReport | None:
        """The venue's state of our order, or None when it has no such order."""
        return await self.dialect.query(client_order_id, symbol)

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport:
        """Cancel our order by client id; VenueRejected when the venue has no open order."""
        return await self.dialect.cancel(client_order_id, symbol)

    async def balances(self) -> dict[str, VenueBalance]:
        return await self.dialect.balances()

    # ---- the public tape ----------------------------------------------------------------

    async def recent_trades(self, symbol: str, since_ns: int,
                            bar_ns: int | None = None) -> list[TradePrint]:
        """What traded in `symbol` from `since_ns` on (venue time), oldest first: klines when
        an interval fits the caller's `bar_ns` buckets (`connectors.volume.bar_interval`),
        else the public trades."""
        market_for(self, symbol)
        require_since(since_ns)
        prints = await self.dialect.recent_trades(symbol, since_ns // 1_000_000, bar_ns)
        return sorted(p for p in prints if p[0] >= since_ns)

    # ---- fills --------------------------------------------------------------------------

    async def poll_fills(self) -> int:
        """REST fallback: fetch recent trades of every market and deliver what the streams
        missed; the number delivered."""
        delivered = len(self.fills)
        await self.dialect.poll_fills()
        return len(self.fills) - delivered
