"""simex's HTTP and WebSocket server: Binance spot REST under /api/v3, streams under /ws.

One `SimexServer` is one exchange: its own engine, accounts, makers, faults and port, so
several run side by side in one process. REST requests pass, in order: fault injection, the
request-weight limiter (429 with Retry-After; 418 for a client that ignores it), signature
and timestamp checks for signed endpoints (HMAC-SHA256 over query string + body, exactly as
Binance specifies), then the handler. Engine changes are published to stream sessions through
per-session queues, so every client sees events in engine order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from connectors.simex import errors as e
from connectors.simex import marketdata, wire
from connectors.simex.capital_api import CapitalDesk
from connectors.simex.config import SimexConfig
from connectors.simex.faults import FaultPlan
from connectors.simex.matching import (
    Account,
    EngineOutput,
    MatchingEngine,
    NewOrder,
    OrderKind,
    OrderSide,
    SimOrderView,
    Stp,
    Tif,
)
from connectors.simex.streams import StreamHub

PriceSource = Callable[[str], Decimal | None]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CLIENT_ID = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")
_DECIMAL = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
_MAX_RECV_WINDOW_MS = 60_000
_AHEAD_TOLERANCE_MS = 1_000
_DEPTH_WEIGHTS = ((100, 5), (500, 25), (1000, 50), (5000, 250))

_WEIGHTS: dict[tuple[str, str], int] = {
    ("GET", "/api/v3/exchangeInfo"): 20, ("GET", "/api/v3/trades"): 25,
    ("GET", "/api/v3/aggTrades"): 4, ("GET", "/api/v3/klines"): 2,
    ("GET", "/api/v3/ticker/bookTicker"): 2, ("GET", "/api/v3/ticker/24hr"): 2,
    ("GET", "/api/v3/order"): 4,
    ("GET", "/api/v3/openOrders"): 6, ("GET", "/api/v3/allOrders"): 20,
    ("GET", "/api/v3/account"): 20,
    ("GET", "/api/v3/myTrades"): 20, ("POST", "/api/v3/userDataStream"): 2,
}


def binance_ccxt_urls(rest_url: str) -> dict[str, Any]:
    """`urls['api']` entries pointing `ccxt.binance` at a simex whose base URL is `rest_url`
    (http://host:port); its streams are the same host and port over ws://."""
    http = rest_url.rstrip("/")
    ws = "ws" + http[len("http"):] if http.startswith("http") else http
    return {
        "public": f"{http}/api/v3", "private": f"{http}/api/v3", "v1": f"{http}/api/v1",
        "sapi": f"{http}/sapi/v1", "fapiPublic": f"{http}/fapi/v1",
        "dapiPublic": f"{http}/dapi/v1",
        "ws": {"spot": f"{ws}/ws", "margin": f"{ws}/ws",
               "ws-api": {"spot": f"{ws}/ws-api/v3"}},
    }


def _in_window(time_ms: int, params: dict[str, str]) -> bool:
    """Binance's startTime/endTime filters: both bounds inclusive, each optional."""
    start, end = params.get("startTime"), params.get("endTime")
    return (not start or time_ms >= int(start)) and (not end or time_ms <= int(end))


class SimexServer:
    """A simulated exchange on loopback speaking Binance's spot REST + WebSocket API."""

    def __init__(self, config: SimexConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, faults: FaultPlan | None = None,
                 price_source: PriceSource | None = None,
                 devnet_manifest: dict[str, Any] | None = None) -> None:
        self.config = config or SimexConfig()
        self.host, self._port = host, port
        self.faults = faults or FaultPlan()
        self.price_source = price_source
        self.clock_offset_ms = 0
        self.engine = MatchingEngine(self.config, self.now_ms)
        self.hub = StreamHub(self)
        self.capital = CapitalDesk(self.config, self.engine.accounts, self._signed, self.publish,
                                   self.now_ms, devnet_manifest)
        self.listen_keys: dict[str, str] = {}
        self._weight_window = 0
        self._weight_used = 0
        self._retry_until_ms = 0
        self._banned_until_ms = 0
        self.bans = 0
        self.rate_limited = 0
        self.listen_key_keepalives = 0
        self.requests = 0
        self.orders_received = 0
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # ---- lifecycle ----------------------------------------------------------------------

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.clock_offset_ms

    @property
    def port(self) -> int:
        return self._port

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self._port}"

    def ccxt_urls(self) -> dict[str, Any]:
        """The `urls['api']` entries that point an unmodified `ccxt.binance` (and ccxt.pro
        binance) at this server: spot REST, the sapi/fapi/dapi calls `load_markets` makes,
        spot streams and the WebSocket API."""
        return binance_ccxt_urls(self.rest_url)

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        self._routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        try:
            await self.capital.start()
        except BaseException:
            await self.stop()
            raise
        if self.config.makers.enabled:
            from connectors.simex.makers import run_makers
            self._tasks.append(asyncio.create_task(run_makers(self)))

    async def stop_makers(self) -> None:
        """Stop requoting (the book then stays still, e.g. to compare it with a snapshot)."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def stop(self) -> None:
        self._closing.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.hub.close_all()
        await self.capital.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> SimexServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def publish(self, out: EngineOutput) -> None:
        self.hub.publish(out)

    def _routes(self, app: web.Application) -> None:
        get, post, delete, put = (app.router.add_get, app.router.add_post,
                                  app.router.add_delete, app.router.add_put)
        get("/api/v3/ping", self._ping)
        get("/api/v3/time", self._time)
        get("/api/v3/exchangeInfo", self._exchange_info)
        get("/api/v3/depth", self._depth)
        get("/api/v3/trades", self._trades)
        get("/api/v3/aggTrades", self._agg_trades)
        get("/api/v3/klines", self._klines)
        get("/api/v3/ticker/bookTicker", self._book_ticker)
        get("/api/v3/ticker/24hr", self._ticker_24hr)
        post("/api/v3/order", self._new_order)
        get("/api/v3/order", self._query_order)
        delete("/api/v3/order", self._cancel_order)
        get("/api/v3/openOrders", self._open_orders)
        get("/api/v3/allOrders", self._all_orders)
        get("/api/v3/account", self._account)
        get("/api/v3/myTrades", self._my_trades)
        post("/api/v3/userDataStream", self._listen_key_new)
        put("/api/v3/userDataStream", self._listen_key_keepalive)
        delete("/api/v3/userDataStream", self._listen_key_keepalive)
        self.capital.register(app)
        for path in ("/sapi/v1/margin/allPairs", "/sapi/v1/margin/isolated/allPairs"):
            get(path, self._empty_signed_list)
        get("/fapi/v1/exchangeInfo", self._no_symbols)
        get("/dapi/v1/exchangeInfo", self._no_symbols)
        post("/simex/faults", self._set_faults)
        get("/ws", self.hub.market_stream)
        get("/ws/{name}", self.hub.market_stream)
        get("/stream", self.hub.market_stream)
        get("/ws-api/v3", self.hub.ws_api)

    # ---- the request pipeline -------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(("/ws", "/stream", "/simex/")):
            return await handler(request)
        self.requests += 1
        try:
            self._admit(request)
            if self.faults.delay_ms:
                await request.read()  # the request has arrived; only its processing waits
                await asyncio.sleep(self.faults.delay_ms / 1000)
            response = await handler(request)
        except e.BinanceApiError as error:
            response = web.json_response(error.body(), status=error.http_status,
                                         headers=error.headers)
        response.headers[f"X-MBX-USED-WEIGHT-{self._interval_code()}"] = str(self._weight_used)
        return response

    def _admit(self, request: web.Request) -> None:
        """Faults and the weight limit, in the order a venue's gateway applies them."""
        now = self.now_ms()
        if now < self._banned_until_ms:
            raise e.banned(self._banned_until_ms, self._seconds_until(self._banned_until_ms))
        if now < self._retry_until_ms:  # did not honour Retry-After: ban
            self._banned_until_ms = now + self.config.ban_seconds * 1000
            self.bans += 1
            raise e.banned(self._banned_until_ms, self.config.ban_seconds)
        if self.faults.take("rate_limit"):
            self._retry_until_ms = now + self.faults.retry_after_s * 1000
            raise e.too_many_requests(self.config.weight_limit, self._interval_text(),
                                      self.faults.retry_after_s)
        if self.faults.take("http_5xx"):
            raise e.internal_error()
        window_ms = self.config.weight_window_s * 1000
        window = now // window_ms
        if window != self._weight_window:
            self._weight_window, self._weight_used = window, 0
        self._weight_used += self._weight(request)
        if self._weight_used > self.config.weight_limit:
            self.rate_limited += 1
            self._retry_until_ms = (window + 1) * window_ms
            raise e.too_many_requests(self.config.weight_limit, self._interval_text(),
                                      self._seconds_until(self._retry_until_ms))

    def _interval(self) -> tuple[int, str]:
        """The weight window as Binance spells intervals: (intervalNum, MINUTE|SECOND)."""
        seconds = self.config.weight_window_s
        return (seconds // 60, "MINUTE") if seconds % 60 == 0 else (seconds, "SECOND")

    def _interval_code(self) -> str:
        number, unit = self._interval()
        return f"{number}{unit[0]}"

    def _interval_text(self) -> str:
        number, unit = self._interval()
        return f"{number} {unit}"


    def _seconds_until(self, until_ms: int) -> int:
        return max(1, -(-(until_ms - self.now_ms()) // 1000))

    def _weight(self, request: web.Request) -> int:
        if request.path == "/api/v3/depth":
            limit = int(request.query.get("limit", "100") or 100)
            return next((w for top, w in _DEPTH_WEIGHTS if limit <= top), 250)
        return _WEIGHTS.get((request.method, request.path), 1)

    async def _params(self, request: web.Request) -> tuple[dict[str, str], str]:
        raw_query = request.query_string
        raw_body = await request.text() if request.body_exists else ""
        pairs = parse_qsl(raw_query, keep_blank_values=True) + parse_qsl(
            raw_body, keep_blank_values=True)
        return dict(pairs), raw_query + raw_body

    def _api_key_account(self, request: web.Request) -> Account:
        key = request.headers.get("X-MBX-APIKEY", "")
        if not key or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", key):
            raise e.bad_api_key_format()
        account = self.engine.accounts.get(key)
        if account is None:
            raise e.rejected_key()
        return account

    async def _signed(self, request: web.Request) -> tuple[Account, dict[str, str]]:
        """Check key, signature and timing as Binance does; the account and the parameters."""
        account = self._api_key_account(request)
        params, total = await self._params(request)
        signature = params.pop("signature", None)
        if not signature:
            raise e.mandatory("signature")
        marker = "signature=" + signature
        if not total.endswith(marker):  # the signature must be the last parameter
            raise e.bad_signature()
        payload = total[: -len(marker)].removesuffix("&")
        expected = hmac.new(account.secret, payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise e.bad_signature()
        self.check_timing(params)
        return account, params

    def check_timing(self, params: dict[str, str]) -> None:
        stamp = params.get("timestamp", "")
        if not stamp.isdigit():
            raise e.mandatory("timestamp")
        window_raw = params.get("recvWindow", "5000")
        try:
            recv_window = Decimal(window_raw)
        except InvalidOperation:
            raise e.mandatory("recvWindow") from None
        if recv_window > _MAX_RECV_WINDOW_MS:
            raise e.bad_recv_window()
        now = self.now_ms()
        if int(stamp) > now + _AHEAD_TOLERANCE_MS:
            raise e.ahead_of_server()
        if now - int(stamp) > recv_window:
            raise e.outside_recv_window()

    # ---- public endpoints -----------------------------------------------------------------

    async def _ping(self, request: web.Request) -> web.Response:
        return web.json_response({})

    async def _time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": self.now_ms()})

    async def _exchange_info(self, request: web.Request) -> web.Response:
        number, unit = self._interval()
        return web.json_response({
            "timezone": "UTC", "serverTime": self.now_ms(),
            "rateLimits": [
                {"rateLimitType": "REQUEST_WEIGHT", "interval": unit, "intervalNum": number,
                 "limit": self.config.weight_limit},
                {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                 "limit": 100}],
            "exchangeFilters": [],
            "symbols": [wire.symbol_json(s) for s in self.config.symbols],
        })

    def _book(self, params: dict[str, str]) -> Any:
        symbol = params.get("symbol")
        if not symbol:
            raise e.mandatory("symbol")
        book = self.engine.books.get(symbol)
        if book is None:
            raise e.bad_symbol()
        return book

    async def _depth(self, request: web.Request) -> web.Response:
        book = self._book(dict(request.query))
        limit = min(int(request.query.get("limit", "100") or 100), 5000)
        bids, asks = book.snapshot(limit)
        return web.json_response({
            "lastUpdateId": book.last_update_id,
            "bids": [[wire.d8(p), wire.d8(q)] for p, q in bids],
            "asks": [[wire.d8(p), wire.d8(q)] for p, q in asks]})

    async def _trades(self, request: web.Request) -> web.Response:
        book = self._book(dict(request.query))
        limit = min(int(request.query.get("limit", "500") or 500), 1000)
        trades = list(self.engine.public_trades[book.symbol])[-limit:]
        return web.json_response([wire.public_trade_json(t) for t in trades])

    async def _agg_trades(self, request: web.Request) -> web.Response:
        book = self._book(dict(request.query))
        return web.json_response(marketdata.agg_trades_json(
            self.engine.public_trades[book.symbol], dict(request.query)))

    async def _klines(self, request: web.Request) -> web.Response:
        book = self._book(dict(request.query))
        return web.json_response(marketdata.klines_json(
            self.engine.public_trades[book.symbol], dict(request.query), self.now_ms()))

    async def _book_ticker(self, request: web.Request) -> web.Response:
        def ticker(book: Any) -> dict[str, str]:
            bids, asks = book.snapshot(1)
            bid = bids[0] if bids else (Decimal(0), Decimal(0))
            ask = asks[0] if asks else (Decimal(0), Decimal(0))
            return {"symbol": book.symbol, "bidPrice": wire.d8(bid[0]),
                    "bidQty": wire.d8(bid[1]), "askPrice": wire.d8(ask[0]),
                    "askQty": wire.d8(ask[1])}
        if "symbol" in request.query:
            return web.json_response(ticker(self._book(dict(request.query))))
        return web.json_response([ticker(b) for b in self.engine.books.values()])

    async def _ticker_24hr(self, request: web.Request) -> web.Response:
        """24 h statistics over the trades simex keeps (the last 1000 per symbol)."""
        now = self.now_ms()

        def stats(book: Any) -> dict[str, Any]:
            trades = [t for t in self.engine.public_trades[book.symbol]
                      if t.time_ms >= now - 86_400_000]
            bids, asks = book.snapshot(1)
            bid = bids[0] if bids else (Decimal(0), Decimal(0))
            ask = asks[0] if asks else (Decimal(0), Decimal(0))
            prices = [t.price for t in trades]
            volume = sum((t.qty for t in trades), Decimal(0))
            quote_volume = sum((t.qty * t.price for t in trades), Decimal(0))
            first, last = (trades[0], trades[-1]) if trades else (None, None)
            open_price = first.price if first else Decimal(0)
            last_price = last.price if last else Decimal(0)
            change = last_price - open_price
            return {
                "symbol": book.symbol, "priceChange": wire.d8(change),
                "priceChangePercent": f"{(change / open_price * 100) if open_price else 0:.3f}",
                "weightedAvgPrice": wire.d8(quote_volume / volume if volume else Decimal(0)),
                "prevClosePrice": wire.d8(open_price), "lastPrice": wire.d8(last_price),
                "lastQty": wire.d8(last.qty if last else None), "bidPrice": wire.d8(bid[0]),
                "bidQty": wire.d8(bid[1]), "askPrice": wire.d8(ask[0]),
                "askQty": wire.d8(ask[1]), "openPrice": wire.d8(open_price),
                "highPrice": wire.d8(max(prices, default=Decimal(0))),
                "lowPrice": wire.d8(min(prices, default=Decimal(0))),
                "volume": wire.d8(volume), "quoteVolume": wire.d8(quote_volume),
                "openTime": now - 86_400_000, "closeTime": now,
                "firstId": first.trade_id if first else -1,
                "lastId": last.trade_id if last else -1, "count": len(trades),
            }
        if "symbol" in request.query:
            return web.json_response(stats(self._book(dict(request.query))))
        return web.json_response([stats(b) for b in self.engine.books.values()])

    # ---- signed endpoints -----------------------------------------------------------------

    async def _new_order(self, request: web.Request) -> web.Response:
        account, params = await self._signed(request)
        order = self._parse_order(account, params)
        self.orders_received += 1
        view, out = self.engine.new_order(order)
        self.publish(out)
        if self.faults.take("never_answer_orders"):
            await self._closing.wait()  # executed, but the answer is lost
        resp_type = params.get("newOrderRespType") or (
            "FULL" if order.kind in (OrderKind.MARKET, OrderKind.LIMIT) else "ACK")
        return web.json_response(wire.new_order_json(view, out.fills, resp_type))

    def _parse_order(self, account: Account, params: dict[str, str]) -> NewOrder:
        book = self._book(params)
        side_raw = params.get("side") or ""
        if not side_raw:
            raise e.mandatory("side")
        if side_raw not in ("BUY", "SELL"):
            raise e.invalid_side()
        kind = wire.kind_of(params.get("type") or "")
        if kind is None:
            raise e.invalid_order_type()
        tif = self._tif(kind, params.get("timeInForce"))
        qty, quote_qty = self._amount(params, "quantity"), self._amount(params, "quoteOrderQty")
        price = self._amount(params, "price")
        if kind is OrderKind.MARKET:
            if (qty is None) == (quote_qty is None):
                raise e.BinanceApiError(400, -1102, "Param 'quantity' or 'quoteOrderQty' must "
                                                    "be sent, but both were empty/null!")
            if price is not None:
                raise e.not_required("price")
        else:
            if quote_qty is not None:
                raise e.not_required("quoteOrderQty")
            if qty is None:
                raise e.mandatory("quantity")
            if price is None:
                raise e.mandatory("price")
        client_id = params.get("newClientOrderId") or f"simex{secrets.token_hex(8)}"
        if not _CLIENT_ID.fullmatch(client_id):
            raise e.illegal_chars("newClientOrderId", "^[a-zA-Z0-9-_]{1,36}$")
        stp_raw = params.get("selfTradePreventionMode") or "EXPIRE_MAKER"
        try:
            stp = Stp(stp_raw)
        except ValueError:
            raise e.BinanceApiError(400, -1130, "Invalid data sent for a parameter.") from None
        return NewOrder(account.api_key, book.symbol, OrderSide(side_raw), kind, tif, qty,
                        quote_qty, price, client_id, stp)

    def _tif(self, kind: OrderKind, raw: str | None) -> Tif | None:
        if kind is OrderKind.LIMIT:
            if not raw:
                raise e.mandatory("timeInForce")
            try:
                return Tif(raw)
            except ValueError:
                raise e.invalid_tif() from None
        if raw:
            raise e.not_required("timeInForce")
        return None

    def _amount(self, params: dict[str, str], name: str) -> Decimal | None:
        raw = params.get(name)
        if raw is None or raw == "":
            return None
        if not _DECIMAL.fullmatch(raw):
            raise e.illegal_chars(name, "^([0-9]{1,20})(\\.[0-9]{1,20})?$")
        value = Decimal(raw)
        if value <= 0:
            raise e.BinanceApiError(400, -1013, "Invalid quantity." if name != "price"
                                    else "Invalid price.")
        return value

    def _order_ref(self, params: dict[str, str], client_key: str) -> tuple[int | None,
                                                                           str | None]:
        order_id_raw, client_id = params.get("orderId"), params.get(client_key)
        if not order_id_raw and not client_id:
            raise e.BinanceApiError(400, -1102, f"Param 'orderId' or '{client_key}' must be "
                                                "sent, but both were empty/null!")
        order_id = int(order_id_raw) if order_id_raw and order_id_raw.isdigit() else None
        return order_id, client_id

    async def _query_order(self, request: web.Request) -> web.Response:
        account, params = await self._signed(request)
        book = self._book(params)
        order_id, client_id = self._order_ref(params, "origClientOrderId")
        order = self.engine.find(account.api_key, book.symbol, order_id, client_id)
        if order is None:
            raise e.no_such_order()
        return web.json_response(wire.order_json(SimOrderView.of(order)))

    async def _cancel_order(self, request: web.Request) -> web.Response:
        account, params = await self._signed(request)
        book = self._book(params)
        order_id, client_id = self._order_ref(params, "origClientOrderId")
        view, out = self.engine.cancel_order(account.api_key, book.symbol, order_id, client_id)
        self.publish(out)
        cancel_id = params.get("newClientOrderId") or f"simexc{secrets.token_hex(8)}"
        return web.json_response(wire.cancel_json(view, cancel_id, self.now_ms()))

    async def _open_orders(self, request: web.Request) -> web.Response:
        account, params = await self._signed(request)
        symbol = self._book(params).symbol if "symbol" in params else None
        orders = self.engine.open_orders(account.api_key, symbol)
        return web.json_response([wire.order_json(SimOrderView.of(o)) for o in orders])

    async def _all_orders(self, request: web.Request) -> web.Response:
        """Binance's allOrders: orders from `orderId` on, or inside startTime..endTime, oldest
        first; with neither, the most recent `limit` (default 500, max 1000)."""
        account, params = await self._signed(request)
        book = self._book(params)
        from_id = int(params.get("orderId") or 0)
        orders = [o for o in self.engine.orders.values()
                  if o.account.api_key == account.api_key and o.symbol == book.symbol
                  and o.order_id >= from_id and _in_window(o.time_ms, params)]
        limit = min(int(params.get("limit") or 500), 1000)
        recent = not (params.get("orderId") or params.get("startTime"))
        chosen = orders[-limit:] if recent else orders[:limit]
        return web.json_response([wire.order_json(SimOrderView.of(o)) for o in chosen])

    async def _account(self, request: web.Request) -> web.Response:
        account, _ = await self._signed(request)
        return web.json_response(wire.account_json(account))

    async def _my_trades(self, request: web.Request) -> web.Response:
        account, params = await self._signed(request)
        book = self._book(params)
        from_id = int(params.get("fromId") or 0)
        order_id = int(params["orderId"]) if params.get("orderId") else None
        limit = min(int(params.get("limit") or 500), 1000)
        trades = [t for t in self.engine.account_trades[account.api_key]
                  if t.symbol == book.symbol and t.trade_id >= from_id
                  and (order_id is None or t.order_id == order_id)
                  and _in_window(t.time_ms, params)]
        return web.json_response([wire.my_trade_json(t) for t in trades[:limit]])

    async def _listen_key_new(self, request: web.Request) -> web.Response:
        account = self._api_key_account(request)
        key = secrets.token_urlsafe(45)[:60]
        self.listen_keys[key] = account.api_key
        return web.json_response({"listenKey": key})

    async def _listen_key_keepalive(self, request: web.Request) -> web.Response:
        self._api_key_account(request)
        params, _ = await self._params(request)
        if params.get("listenKey") not in self.listen_keys:
            raise e.invalid_listen_key()
        self.listen_key_keepalives += 1
        return web.json_response({})

    async def _empty_signed_list(self, request: web.Request) -> web.Response:
        await self._signed(request)
        return web.json_response([])

    async def _no_symbols(self, request: web.Request) -> web.Response:
        return web.json_response({"timezone": "UTC", "serverTime": self.now_ms(),
                                  "rateLimits": [], "symbols": []})

    async def _set_faults(self, request: web.Request) -> web.Response:
        changes = await request.json()
        try:
            if changes.pop("drop_ws", False):
                await self.hub.close_all()
            self.faults.update(changes)
        except (KeyError, TypeError, ValueError) as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response({"ok": True})
