"""simex's WebSocket side: market streams, listen-key user streams and the WebSocket API.

- `/ws`, `/ws/<anything>` and `/stream`: market streams by `SUBSCRIBE`/`UNSUBSCRIBE` messages
  (`<symbol>@depth`, `<symbol>@depth@100ms`, `<symbol>@trade`) or `?streams=a/b` on /stream
  (combined: each event wrapped as {"stream", "data"}). `/ws/<listenKey>` is the user data
  stream of the account that created the key (POST /api/v3/userDataStream).
- `/ws-api/v3`: the WebSocket API's `userDataStream.subscribe.signature` (what ccxt.pro uses for
  spot `watch_orders`/`watch_my_trades`/`watch_balance`), events wrapped as
  {"subscriptionId", "event"}.

Every session has a queue and one writer task, so events leave in engine order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from connectors.simex import errors as e
from connectors.simex import wire
from connectors.simex.matching import EngineOutput

if TYPE_CHECKING:
    from connectors.simex.server import SimexServer


@dataclass(eq=False)
class Session:
    ws: web.WebSocketResponse
    combined: bool = False
    streams: set[str] = field(default_factory=set)
    user_key: str | None = None  # api key of a listen-key stream
    api_subscriptions: dict[int, str] = field(default_factory=dict)  # ws-api id -> api key
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)


class StreamHub:
    """All stream sessions of one server, and the fan-out of engine events to them."""

    def __init__(self, server: SimexServer) -> None:
        self.server = server
        self.sessions: set[Session] = set()
        self.skipped_events = 0
        self.dropped_sessions = 0

    # ---- handlers -------------------------------------------------------------------------

    async def market_stream(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20)
        name = request.match_info.get("name", "")
        user_key = self.server.listen_keys.get(name) if name else None
        await ws.prepare(request)
        session = Session(ws, combined=request.path == "/stream", user_key=user_key)
        for stream in request.query.get("streams", "").split("/"):
            if stream:
                session.streams.add(stream.lower())
        await self._serve(session, self._market_message)
        return ws

    async def ws_api(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20)
        await ws.prepare(request)
        await self._serve(Session(ws), self._api_message)
        return ws

    async def _serve(self, session: Session, on_message: Any) -> None:
        self.sessions.add(session)
        writer = asyncio.create_task(self._writer(session))
        try:
            async for message in session.ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                try:
                    request = json.loads(message.data)
                except ValueError:
                    continue
                reply = on_message(session, request)
                if reply is not None:
                    session.queue.put_nowait(json.dumps(reply))
        finally:
            self.sessions.discard(session)
            session.queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _writer(self, session: Session) -> None:
        while (text := await session.queue.get()) is not None:
            if session.ws.closed:
                return
            try:
                await session.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return
            if self.server.faults.chance(self.server.faults.drop_ws_prob):
                self.dropped_sessions += 1
                await session.ws.close()
                return

    def _market_message(self, session: Session, request: dict[str, Any]) -> dict[str, Any]:
        method, params, request_id = (request.get("method"), request.get("params") or [],
                                      request.get("id"))
        if method == "SUBSCRIBE":
            session.streams.update(str(p).lower() for p in params)
            return {"result": None, "id": request_id}
        if method == "UNSUBSCRIBE":
            session.streams.difference_update(str(p).lower() for p in params)
            return {"result": None, "id": request_id}
        if method == "LIST_SUBSCRIPTIONS":
            return {"result": sorted(session.streams), "id": request_id}
        return {"error": {"code": 2, "msg": f"Invalid request: unknown method {method}"},
                "id": request_id}

    def _api_message(self, session: Session, request: dict[str, Any]) -> dict[str, Any]:
        method, request_id = request.get("method"), request.get("id")
        params = dict(request.get("params") or {})
        try:
            if method == "userDataStream.subscribe.signature":
                api_key = self._verify_ws_signature(params)
                subscription_id = len(session.api_subscriptions)
                session.api_subscriptions[subscription_id] = api_key
                return {"id": request_id, "status": 200,
                        "result": {"subscriptionId": subscription_id}}
            if method == "ping":
                return {"id": request_id, "status": 200, "result": {}}
            if method == "time":
                return {"id": request_id, "status": 200,
                        "result": {"serverTime": self.server.now_ms()}}
            raise e.BinanceApiError(400, -1100, f"Unknown method '{method}'.")
        except e.BinanceApiError as error:
            return {"id": request_id, "status": error.http_status, "error": error.body()}

    def _verify_ws_signature(self, params: dict[str, Any]) -> str:
        """WebSocket API signing: HMAC-SHA256 over the parameters sorted by name."""
        signature = str(params.pop("signature", ""))
        api_key = str(params.get("apiKey", ""))
        account = self.server.engine.accounts.get(api_key)
        if account is None:
            raise e.rejected_key()
        payload = "&".join(f"{k}={self._ws_value(v)}" for k, v in sorted(params.items()))
        expected = hmac.new(account.secret, payload.encode(), hashlib.sha256).hexdigest()
        if not signature or not hmac.compare_digest(expected, signature.lower()):
            raise e.bad_signature()
        self.server.check_timing({k: str(v) for k, v in params.items()})
        return api_key

    @staticmethod
    def _ws_value(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    # ---- fan-out --------------------------------------------------------------------------

    def publish(self, out: EngineOutput) -> None:
        if not self.sessions:
            return
        now = self.server.now_ms()
        market: list[tuple[str, dict[str, Any]]] = []
        for symbol, (first, last, changes) in out.depth.items():
            if self.server.faults.chance(self.server.faults.skip_update_prob):
                self.skipped_events += 1
                continue
            event = wire.depth_event(symbol, first, last, changes, now)
            market.append((f"{symbol.lower()}@depth", event))
        for trade in out.trades:
            market.append((f"{trade.symbol.lower()}@trade", wire.trade_event(trade, now)))
        user: dict[str, list[dict[str, Any]]] = {}
        for report in out.reports:
            user.setdefault(report.order.api_key, []).append(wire.execution_report(report))
        for api_key, account in out.accounts.items():
            user.setdefault(api_key, []).append(wire.account_position(account, now))
        for session in list(self.sessions):
            self._deliver(session, market, user)

    def _deliver(self, session: Session, market: list[tuple[str, dict[str, Any]]],
                 user: dict[str, list[dict[str, Any]]]) -> None:
        for stream, event in market:
            if stream in session.streams or f"{stream}@100ms" in session.streams:
                data = {"stream": stream, "data": event} if session.combined else event
                session.queue.put_nowait(json.dumps(data))
        if session.user_key is not None:
            for event in user.get(session.user_key, ()):
                session.queue.put_nowait(json.dumps(event))
        for subscription_id, api_key in session.api_subscriptions.items():
            for event in user.get(api_key, ()):
                session.queue.put_nowait(json.dumps({"subscriptionId": subscription_id,
                                                     "event": event}))

    async def close_all(self) -> None:
        """Close every stream connection (the `drop_ws` fault, and shutdown)."""
        for session in list(self.sessions):
            self.dropped_sessions += 1
            with contextlib.suppress(Exception):
                await session.ws.close()
