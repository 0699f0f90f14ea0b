"""The Binance dialect: Binance's own spot API (simex speaks it too) through ccxt's implicit
methods, for what the unified API hides.

- limits from exchangeInfo's REQUEST_WEIGHT and the venue's X-MBX-USED-WEIGHT count; fees
  from the account's commissionRates; lot/tick/notional from the symbol filters;
- books from a depth snapshot plus the diff-depth stream (U/u ids), with gap detection, an
  audit of update ids when the stream is quiet, and resync;
- fills from the listen-key user stream (executionReport), with myTrades polled by fromId
  after every reconnect and on a timer, page after page from the resumed cursor (the last
  trade read before a restart), never the whole history again;
- the public tape (for volume profiles) from klines when an interval fits the caller's
  buckets, else aggTrades, by startTime then fromId;
- orders by newClientOrderId / origClientOrderId, reports from Binance's raw order fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from connectors.cex.binance_streams import BinanceStreams
from connectors.cex.errors import (
    NO_SUCH_ORDER,
    STATUS_OF,
    VenueRejected,
    VenueUnavailable,
    venue_error,
)
from connectors.cex.link import CexLink, FillCursor
from connectors.cex.localbook import LocalOrderBook
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


class BinanceDialect:
    placement_weight = 1

    def __init__(self, link: CexLink) -> None:
        self.link, self.config, self.exchange = link, link.config, link.exchange
        self.name = link.config.name
        link.venue_counts_weight = True
        self._poll_from: dict[str, int] = {}  # myTrades fromId: one past the last trade read
        self._streams: BinanceStreams | None = None

    # ---- markets and limits -------------------------------------------------------------

    async def prepare(self) -> None:
        await self._learn_weight_limit()
        raw = await self.link.call(20, self.exchange.load_markets)
        account = await self.link.call(20, self.exchange.privateGetAccount)
        fee = Decimal(account["commissionRates"]["taker"])
        for symbol, market in raw.items():
            if market.get("spot") and self.link.wanted(symbol):
                self.link.add_market(self._market(symbol, market, fee), market["id"])

    def _market(self, symbol: str, market: dict[str, Any], fee: Decimal) -> Market:
        filters = {f["filterType"]: f for f in market["info"].get("filters", [])}
        price_filter, lot = filters.get("PRICE_FILTER", {}), filters.get("LOT_SIZE", {})
        notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
        return Market(
            venue=self.name, kind=VenueKind.CEX, symbol=symbol, base=market["base"],
            quote=market["quote"], lot_size=Decimal(lot.get("stepSize", "0")),
            tick_size=Decimal(price_filter.get("tickSize", "0")),
            min_qty=Decimal(lot.get("minQty", "0")),
            min_notional=Decimal(notional.get("minNotional", "0")), taker_fee=fee)

    async def _learn_weight_limit(self) -> None:
        """Take the REQUEST_WEIGHT limit and its window from the venue's exchangeInfo."""
        info = await self.link.call(20, self.exchange.publicGetExchangeInfo)
        seconds = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}
        for rule in info.get("rateLimits", []):
            if rule.get("rateLimitType") == "REQUEST_WEIGHT":
                self.link.budget.limit = int(rule["limit"])
                self.link.budget.window_s = float(
                    seconds[rule["interval"]] * int(rule["intervalNum"]))
                return

    def background(self) -> list[Coroutine[Any, Any, None]]:
        self._streams = BinanceStreams(self.link, self._fill_from_report, self.poll_fills)
        return [*self._streams.loops(), self._poll_forever()]

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.fill_poll_s)
            with contextlib.suppress(Exception):
                await self.poll_fills()

    async def close(self) -> None:
        if self._streams is not None:
            await self._streams.close()

    def stamp(self, book: LocalOrderBook) -> StateStamp:
        # the diff stream keeps a synced book current: it is the venue's state now
        return StateStamp(time.time_ns(), sequence=book.last_update_id)

    # ---- orders -------------------------------------------------------------------------

    async def create(self, request: OrderRequest) -> VenueOrderReport:
        kind = {OrderKind.MARKET: "market", OrderKind.LIMIT: "limit",
                OrderKind.LIMIT_MAKER: "LIMIT_MAKER"}[request.kind]
        params: dict[str, Any] = {"newClientOrderId": request.client_order_id}
        if request.kind is OrderKind.LIMIT:
            params["timeInForce"] = request.time_in_force.value.upper()
        price = str(request.limit_price) if request.limit_price is not None else None
        result = await self.exchange.create_order(
            request.symbol, kind, request.side.value, str(request.qty), price, params)
        self.link.observe()
        return self._report(request.symbol, result["info"])

    def rejection(self, error: Exception) -> str:
        code, message = venue_error(error)
        return f"{code}: {message}"

    async def query(self, client_order_id: str, symbol: str) -> VenueOrderReport | None:
        try:
            raw = await self.link.call(4, self.exchange.fetch_order, None, symbol,
                                       {"origClientOrderId": client_order_id})
        except ccxt_async.OperationFailed as error:
            raise VenueUnavailable(str(error)) from error
        except ccxt_async.ExchangeError as error:
            code, message = venue_error(error)
            if code == NO_SUCH_ORDER:
                return None
            raise VenueRejected(code, message, str(error)) from error
        return self._report(symbol, raw["info"])

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport:
        try:
            raw = await self.link.call(1, self.exchange.cancel_order, None, symbol,
                                       {"origClientOrderId": client_order_id})
        except ccxt_async.OperationFailed as error:
            raise VenueUnavailable(str(error)) from error
        except ccxt_async.ExchangeError as error:
            code, message = venue_error(error)
            raise VenueRejected(code, message, str(error)) from error
        info = dict(raw["info"])
        info["clientOrderId"] = info.get("origClientOrderId", client_order_id)
        return self._report(symbol, info)

    def _report(self, symbol: str, info: dict[str, Any]) -> VenueOrderReport:
        return VenueOrderReport(
            self.name, info["clientOrderId"], symbol, Side(info["side"].lower()),
            STATUS_OF.get(info.get("status", ""), VenueOrderStatus.UNKNOWN),
            venue_order_id=str(info["orderId"]), qty=Decimal(info.get("origQty", "0")),
            filled_qty=Decimal(info.get("executedQty", "0")),
            filled_quote=Decimal(info.get("cummulativeQuoteQty", "0")), ts_ns=time.time_ns())

    async def balances(self) -> dict[str, VenueBalance]:
        account = await self.link.call(20, self.exchange.privateGetAccount)
        return {b["asset"]: VenueBalance(b["asset"], Decimal(b["free"]), Decimal(b["locked"]))
                for b in account["balances"]}

    # ---- fills --------------------------------------------------------------------------

    def _fill_from_report(self, event: dict[str, Any]) -> VenueFill | None:
        if event.get("x") != "TRADE" or event.get("s") not in self.link.ids:
            return None
        return VenueFill(
            self.name, event["c"], str(event["i"]), str(event["t"]),
            self.link.ids[event["s"]], Side(event["S"].lower()), Decimal(event["l"]),
            Decimal(event["L"]), Decimal(event["n"]), event["N"] or "",
            Liquidity.MAKER if event["m"] else Liquidity.TAKER, int(event["T"]) * 1_000_000)

    def _from_id(self, symbol: str) -> int:
        """myTrades fromId: one past the last trade read (this run, or the resumed cursor)."""
        if symbol not in self._poll_from:
            cursor = self.link.cursors.get(symbol)
            self._poll_from[symbol] = int(cursor.trade_id) + 1 if cursor is not None else 0
        return self._poll_from[symbol]

    async def poll_fills(self) -> None:
        """Read every market's myTrades from the cursor on, page after page, to the end."""
        page = 1000
        for symbol in self.link.markets:
            while True:
                trades = await self.link.call(20, self.exchange.fetch_my_trades, symbol, None,
                                              page, {"fromId": self._from_id(symbol)})
                self.link.history_requests += 1
                self.link.history_trades_read += len(trades)
                await self._take_trades(symbol, trades)
                if len(trades) < page:
                    break

    async def _take_trades(self, symbol: str, trades: list[dict[str, Any]]) -> None:
        orders: dict[str, str] = {}
        last: FillCursor | None = None
        try:
            for trade in trades:
                info = trade["info"]
                if (symbol, str(info["id"])) not in self.link.seen_trades:
                    order_id = str(info["orderId"])
                    if order_id not in orders:
                        orders[order_id] = await self._client_id_of(symbol, order_id)
                    self.link.deliver(self._fill_of_trade(symbol, orders[order_id], info))
                if int(info["id"]) + 1 > self._from_id(symbol):
                    self._poll_from[symbol] = int(info["id"]) + 1
                    last = FillCursor(str(info["id"]), int(info["time"]))
        finally:
            if last is not None:  # read through here, even if a later trade failed
                self.link.read_through(symbol, last)

    def _fill_of_trade(self, symbol: str, client_order_id: str,
                       info: dict[str, Any]) -> VenueFill:
        return VenueFill(
            self.name, client_order_id, str(info["orderId"]), str(info["id"]), symbol,
            Side.BUY if info["isBuyer"] else Side.SELL, Decimal(info["qty"]),
            Decimal(info["price"]), Decimal(info["commission"]), info["commissionAsset"],
            Liquidity.MAKER if info["isMaker"] else Liquidity.TAKER,
            int(info["time"]) * 1_000_000)

    # ---- the public tape ------------------------------------------------------------------

    async def recent_trades(self, symbol: str, since_ms: int,
                            bar_ns: int | None = None) -> list[TradePrint]:
        """klines when an interval fits `bar_ns`, else aggTrades."""
        interval = bar_interval(since_ms * 1_000_000, bar_ns)
        if interval is not None:
            return await self._klines(symbol, since_ms, interval[0])
        return await self._agg_trades(symbol, since_ms)

    async def _klines(self, symbol: str, since_ms: int, interval: str) -> list[TradePrint]:
        """klines from `since_ms` on, paged by startTime (one past the last open) until a
        short page; each bar with volume is one print at its open time."""
        market_id, page = self.exchange.market(symbol)["id"], 1000
        prints: list[TradePrint] = []
        start = since_ms
        while True:
            rows = await self.link.call(2, self.exchange.publicGetKlines, {
                "symbol": market_id, "interval": interval, "startTime": start, "limit": page})
            prints += [(int(row[0]) * 1_000_000, Decimal(row[5])) for row in rows
                       if Decimal(row[5]) > 0]
            if len(rows) < page:
                return prints
            start = int(rows[-1][0]) + 1

    async def _agg_trades(self, symbol: str, since_ms: int) -> list[TradePrint]:
        """aggTrades from `since_ms` on: the first page by startTime, the next ones by fromId
        (one past the last aggregate), until a short page."""
        market_id = self.exchange.market(symbol)["id"]
        page = 1000
        params: dict[str, Any] = {"symbol": market_id, "startTime": since_ms, "limit": page}
        prints: list[TradePrint] = []
        while True:
            rows = await self.link.call(4, self.exchange.publicGetAggTrades, params)
            prints += [(int(row["T"]) * 1_000_000, Decimal(row["q"])) for row in rows]
            if len(rows) < page:
                return prints
            params = {"symbol": market_id, "fromId": int(rows[-1]["a"]) + 1, "limit": page}

    async def _client_id_of(self, symbol: str, order_id: str) -> str:
        raw = await self.link.call(4, self.exchange.fetch_order, order_id, symbol)
        return str(raw["info"]["clientOrderId"])
