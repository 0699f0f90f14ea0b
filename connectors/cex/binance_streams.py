"""Binance's stream protocol for the Binance dialect: diff-depth books and the user stream.

Books follow "How to manage a local order book correctly" (snapshot + buffered diffs, see
`localbook`); a stream quiet for `book_audit_idle_s` has its books' update ids checked against
a small depth snapshot, since a gap in the last event before a pause is otherwise invisible.
The user stream is the listen-key stream; myTrades is polled after each (re)connect so a fill
missed while disconnected is still delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Coroutine
from decimal import Decimal
from typing import Any

import aiohttp
import ccxt.async_support as ccxt_async

from connectors.cex.link import CexLink
from connectors.cex.localbook import BookGap, DepthDiff
from connectors.errors import RetryableVenueError, VenueError
from connectors.orders import VenueFill

FillOfEvent = Callable[[dict[str, Any]], VenueFill | None]


class BinanceStreams:
    def __init__(self, link: CexLink, fill_of: FillOfEvent,
                 poll_fills: Callable[[], Awaitable[None]]) -> None:
        self.link, self.config, self.exchange = link, link.config, link.exchange
        self.fill_of, self.poll_fills = fill_of, poll_fills
        self.session = aiohttp.ClientSession()

    def loops(self) -> list[Coroutine[Any, Any, None]]:
        return [self._run_books(), self._run_user_stream()]

    async def close(self) -> None:
        await self.session.close()

    def _stream_base(self) -> str:
        if self.config.stream_url:
            return self.config.stream_url
        ws = self.exchange.urls["api"].get("ws", {})
        return str(ws.get("spot") if isinstance(ws, dict) else ws)

    async def _run_books(self) -> None:
        """Keep every book in sync: subscribe, snapshot, apply; reconnect and resync."""
        backoff = self.link.backoff()
        while True:
            try:
                async with self.session.ws_connect(self._stream_base(), heartbeat=20) as ws:
                    streams = [self.exchange.market(s)["id"].lower() + "@depth@100ms"
                               for s in self.link.markets]
                    for book in self.link.books.values():
                        book.desync()
                    await ws.send_json({"method": "SUBSCRIBE", "params": streams, "id": 1})
                    pending = {s: asyncio.create_task(self._snapshot(s))
                               for s in self.link.books}
                    backoff.reset()
                    await self._read_depth(ws, pending)
                    for task in pending.values():
                        task.cancel()
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            for book in self.link.books.values():
                book.desync()
            self.link.reconnects += 1
            await asyncio.sleep(backoff.next_delay())

    async def _read_depth(self, ws: aiohttp.ClientWebSocketResponse,
                          pending: dict[str, asyncio.Task[None]]) -> None:
        while True:
            try:
                message = await ws.receive(timeout=self.config.book_audit_idle_s)
            except TimeoutError:
                self._audit_books(pending)
                continue
            if message.type is not aiohttp.WSMsgType.TEXT:
                return
            event = json.loads(message.data)
            if event.get("e") == "depthUpdate" and event["s"] in self.link.ids:
                self._on_depth(self.link.ids[event["s"]], event, pending)

    def _on_depth(self, symbol: str, event: dict[str, Any],
                  pending: dict[str, asyncio.Task[None]]) -> None:
        book = self.link.books[symbol]
        try:
            book.on_diff(DepthDiff.from_binance(event))
        except BookGap:
            self.link.resyncs += 1
            book.on_diff(DepthDiff.from_binance(event))  # buffered for the next snapshot
            if pending.get(symbol) is None or pending[symbol].done():
                pending[symbol] = asyncio.create_task(self._snapshot(symbol))

    def _audit_books(self, pending: dict[str, asyncio.Task[None]]) -> None:
        for symbol in self.link.books:
            if pending.get(symbol) is None or pending[symbol].done():
                pending[symbol] = asyncio.create_task(self._audit(symbol))

    async def _audit(self, symbol: str) -> None:
        book = self.link.books[symbol]
        if not book.synced:
            return
        seen = book.last_update_id
        try:
            raw = await self.link.call(5, self.exchange.publicGetDepth,
                                       {"symbol": self.exchange.market(symbol)["id"],
                                        "limit": 5})
        except (VenueError, ccxt_async.BaseError):
            return  # the next quiet period audits again
        if book.last_update_id == seen and int(raw["lastUpdateId"]) > (seen or 0):
            book.gaps += 1
            self.link.resyncs += 1
            book.desync()
            await self._snapshot(symbol)

    async def _snapshot(self, symbol: str) -> None:
        """Fetch snapshots until one joins the buffered diffs."""
        backoff = self.link.backoff()
        book = self.link.books[symbol]
        while not book.synced:
            try:
                market_id = self.exchange.market(symbol)["id"]
                raw = await self.link.call(50, self.exchange.publicGetDepth,
                                           {"symbol": market_id, "limit": 1000})
                book.on_snapshot(int(raw["lastUpdateId"]),
                                 [(Decimal(p), Decimal(q)) for p, q in raw["bids"]],
                                 [(Decimal(p), Decimal(q)) for p, q in raw["asks"]])
            except (BookGap, RetryableVenueError, ccxt_async.OperationFailed):
                await asyncio.sleep(backoff.next_delay())
        self.link.book_ready[symbol].set()

    async def _keep_listen_key(self, key: str) -> None:
        """Binance expires a listen key 60 minutes after its last keepalive."""
        while True:
            await asyncio.sleep(self.config.listen_key_keepalive_s)
            with contextlib.suppress(VenueError, ccxt_async.BaseError):
                await self.link.call(2, self.exchange.publicPutUserDataStream,
                                     {"listenKey": key})

    async def _run_user_stream(self) -> None:
        """Listen-key user stream; after each (re)connect, poll myTrades for missed fills."""
        backoff = self.link.backoff()
        while True:
            try:
                key = (await self.link.call(2, self.exchange.publicPostUserDataStream)
                       )["listenKey"]
                async with self.session.ws_connect(f"{self._stream_base()}/{key}",
                                                   heartbeat=20) as ws:
                    await self.poll_fills()
                    self.link.user_ready.set()
                    backoff.reset()
                    keepalive = asyncio.create_task(self._keep_listen_key(key))
                    try:
                        async for message in ws:
                            if message.type is not aiohttp.WSMsgType.TEXT:
                                break
                            fill = self.fill_of(json.loads(message.data))
                            if fill is not None:
                                self.link.deliver(fill)
                    finally:
                        keepalive.cancel()
            except (TimeoutError, aiohttp.ClientError, OSError, ccxt_async.OperationFailed,
                    RetryableVenueError):
                pass
            self.link.reconnects += 1
            await asyncio.sleep(backoff.next_delay())
