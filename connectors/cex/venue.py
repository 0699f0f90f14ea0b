"""A CEX venue over ccxt: Venue quotes from a local book, and orders with our client ids.

REST goes through `ccxt.async_support.<exchange_id>` (tests: the real `ccxt.binance` pointed
at simex); market data and the user stream speak Binance's stream protocol (diff depth with
U/u ids, listen-key user data stream), which simex and Binance share.

Guarantees:
- the local book is rebuilt from a snapshot on any gap or reconnect; a quote is refused
  (retryable) while a book is not in sync, never answered from a stale book;
- reconnects back off exponentially (capped, jittered);
- requests stay under the venue's weight limit and wait out any Retry-After;
- a placement whose answer never comes is UNKNOWN, then resolved by asking the venue by our
  client order id once the request can no longer execute (timestamp + recvWindow); only an
  order the venue provably never got is sent again, with the same client id;
- fills come from the user stream, deduplicated by trade id; after every reconnect (and on a
  timer) myTrades is polled so a fill missed by the stream is still delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
import ccxt.async_support as ccxt_async

from connectors.cex.localbook import BookGap, DepthDiff, LocalOrderBook
from connectors.cex.pacing import Backoff, WeightBudget
from connectors.cex.quoting import curve_from_levels, quote_from_levels
from connectors.errors import RetryableVenueError, TerminalVenueError, VenueError
from connectors.orders import (
    Liquidity,
    OrderKind,
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
    StateStamp,
    VenueKind,
    VenueQuote,
    market_for,
    require_positive,
)

FillHandler = Callable[[VenueFill], None]

# Binance order statuses onto ours (spot "ENUM definitions", order status).
_STATUS = {
    "NEW": VenueOrderStatus.OPEN, "PENDING_NEW": VenueOrderStatus.OPEN,
    "PARTIALLY_FILLED": VenueOrderStatus.PARTIALLY_FILLED, "FILLED": VenueOrderStatus.FILLED,
    "CANCELED": VenueOrderStatus.CANCELED, "PENDING_CANCEL": VenueOrderStatus.OPEN,
    "REJECTED": VenueOrderStatus.REJECTED, "EXPIRED": VenueOrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": VenueOrderStatus.EXPIRED,
}
_NO_SUCH_ORDER = -2013


class VenueRejected(TerminalVenueError):
    """The venue refused a request; `code` and `raw` keep its own answer."""

    def __init__(self, code: int | None, message: str, raw: str) -> None:
        self.code, self.raw = code, raw
        super().__init__(f"{code}: {message}" if code is not None else message)


class VenueUnavailable(RetryableVenueError):
    """The venue did not answer usefully (network, 5xx, rate limit): try again later."""


@dataclass(frozen=True)
class CexVenueConfig:
    name: str
    api_key: str
    api_secret: str = field(repr=False)
    exchange_id: str = "binance"
    urls: dict[str, Any] | None = None  # ccxt urls['api'] overrides (simex: server.ccxt_urls())
    stream_url: str | None = None  # base of the market/user streams, e.g. ws://host:port/ws
    symbols: tuple[str, ...] = ()  # books to keep; empty: every market
    request_timeout_s: float = 5.0
    recv_window_ms: int = 5000
    weight_headroom: float = 0.8  # share of the venue's REQUEST_WEIGHT limit we may use
    max_attempts: int = 5
    fill_poll_s: float = 5.0
    backoff_base_s: float = 0.05
    backoff_cap_s: float = 2.0
    listen_key_keepalive_s: float = 1800.0
    book_audit_idle_s: float = 2.0  # a stream quiet this long: check the books' update ids


# ccxt raises some Binance errors with the message alone ("binance Duplicate order sent."),
# having matched it exactly; these are the codes Binance sends with those messages.
_CODE_OF_MESSAGE = {
    "Order would immediately match and take.": -2010,
    "Account has insufficient balance for requested action.": -2010,
    "Duplicate order sent.": -2010,
    "Order does not exist.": -2013,
    "Unknown order sent.": -2011,
    "Signature for this request is not valid.": -1022,
    "Timestamp for this request is outside of the recvWindow.": -1021,
    "Invalid API-key, IP, or permissions for action.": -2015,
    "API-key format invalid.": -2014,
    "Invalid symbol.": -1121,
}


def _venue_error(error: Exception) -> tuple[int | None, str]:
    """The venue's code and message out of a ccxt exception ("binance {json}" or
    "binance <message>")."""
    text = str(error)
    start = text.find("{")
    if start >= 0:
        with contextlib.suppress(ValueError):
            body = json.loads(text[start:])
            return int(body.get("code")), str(body.get("msg"))
    message = text.split(" ", 1)[1] if " " in text else text
    return _CODE_OF_MESSAGE.get(message), message


class CexVenue:
    """A ccxt exchange as a Crossbook venue: quotes, depth, orders, balances, fills."""

    def __init__(self, config: CexVenueConfig, on_fill: FillHandler | None = None) -> None:
        self.config = config
        self.on_fill = on_fill
        self.budget = WeightBudget(headroom=config.weight_headroom)
        self.books: dict[str, LocalOrderBook] = {}
        self.fills: list[VenueFill] = []
        self._seen_trades: set[tuple[str, str]] = set()
        self._poll_from: dict[str, int] = {}  # myTrades fromId: one past the last trade read
        self._markets: dict[str, Market] = {}
        self._ids: dict[str, str] = {}  # venue id (WETHUSDC) -> symbol
        self._tasks: list[asyncio.Task[None]] = []
        self._book_ready: dict[str, asyncio.Event] = {}
        self._user_ready = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self.reconnects = 0
        self.resyncs = 0
        self.unknown_resolved = 0
        self.exchange = getattr(ccxt_async, config.exchange_id)({
            "apiKey": config.api_key, "secret": config.api_secret,
            "timeout": int(config.request_timeout_s * 1000), "enableRateLimit": False,
            "options": {"recvWindow": config.recv_window_ms, "fetchCurrencies": False,
                        "fetchMargins": False, "fetchMarkets": {"types": ["spot"]}},
        })
        if config.urls:
            self.exchange.urls["api"] = {**self.exchange.urls["api"], **config.urls}

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self, wait_s: float = 10.0) -> None:
        """Load markets and fees, open the streams, and wait for books and the user stream."""
        await self._learn_weight_limit()
        raw = await self._call(20, self.exchange.load_markets)
        fee = await self._taker_fee()
        for symbol, market in raw.items():
            if market.get("spot") and (not self.config.symbols or symbol in
                                       self.config.symbols):
                self._markets[symbol] = self._market(symbol, market, fee)
                self._ids[market["id"]] = symbol
        self._session = aiohttp.ClientSession()
        for symbol in self._markets:
            self.books[symbol] = LocalOrderBook(symbol)
            self._book_ready[symbol] = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._run_books()))
        self._tasks.append(asyncio.create_task(self._run_user_stream()))
        self._tasks.append(asyncio.create_task(self._poll_fills_forever()))
        waits = [e.wait() for e in self._book_ready.values()] + [self._user_ready.wait()]
        await asyncio.wait_for(asyncio.gather(*waits), wait_s)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._session is not None:
            await self._session.close()
        await self.exchange.close()

    async def __aenter__(self) -> CexVenue:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _market(self, symbol: str, market: dict[str, Any], fee: Decimal) -> Market:
        filters = {f["filterType"]: f for f in market["info"].get("filters", [])}
        price_filter, lot = filters.get("PRICE_FILTER", {}), filters.get("LOT_SIZE", {})
        notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
        return Market(
            venue=self.config.name, kind=VenueKind.CEX, symbol=symbol, base=market["base"],
            quote=market["quote"], lot_size=Decimal(lot.get("stepSize", "0")),
            tick_size=Decimal(price_filter.get("tickSize", "0")),
            min_qty=Decimal(lot.get("minQty", "0")),
            min_notional=Decimal(notional.get("minNotional", "0")), taker_fee=fee)

    async def _learn_weight_limit(self) -> None:
        """Take the REQUEST_WEIGHT limit and its window from the venue's exchangeInfo."""
        info = await self._call(20, self.exchange.publicGetExchangeInfo)
        seconds = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
        for rule in info.get("rateLimits", []):
            if rule.get("rateLimitType") == "REQUEST_WEIGHT":
                self.budget.limit = int(rule["limit"])
                self.budget.window_s = float(seconds[rule["interval"]] * int(rule["intervalNum"]))
                return

    async def _taker_fee(self) -> Decimal:
        account = await self._call(20, self.exchange.privateGetAccount)
        return Decimal(account["commissionRates"]["taker"])

    # ---- REST with pacing ---------------------------------------------------------------

    async def _call(self, weight: int, method: Callable[..., Awaitable[Any]], *args: Any,
                    retry: bool = True, **kwargs: Any) -> Any:
        """One REST call under the weight budget; rate limits and 5xx are waited out."""
        backoff = Backoff(self.config.backoff_base_s, self.config.backoff_cap_s)
        for _ in range(self.config.max_attempts):
            await self.budget.acquire(weight)
            try:
                result = await method(*args, **kwargs)
                self.budget.observe(self.exchange.last_response_headers)
                return result
            except (ccxt_async.DDoSProtection, ccxt_async.RateLimitExceeded):
                await asyncio.sleep(0)  # the budget now blocks until Retry-After has passed
                self.budget.retry_after(self.exchange.last_response_headers)
                if not retry:
                    raise
            except ccxt_async.OperationFailed:  # 5xx, -1001/-1006/-1007, network: transient
                if not retry:
                    raise
                await asyncio.sleep(backoff.next_delay())
        raise VenueUnavailable(f"{self.config.name}: no answer after "
                               f"{self.config.max_attempts} attempts")

    # ---- Venue protocol -----------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def kind(self) -> VenueKind:
        return VenueKind.CEX

    def markets(self) -> tuple[Market, ...]:
        return tuple(self._markets.values())

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
        stamp = StateStamp(time.time_ns(), sequence=book.last_update_id)
        return quote_from_levels(self.name, symbol, side, levels, qty, basis,
                                 self._markets[symbol].taker_fee, stamp)

    async def depth(self, symbol: str, side: Side, max_base: Decimal,
                    points: int = 32) -> DepthCurve:
        require_positive("max_base", max_base)
        book = self._synced_book(symbol)
        levels = book.levels("asks" if side is Side.BUY else "bids")
        stamp = StateStamp(time.time_ns(), sequence=book.last_update_id)
        return curve_from_levels(self.name, symbol, side, levels, max_base, points,
                                 self._markets[symbol].taker_fee, stamp)

    # ---- orders -------------------------------------------------------------------------

    async def place(self, request: OrderRequest) -> VenueOrderReport:
        """Place an order under our client id; UNKNOWN outcomes are resolved, never resent
        unless the venue provably does not have the order."""
        market_for(self, request.symbol)
        backoff = Backoff(self.config.backoff_base_s, self.config.backoff_cap_s)
        for _ in range(self.config.max_attempts):
            sent_ms = int(time.time() * 1000)
            try:
                await self.budget.acquire(1)
                raw = await asyncio.wait_for(self._create(request),
                                             self.config.request_timeout_s + 1)
                self.budget.observe(self.exchange.last_response_headers)
                return self._report(request.symbol, raw["info"])
            except (ccxt_async.DDoSProtection, ccxt_async.RateLimitExceeded):
                # a 429/418 is answered before matching: the order was not taken
                self.budget.retry_after(self.exchange.last_response_headers)
                continue
            except (TimeoutError, ccxt_async.OperationFailed):
                # timeout, network, 5xx, -1006/-1007: the outcome is UNKNOWN, never "failed"
                resolved = await self._resolve(request, sent_ms)
                if resolved is not None:
                    return resolved
                await asyncio.sleep(backoff.next_delay())
            except ccxt_async.ExchangeError as error:
                code, message = _venue_error(error)
                return VenueOrderReport(self.name, request.client_order_id, request.symbol,
                                        request.side, VenueOrderStatus.REJECTED,
                                        qty=request.qty, reason=f"{code}: {message}",
                                        ts_ns=time.time_ns())
        return self._unknown(request)

    async def _create(self, request: OrderRequest) -> dict[str, Any]:
        kind = {OrderKind.MARKET: "market", OrderKind.LIMIT: "limit",
                OrderKind.LIMIT_MAKER: "LIMIT_MAKER"}[request.kind]
        params: dict[str, Any] = {"newClientOrderId": request.client_order_id}
        if request.kind is OrderKind.LIMIT:
            params["timeInForce"] = request.time_in_force.value.upper()
        price = str(request.limit_price) if request.limit_price is not None else None
        result: dict[str, Any] = await self.exchange.create_order(
            request.symbol, kind, request.side.value, str(request.qty), price, params)
        return result

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
        """The venue's state of our order, or None when it has no such order (-2013)."""
        try:
            raw = await self._call(4, self.exchange.fetch_order, None, symbol,
                                   {"origClientOrderId": client_order_id})
        except ccxt_async.OperationFailed as error:
            raise VenueUnavailable(str(error)) from error
        except ccxt_async.ExchangeError as error:
            code, message = _venue_error(error)
            if code == _NO_SUCH_ORDER:
                return None
            raise VenueRejected(code, message, str(error)) from error
        return self._report(symbol, raw["info"])

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport:
        try:
            raw = await self._call(1, self.exchange.cancel_order, None, symbol,
                                   {"origClientOrderId": client_order_id})
        except ccxt_async.OperationFailed as error:
            raise VenueUnavailable(str(error)) from error
        except ccxt_async.ExchangeError as error:
            code, message = _venue_error(error)
            raise VenueRejected(code, message, str(error)) from error
        info = dict(raw["info"])
        info["clientOrderId"] = info.get("origClientOrderId", client_order_id)
        return self._report(symbol, info)

    def _report(self, symbol: str, info: dict[str, Any]) -> VenueOrderReport:
        return VenueOrderReport(
            self.name, info["clientOrderId"], symbol, Side(info["side"].lower()),
            _STATUS.get(info.get("status", ""), VenueOrderStatus.UNKNOWN),
            venue_order_id=str(info["orderId"]), qty=Decimal(info.get("origQty", "0")),
            filled_qty=Decimal(info.get("executedQty", "0")),
            filled_quote=Decimal(info.get("cummulativeQuoteQty", "0")), ts_ns=time.time_ns())

    async def balances(self) -> dict[str, VenueBalance]:
        account = await self._call(20, self.exchange.privateGetAccount)
        return {b["asset"]: VenueBalance(b["asset"], Decimal(b["free"]), Decimal(b["locked"]))
                for b in account["balances"]}

    # ---- fills --------------------------------------------------------------------------

    def _deliver(self, fill: VenueFill) -> None:
        key = (fill.symbol, fill.trade_id)
        if key in self._seen_trades:
            return
        self._seen_trades.add(key)
        self.fills.append(fill)
        if self.on_fill is not None:
            self.on_fill(fill)

    def _fill_from_report(self, event: dict[str, Any]) -> VenueFill | None:
        if event.get("x") != "TRADE" or event.get("s") not in self._ids:
            return None
        return VenueFill(
            self.name, event["c"], str(event["i"]), str(event["t"]), self._ids[event["s"]],
            Side(event["S"].lower()), Decimal(event["l"]), Decimal(event["L"]),
            Decimal(event["n"]), event["N"] or "",
            Liquidity.MAKER if event["m"] else Liquidity.TAKER, int(event["T"]) * 1_000_000)

    async def poll_fills(self) -> int:
        """REST fallback: fetch myTrades of every market and deliver what the stream missed."""
        delivered = len(self.fills)
        for symbol in self._markets:
            from_id = self._poll_from.get(symbol, 0)
            trades = await self._call(20, self.exchange.fetch_my_trades, symbol, None, 1000,
                                      {"fromId": from_id})
            orders: dict[str, str] = {}
            for trade in trades:
                info = trade["info"]
                self._poll_from[symbol] = max(self._poll_from.get(symbol, 0),
                                              int(info["id"]) + 1)
                if (symbol, str(info["id"])) in self._seen_trades:
                    continue
                order_id = str(info["orderId"])
                if order_id not in orders:
                    orders[order_id] = await self._client_id_of(symbol, order_id)
                self._deliver(VenueFill(
                    self.name, orders[order_id], order_id, str(info["id"]), symbol,
                    Side.BUY if info["isBuyer"] else Side.SELL, Decimal(info["qty"]),
                    Decimal(info["price"]), Decimal(info["commission"]),
                    info["commissionAsset"],
                    Liquidity.MAKER if info["isMaker"] else Liquidity.TAKER,
                    int(info["time"]) * 1_000_000))
        return len(self.fills) - delivered

    async def _client_id_of(self, symbol: str, order_id: str) -> str:
        raw = await self._call(4, self.exchange.fetch_order, order_id, symbol)
        return str(raw["info"]["clientOrderId"])

    async def _poll_fills_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.fill_poll_s)
            with contextlib.suppress(Exception):
                await self.poll_fills()

    # ---- streams ------------------------------------------------------------------------

    def _stream_base(self) -> str:
        if self.config.stream_url:
            return self.config.stream_url
        ws = self.exchange.urls["api"].get("ws", {})
        return str(ws.get("spot") if isinstance(ws, dict) else ws)

    async def _run_books(self) -> None:
        """Keep every book in sync: subscribe, snapshot, apply; reconnect and resync."""
        backoff = Backoff(self.config.backoff_base_s, self.config.backoff_cap_s)
        assert self._session is not None
        while True:
            try:
                async with self._session.ws_connect(self._stream_base(), heartbeat=20) as ws:
                    streams = [self.exchange.market(s)["id"].lower() + "@depth@100ms"
                               for s in self._markets]
                    for book in self.books.values():
                        book.desync()
                    await ws.send_json({"method": "SUBSCRIBE", "params": streams, "id": 1})
                    pending = {s: asyncio.create_task(self._snapshot(s)) for s in self.books}
                    backoff.reset()
                    while True:
                        try:
                            message = await ws.receive(timeout=self.config.book_audit_idle_s)
                        except TimeoutError:
                            self._audit_books(pending)
                            continue
                        if message.type is not aiohttp.WSMsgType.TEXT:
                            break
                        event = json.loads(message.data)
                        if event.get("e") == "depthUpdate" and event["s"] in self._ids:
                            self._on_depth(self._ids[event["s"]], event, pending)
                    for task in pending.values():
                        task.cancel()
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            for book in self.books.values():
                book.desync()
            self.reconnects += 1
            await asyncio.sleep(backoff.next_delay())

    def _on_depth(self, symbol: str, event: dict[str, Any],
                  pending: dict[str, asyncio.Task[None]]) -> None:
        book = self.books[symbol]
        try:
            book.on_diff(DepthDiff.from_binance(event))
        except BookGap:
            self.resyncs += 1
            book.on_diff(DepthDiff.from_binance(event))  # buffered for the next snapshot
            if pending.get(symbol) is None or pending[symbol].done():
                pending[symbol] = asyncio.create_task(self._snapshot(symbol))

    async def _keep_listen_key(self, key: str) -> None:
        """Binance expires a listen key 60 minutes after its last keepalive."""
        while True:
            await asyncio.sleep(self.config.listen_key_keepalive_s)
            with contextlib.suppress(VenueError, ccxt_async.BaseError):
                await self._call(2, self.exchange.publicPutUserDataStream, {"listenKey": key})

    def _audit_books(self, pending: dict[str, asyncio.Task[None]]) -> None:
        """On a quiet stream, check each book's update id against the venue's: a gap in the
        last event before a pause is otherwise invisible until the next event."""
        for symbol in self.books:
            if pending.get(symbol) is None or pending[symbol].done():
                pending[symbol] = asyncio.create_task(self._audit(symbol))

    async def _audit(self, symbol: str) -> None:
        book = self.books[symbol]
        if not book.synced:
            return
        seen = book.last_update_id
        try:
            raw = await self._call(5, self.exchange.publicGetDepth,
                                   {"symbol": self.exchange.market(symbol)["id"], "limit": 5})
        except (VenueError, ccxt_async.BaseError):
            return  # the next quiet period audits again
        if book.last_update_id == seen and int(raw["lastUpdateId"]) > (seen or 0):
            book.gaps += 1
            self.resyncs += 1
            book.desync()
            await self._snapshot(symbol)

    async def _snapshot(self, symbol: str) -> None:
        """Fetch snapshots until one joins the buffered diffs."""
        backoff = Backoff(self.config.backoff_base_s, self.config.backoff_cap_s)
        book = self.books[symbol]
        while not book.synced:
            try:
                market_id = self.exchange.market(symbol)["id"]
                raw = await self._call(50, self.exchange.publicGetDepth,
                                       {"symbol": market_id, "limit": 1000})
                book.on_snapshot(int(raw["lastUpdateId"]),
                                 [(Decimal(p), Decimal(q)) for p, q in raw["bids"]],
                                 [(Decimal(p), Decimal(q)) for p, q in raw["asks"]])
            except (BookGap, RetryableVenueError, ccxt_async.OperationFailed):
                await asyncio.sleep(backoff.next_delay())
        self._book_ready[symbol].set()

    async def _run_user_stream(self) -> None:
        """Listen-key user stream; after each (re)connect, poll myTrades for missed fills."""
        backoff = Backoff(self.config.backoff_base_s, self.config.backoff_cap_s)
        assert self._session is not None
        while True:
            try:
                key = (await self._call(2, self.exchange.publicPostUserDataStream))["listenKey"]
                async with self._session.ws_connect(f"{self._stream_base()}/{key}",
                                                    heartbeat=20) as ws:
                    await self.poll_fills()
                    self._user_ready.set()
                    backoff.reset()
                    keepalive = asyncio.create_task(self._keep_listen_key(key))
                    try:
                        async for message in ws:
                            if message.type is not aiohttp.WSMsgType.TEXT:
                                break
                            fill = self._fill_from_report(json.loads(message.data))
                            if fill is not None:
                                self._deliver(fill)
                    finally:
                        keepalive.cancel()
            except (TimeoutError, aiohttp.ClientError, OSError, ccxt_async.OperationFailed,
                    RetryableVenueError):
                pass
            self.reconnects += 1
            await asyncio.sleep(backoff.next_delay())
