"""The ccxt dialect: any ccxt exchange id through ccxt's unified API only.

- markets and fees from `load_markets` (taker fee, precision as lot and tick, amount and
  cost limits as minimum quantity and notional); pacing from the client's `rateLimit`
  (1000 / rateLimit requests a second, under our headroom; one unit per unified call);
- books: `watch_order_book` (ccxt.pro, where the exchange has it; checked against a REST
  snapshot when quiet) or `fetch_order_book` polled every `book_poll_s`; each snapshot
  replaces the local book, its sequence is ccxt's nonce when the exchange sends one (an
  older one is dropped), else one more than the last;
- orders with the unified `clientOrderId` param; query and cancel by it through
  `fetch_order` / `cancel_order`, or, where those need the venue's id, by finding the client
  id among `fetch_open_orders`, then `fetch_orders` (or `fetch_closed_orders` and
  `fetch_canceled_orders`);
- fills from `watch_my_trades` (ccxt.pro) and `fetch_my_trades` polled from the last trade's
  timestamp (inclusive: overlap is dropped by trade id in the link), starting from the resumed
  cursor after a restart;
- the public tape (for volume profiles) from `fetch_ohlcv` when a timeframe fits the
  caller's buckets, else `fetch_trades`, paged by time;
- balances from `fetch_balance` (free and used).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async
from ccxt.base.decimal_to_precision import DECIMAL_PLACES, TICK_SIZE

from connectors.cex.errors import VenueRejected, VenueUnavailable
from connectors.cex.link import CexLink, FillCursor, decimal_of
from connectors.cex.localbook import LocalOrderBook
from connectors.cex.pacing import Backoff
from connectors.errors import VenueError
from connectors.orders import (
    Liquidity,
    OrderKind,
    OrderRequest,
    VenueBalance,
    VenueFill,
    VenueOrderReport,
    VenueOrderStatus,
)
from connectors.venue import Market, Side, StateStamp, VenueKind
from connectors.volume import TradePrint, bar_interval

# ccxt's unified order statuses onto ours ("canceling": the venue may still fill it)
STATUS_OF_UNIFIED = {
    "open": VenueOrderStatus.OPEN, "canceling": VenueOrderStatus.OPEN,
    "closed": VenueOrderStatus.FILLED, "canceled": VenueOrderStatus.CANCELED,
    "expired": VenueOrderStatus.EXPIRED, "rejected": VenueOrderStatus.REJECTED,
}
# the errors that mean "this exchange cannot do it this way" (look an order up by client
# id, stream without a symbol): use the fallback
_CANNOT_THIS_WAY = (ccxt_async.NotSupported, ccxt_async.ArgumentsRequired)


def report_of(venue: str, symbol: str, order: dict[str, Any],
              client_order_id: str | None = None) -> VenueOrderReport:
    """Our report of a unified ccxt order; `client_order_id` when we know better than the
    answer (a cancel's answer may carry the cancel request's own client id)."""
    status = STATUS_OF_UNIFIED.get(str(order.get("status")), VenueOrderStatus.UNKNOWN)
    filled = decimal_of(order.get("filled"))
    if status is VenueOrderStatus.OPEN and filled > 0:
        status = VenueOrderStatus.PARTIALLY_FILLED
    cost = order.get("cost")
    filled_quote = (decimal_of(cost) if cost is not None
                    else filled * decimal_of(order.get("average")))
    return VenueOrderReport(
        venue, client_order_id or str(order.get("clientOrderId") or ""), symbol,
        Side(order["side"]), status, venue_order_id=str(order["id"]),
        qty=decimal_of(order.get("amount")), filled_qty=filled, filled_quote=filled_quote,
        ts_ns=time.time_ns())


def step_of(precision: Any, mode: int) -> Decimal:
    """A ccxt precision as a step: TICK_SIZE is the step, DECIMAL_PLACES its digits;
    significant-digit precision has no fixed step (0)."""
    if precision is None:
        return Decimal(0)
    if mode == TICK_SIZE:
        return decimal_of(precision)
    if mode == DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(precision))
    return Decimal(0)


def _newest_first_key(trade: dict[str, Any]) -> tuple[int, int]:
    """Order trades by time, then (where ids are numbers, as on most venues) by id."""
    trade_id = str(trade.get("id"))
    return int(trade["timestamp"]), int(trade_id) if trade_id.isdigit() else -1


class CcxtDialect:
    placement_weight = 1  # one request (see _pace_by_rate_limit)

    def __init__(self, link: CexLink) -> None:
        self.link, self.config, self.exchange = link, link.config, link.exchange
        self.name = link.config.name
        self._pace_by_rate_limit()
        self.client_ids: dict[str, str] = {}  # venue order id -> our client id
        # fetch_order / cancel_order take our client id (the unified clientOrderId param);
        # False: find the venue's id among the open and closed orders first
        self.by_client_id = True
        self._sequence: dict[str, int] = {}  # last book sequence per symbol
        self._observed_ns: dict[str, int] = {}
        self._polled_books: set[str] = set()  # watch_order_book proved unsupported
        self._since: dict[str, int] = {}  # fetch_my_trades since (ms), per symbol
        self._resumed_at: dict[str, FillCursor] = {}  # the cursor a restart resumed from

    def _pace_by_rate_limit(self) -> None:
        """ccxt's `rateLimit` is the milliseconds it leaves between requests of unit cost:
        at most 1000 / rateLimit requests a second, of which we use our headroom. One pacer
        (ours) sees every request, so a Retry-After holds them all; ccxt.pro's own REST
        snapshot inside watch_order_book is the one request it does not see."""
        rate_limit_ms = float(self.exchange.rateLimit or 0)
        self.link.budget.window_s = 1.0
        self.link.budget.limit = max(1, int(1000 / rate_limit_ms)) if rate_limit_ms > 0 else 10

    def has(self, feature: str) -> bool:
        return bool(self.exchange.has.get(feature))

    # ---- markets and limits -------------------------------------------------------------

    async def prepare(self) -> None:
        raw = await self.link.call(1, self.exchange.load_markets)
        for symbol, market in raw.items():
            if market.get("spot") and market.get("active") is not False \
                    and self.link.wanted(symbol):
                self.link.add_market(self._market(symbol, market), str(market["id"]))

    def _market(self, symbol: str, market: dict[str, Any]) -> Market:
        mode = int(self.exchange.precisionMode)
        precision, limits = market.get("precision") or {}, market.get("limits") or {}
        return Market(
            venue=self.name, kind=VenueKind.CEX, symbol=symbol, base=market["base"],
            quote=market["quote"], lot_size=step_of(precision.get("amount"), mode),
            tick_size=step_of(precision.get("price"), mode),
            min_qty=decimal_of((limits.get("amount") or {}).get("min")),
            min_notional=decimal_of((limits.get("cost") or {}).get("min")),
            taker_fee=decimal_of(market.get("taker")))

    def background(self) -> list[Coroutine[Any, Any, None]]:
        loops = [self._keep_book(symbol) for symbol in self.link.markets]
        return [*loops, self._run_fills()]

    async def close(self) -> None:
        return None

    def stamp(self, book: LocalOrderBook) -> StateStamp:
        return StateStamp(self._observed_ns.get(book.symbol, time.time_ns()),
                          sequence=book.last_update_id)

    # ---- books --------------------------------------------------------------------------

    def _streams_book(self, symbol: str) -> bool:
        return (self.config.streams and symbol not in self._polled_books
                and self.has("watchOrderBook"))

    async def _keep_book(self, symbol: str) -> None:
        """Replace the local book with each snapshot; on any error, desync and back off."""
        backoff, book = self.link.backoff(), self.link.books[symbol]
        while True:
            try:
                if self._streams_book(symbol):
                    await self._watch_book(symbol, backoff)
                else:
                    await self._install_rest_snapshot(symbol)
                    backoff.reset()
                    await asyncio.sleep(self.config.book_poll_s)
            except _CANNOT_THIS_WAY:
                self._polled_books.add(symbol)  # this exchange does not stream it
            except (ccxt_async.BaseError, VenueError):
                book.desync()
                self.link.reconnects += 1
                await asyncio.sleep(backoff.next_delay())

    async def _watch_book(self, symbol: str, backoff: Backoff) -> None:
        """ccxt.pro's book after each update. ccxt.pro finds a gap when the next update
        arrives; a gap in the last update before a quiet spell is found here instead: a
        stream quiet for `book_audit_idle_s` has its book compared with a REST snapshot."""
        watch = asyncio.ensure_future(
            self.exchange.watch_order_book(symbol, self.config.book_limit))
        try:
            while True:
                done, _ = await asyncio.wait({watch}, timeout=self.config.book_audit_idle_s)
                if not done:
                    await self._audit(symbol)
                    continue
                self._install(symbol, watch.result(), time.time_ns())
                backoff.reset()
                watch = asyncio.ensure_future(
                    self.exchange.watch_order_book(symbol, self.config.book_limit))
        finally:
            watch.cancel()

    async def _audit(self, symbol: str) -> None:
        held = self._sequence.get(symbol)
        raw = await self.link.call(1, self.exchange.fetch_order_book, symbol,
                                   self.config.book_limit)
        nonce = raw.get("nonce")
        if nonce is None or held is None or int(nonce) > held:
            # a resync: the book we held had fallen behind (not merely: none yet)
            self.link.resyncs += int(nonce is not None and held is not None)
            self._install(symbol, raw, time.time_ns())

    async def _install_rest_snapshot(self, symbol: str) -> None:
        raw = await self.link.call(1, self.exchange.fetch_order_book, symbol,
                                   self.config.book_limit)
        self._install(symbol, raw, time.time_ns())

    def _install(self, symbol: str, raw: dict[str, Any], observed_ns: int) -> None:
        book, last = self.link.books[symbol], self._sequence.get(symbol, 0)
        nonce = raw.get("nonce")
        if nonce is not None and int(nonce) < last:
            return  # older than the book we hold (another server, a slow poll)
        sequence = int(nonce) if nonce is not None else last + 1
        levels = {side: [(decimal_of(level[0]), decimal_of(level[1]))
                         for level in raw.get(side) or []] for side in ("bids", "asks")}
        book.desync()
        book.on_snapshot(sequence, levels["bids"], levels["asks"])
        book.updates_applied += 1
        self._sequence[symbol], self._observed_ns[symbol] = sequence, observed_ns
        self.link.book_ready[symbol].set()

    # ---- orders -------------------------------------------------------------------------

    async def create(self, request: OrderRequest) -> VenueOrderReport:
        params: dict[str, Any] = {"clientOrderId": request.client_order_id}
        if request.kind is OrderKind.LIMIT:
            params["timeInForce"] = request.time_in_force.value.upper()
        if request.kind is OrderKind.LIMIT_MAKER:
            params["postOnly"] = True
        kind = "market" if request.kind is OrderKind.MARKET else "limit"
        price = str(request.limit_price) if request.limit_price is not None else None
        order = await self.exchange.create_order(request.symbol, kind, request.side.value,
                                                 str(request.qty), price, params)
        return self._remember(report_of(self.name, request.symbol, order,
                                        request.client_order_id))

    def _remember(self, report: VenueOrderReport) -> VenueOrderReport:
        if report.venue_order_id is not None and report.client_order_id:
            self.client_ids[report.venue_order_id] = report.client_order_id
        return report

    def rejection(self, error: Exception) -> str:
        return f"{type(error).__name__}: {error}"

    async def query(self, client_order_id: str, symbol: str) -> VenueOrderReport | None:
        try:
            order = await self._order_by_client_id(client_order_id, symbol)
        except ccxt_async.OperationFailed as error:
            raise VenueUnavailable(str(error)) from error
        except ccxt_async.ExchangeError as error:
            raise VenueRejected(None, self.rejection(error), str(error)) from error
        if order is None:
            return None
        return self._remember(report_of(self.name, symbol, order, client_order_id))

    async def _order_by_client_id(self, client_order_id: str,
                                  symbol: str) -> dict[str, Any] | None:
        if self.by_client_id and self.has("fetchOrder"):
            try:
                order: dict[str, Any] = await self.link.call(
                    1, self.exchange.fetch_order, None, symbol,
                    {"clientOrderId": client_order_id})
                return order
            except ccxt_async.OrderNotFound:
                return None
            except _CANNOT_THIS_WAY:
                self.by_client_id = False  # learned once: search from now on
        return await self._search(client_order_id, symbol)

    async def _search(self, client_order_id: str, symbol: str) -> dict[str, Any] | None:
        """Find the order among the open ones, then all (or the closed and the canceled:
        some exchanges leave canceled orders out of their closed list)."""
        ex = self.exchange
        listings = [("fetchOpenOrders", ex.fetch_open_orders)]
        if self.has("fetchOrders"):
            listings.append(("fetchOrders", ex.fetch_orders))
        else:
            listings += [("fetchClosedOrders", ex.fetch_closed_orders),
                         ("fetchCanceledOrders", ex.fetch_canceled_orders)]
        for feature, method in listings:
            if not self.has(feature):
                continue
            for order in await self.link.call(1, method, symbol):
                if order.get("clientOrderId") == client_order_id:
                    found: dict[str, Any] = order
                    return found
        return None

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport:
        try:
            order = await self._cancel(client_order_id, symbol)
        except ccxt_async.OperationFailed as error:
            raise VenueUnavailable(str(error)) from error
        except ccxt_async.ExchangeError as error:
            raise VenueRejected(None, self.rejection(error), str(error)) from error
        return self._remember(report_of(self.name, symbol, order, client_order_id))

    async def _cancel(self, client_order_id: str, symbol: str) -> dict[str, Any]:
        if self.by_client_id:
            try:
                order: dict[str, Any] = await self.link.call(
                    1, self.exchange.cancel_order, None, symbol,
                    {"clientOrderId": client_order_id})
                return order
            except _CANNOT_THIS_WAY:
                self.by_client_id = False
        found = await self._search(client_order_id, symbol)
        if found is None:
            raise ccxt_async.OrderNotFound(f"{self.name}: no order {client_order_id}")
        canceled: dict[str, Any] = await self.link.call(1, self.exchange.cancel_order,
                                                        found["id"], symbol)
        return canceled

    async def balances(self) -> dict[str, VenueBalance]:
        raw = await self.link.call(1, self.exchange.fetch_balance)
        free, used = raw.get("free") or {}, raw.get("used") or {}
        return {asset: VenueBalance(asset, decimal_of(free.get(asset)),
                                    decimal_of(used.get(asset)))
                for asset in sorted(set(free) | set(used))}

    # ---- fills --------------------------------------------------------------------------

    async def _run_fills(self) -> None:
        """Stream fills where the exchange has watch_my_trades; poll on a timer always, and
        right after each (re)connect of the stream."""
        await self._poll_quietly()
        self.link.user_ready.set()
        poller = asyncio.create_task(self._poll_forever())
        backoff = self.link.backoff()
        try:
            while self.config.streams and self.has("watchMyTrades"):
                try:
                    while True:
                        for trade in await self.exchange.watch_my_trades():
                            await self._take(trade)
                        backoff.reset()
                except _CANNOT_THIS_WAY:
                    break  # this exchange cannot stream all our trades: polling only
                except (ccxt_async.BaseError, VenueError):
                    self.link.reconnects += 1
                    await asyncio.sleep(backoff.next_delay())
                    await self._poll_quietly()
            await poller
        finally:
            poller.cancel()

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.fill_poll_s)
            await self._poll_quietly()

    async def _poll_quietly(self) -> None:
        with contextlib.suppress(ccxt_async.BaseError, VenueError):
            await self.poll_fills()

    def _since_of(self, symbol: str) -> int | None:
        """fetch_my_trades since (ms): this run's last trade, else the resumed cursor's (its
        own trade is known, so it is not delivered again)."""
        if symbol not in self._since:
            cursor = self.link.cursors.get(symbol)
            if cursor is None:
                return None
            self._since[symbol] = cursor.ts_ms
            self._resumed_at[symbol] = cursor
        return self._since[symbol]

    def _read_before(self, symbol: str, trade: dict[str, Any]) -> bool:
        """A trade of the resumed cursor's millisecond that the cursor already covers (the
        cursor's own, or one with a smaller numeric id)."""
        cursor = self._resumed_at.get(symbol)
        if cursor is None or int(trade.get("timestamp") or 0) != cursor.ts_ms:
            return False
        trade_id = str(trade.get("id"))
        if trade_id == cursor.trade_id:
            return True
        return trade_id.isdigit() and cursor.trade_id.isdigit() and \
            int(trade_id) < int(cursor.trade_id)

    async def poll_fills(self) -> None:
        page = 500
        for symbol in self.link.markets:
            while True:
                since = self._since_of(symbol)
                trades = await self.link.call(1, self.exchange.fetch_my_trades, symbol,
                                              since, page)
                self.link.history_requests += 1
                self.link.history_trades_read += len(trades)
                for trade in trades:
                    if not self._read_before(symbol, trade):
                        await self._take(trade)
                stamped = [t for t in trades if t.get("timestamp")]
                if stamped:
                    newest = max(stamped, key=_newest_first_key)
                    if int(newest["timestamp"]) >= (since or 0):
                        self._since[symbol] = int(newest["timestamp"])
                        self.link.read_through(symbol, FillCursor(
                            str(newest["id"]), int(newest["timestamp"])))
                if len(trades) < page or self._since.get(symbol) == since:
                    break  # (a full page inside one millisecond would stop here)

    # ---- the public tape ------------------------------------------------------------------

    async def recent_trades(self, symbol: str, since_ms: int,
                            bar_ns: int | None = None) -> list[TradePrint]:
        """fetch_ohlcv where the exchange has it and a timeframe fits `bar_ns`, else
        fetch_trades."""
        timeframes = tuple((self.exchange.timeframes or {}).keys())
        interval = (bar_interval(since_ms * 1_000_000, bar_ns, timeframes)
                    if self.has("fetchOHLCV") else None)
        if interval is not None:
            return await self._ohlcv(symbol, since_ms, interval[0])
        return await self._trades(symbol, since_ms)

    async def _ohlcv(self, symbol: str, since_ms: int, timeframe: str) -> list[TradePrint]:
        page, start = 1000, since_ms
        prints: list[TradePrint] = []
        while True:
            bars = await self.link.call(1, self.exchange.fetch_ohlcv, symbol, timeframe,
                                        start, page)
            prints += [(int(bar[0]) * 1_000_000, decimal_of(bar[5])) for bar in bars
                       if bar[5] and int(bar[0]) >= since_ms]
            if len(bars) < page:
                return prints
            start = int(bars[-1][0]) + 1

    async def _trades(self, symbol: str, since_ms: int) -> list[TradePrint]:
        """Unified fetch_trades from `since_ms` on, paged by the last trade's time (inclusive;
        repeats dropped by trade id). Binance-family exchanges answer a `since` with one
        hour at most, so a short page there moves on an hour rather than ending the read."""
        page, now_ms = 1000, int(time.time() * 1000)
        window_ms = 3_600_000 if self.config.exchange_id.startswith("binance") else None
        cursor = since_ms
        seen: set[str] = set()
        prints: list[TradePrint] = []
        while cursor <= now_ms:
            trades = await self.link.call(1, self.exchange.fetch_trades, symbol, cursor, page)
            for trade in trades:
                key = str(trade.get("id"))
                stamp = int(trade.get("timestamp") or 0)
                if key not in seen and stamp >= since_ms:
                    seen.add(key)
                    prints.append((stamp * 1_000_000, decimal_of(trade.get("amount"))))
            newest = max((int(t.get("timestamp") or 0) for t in trades), default=cursor)
            if len(trades) >= page:
                cursor = newest if newest > cursor else cursor + 1
            elif window_ms is not None:
                cursor = max(cursor + window_ms, newest + 1)
            else:
                break
        return sorted(prints)

    async def _take(self, trade: dict[str, Any]) -> None:
        symbol = trade.get("symbol")
        if symbol not in self.link.markets:
            return
        if (symbol, str(trade["id"])) in self.link.seen_trades:
            return
        order_id = str(trade.get("order") or "")
        fee = trade.get("fee") or {}
        self.link.deliver(VenueFill(
            self.name, await self._client_id_of(symbol, order_id), order_id, str(trade["id"]),
            symbol, Side(trade["side"]), decimal_of(trade.get("amount")),
            decimal_of(trade.get("price")), decimal_of(fee.get("cost")),
            str(fee.get("currency") or ""),
            Liquidity.MAKER if trade.get("takerOrMaker") == "maker" else Liquidity.TAKER,
            int(trade.get("timestamp") or 0) * 1_000_000))

    async def _client_id_of(self, symbol: str, order_id: str) -> str:
        """Our client id of a venue order: known from our own reports, else asked for."""
        if order_id and order_id not in self.client_ids and self.has("fetchOrder"):
            order = await self.link.call(1, self.exchange.fetch_order, order_id, symbol)
            self.client_ids[order_id] = str(order.get("clientOrderId") or "")
        return self.client_ids.get(order_id, "")
