"""WebSocket sessions and subscription notifications, in Deribit's channel names.

Channels: `book.{instrument}.{interval}` (a snapshot on subscribe, then changes with
`prev_change_id` / `change_id`, each level as [action, price, amount]),
`ticker.{instrument}.{interval}`, `trades.{instrument}.{interval}`, and, on an authenticated
connection, `user.orders.{instrument|kind.currency}.{interval}`,
`user.trades.{instrument|kind.currency}.{interval}` and `user.portfolio.{currency}`. Intervals
(raw, 100ms, agg2) are accepted and every change is sent at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from connectors.simex.deribit import wire
from connectors.simex.deribit.instruments import Instrument
from connectors.simex.deribit.model import Changes, DerivAccount

if TYPE_CHECKING:
    from connectors.simex.deribit.server import DeribitServer

Message = dict[str, Any]


@dataclass(eq=False)
class Session:
    socket: web.WebSocketResponse
    account: DerivAccount | None = None
    channels: set[str] = field(default_factory=set)
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    pending: list[Message] = field(default_factory=list)  # sent after the current answer

    def send(self, message: Message) -> None:
        self.queue.put_nowait(json.dumps(message))

    async def run_writer(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None or self.socket.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.socket.send_str(text)

    async def close(self) -> None:
        self.queue.put_nowait(None)
        if not self.socket.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.socket.close()


def notification(channel: str, data: Any) -> Message:
    return {"jsonrpc": "2.0", "method": "subscription",
            "params": {"channel": channel, "data": data}}


def book_snapshot(server: DeribitServer, name: str) -> Message:
    book = server.engine.books[name]
    bids, asks = book.snapshot(10_000)
    return {"type": "snapshot", "timestamp": server.now_ms(), "instrument_name": name,
            "change_id": book.change_id,
            "bids": [["new", wire.num(p), wire.num(a)] for p, a in bids],
            "asks": [["new", wire.num(p), wire.num(a)] for p, a in asks]}


def _channels_for(session: Session, prefix: str) -> list[str]:
    return [c for c in session.channels if c.startswith(prefix)]


def user_channel_matches(channel: str, instrument: Instrument) -> bool:
    """`user.orders.X.raw` (X an instrument) or `user.orders.kind.currency.interval`."""
    parts = channel.split(".")[2:]
    if len(parts) == 2:
        return parts[0] == instrument.name
    if len(parts) == 3:
        kind, currency = parts[0], parts[1]
        return (kind in ("any", instrument.kind.value)) and (
            currency in ("any", instrument.currency))
    return False


def _level(side_amount: tuple[str, Decimal, Decimal]) -> list[Any]:
    _, price, amount = side_amount
    return ["delete" if amount == 0 else "change", wire.num(price), wire.num(amount)]


def notifications(server: DeribitServer, session: Session, changes: Changes) -> list[Message]:
    """What one session is sent for one engine change, by its subscriptions."""
    if not session.channels:
        return []
    out: list[Message] = []
    engine = server.engine
    for name, (previous, change_id, levels) in changes.books.items():
        data = {"type": "change", "timestamp": server.now_ms(), "instrument_name": name,
                "prev_change_id": previous, "change_id": change_id,
                "bids": [_level(x) for x in levels if x[0] == "buy"],
                "asks": [_level(x) for x in levels if x[0] == "sell"]}
        out += [notification(c, data) for c in _channels_for(session, f"book.{name}.")]
        tickers = _channels_for(session, f"ticker.{name}.")
        if tickers:
            ticker = wire.market_data(engine, engine.instruments[name])
            out += [notification(c, ticker) for c in tickers]
    for printed in changes.public:
        out += [notification(c, [wire.public_trade_json(printed)])
                for c in _channels_for(session, f"trades.{printed.instrument}.")]
    account = session.account
    if account is None:
        return out
    currencies: set[str] = set()
    for order in changes.orders:
        if order.account is account:
            currencies.add(order.instrument.currency)
            out += [notification(c, wire.order_json(order))
                    for c in _channels_for(session, "user.orders.")
                    if user_channel_matches(c, order.instrument)]
    for trade in changes.trades:
        if trade.api_key == account.api_key:
            out += [notification(c, [wire.user_trade_json(trade)])
                    for c in _channels_for(session, "user.trades.")
                    if user_channel_matches(c, trade.order.instrument)]
    currencies |= {engine.instruments[i].currency for key, i, _ in changes.funding
                   if key == account.api_key}
    for currency in sorted(currencies):
        wanted = f"user.portfolio.{currency.lower()}"
        for channel in [c for c in session.channels if c.lower() == wanted]:
            summary = engine.summary(account, currency)
            out.append(notification(channel, wire.summary_json(summary, 1)))
    return out
