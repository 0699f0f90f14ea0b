"""The local API server (aiohttp): order entry over REST, order events over WebSocket.

    POST   /v1/orders                  OrderPayload -> the order (201; 200 if already known)
    GET    /v1/orders[?parent_id=]     orders
    GET    /v1/orders/{id}             one order
    DELETE /v1/orders/{id}             cancel an order, or an algorithm by its parent id
    POST   /v1/algos/{name}            AlgoPayload -> progress (202)
    GET    /v1/algos/{parent_id}       progress
    POST   /v1/algos/{parent_id}/{pause|resume}
    GET    /v1/positions               per venue and total
    GET    /v1/risk/kill               engaged kill switches
    POST   /v1/risk/kill/{engage|release}  {"level", "name"?, "reason"?} -> switches (+ canceled)
    GET    /v1/events (WebSocket)      every order event, as {"event": ..., "order": ...}

Every request carries `X-API-Key`; keys are checked against stored hashes only. Payloads are
validated before anything is journaled: a refused request changes nothing. Errors are
`{"error": {"field", "rule"}}` with 400 (not JSON), 401, 404, 422 (a rule broken) or 503 (the
engine is not accepting orders yet).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from connectors.venue import Side as VenueSide
from engine.algos import AlgoProgress
from engine.api._engine import Engine
from engine.api._keys import ApiKeys
from engine.api._payloads import AlgoPayload, KillPayload, OrderPayload, parse
from engine.errors import InvalidValue
from engine.legs import LegGroupReport
from engine.model import Order, OrderEvent
from engine.oms import ChildSpec, NotAccepting, UnknownOrder

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_MAX_BODY = 64 * 1024


def _error(status: int, field: str, rule: str) -> web.Response:
    return web.json_response({"error": {"field": field, "rule": rule}}, status=status)


def _order_json(order: Order) -> dict[str, Any]:
    return order.model_dump(mode="json")


def _result_json(result: Order | AlgoProgress | LegGroupReport) -> dict[str, Any]:
    return _order_json(result) if isinstance(result, Order) else result.to_json()


class ApiServer:
    """Serves one Engine on 127.0.0.1 to holders of a valid API key."""

    def __init__(self, engine: Engine, keys: ApiKeys, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.engine = engine
        self.keys = keys
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self.app = web.Application(middlewares=[self._guard], client_max_size=_MAX_BODY)
        self.app.add_routes([
            web.post("/v1/orders", self._submit), web.get("/v1/orders", self._list),
            web.get("/v1/orders/{id}", self._status), web.delete("/v1/orders/{id}", self._cancel),
            web.post("/v1/algos/{name}", self._start_algo),
            web.get("/v1/algos/{id}", self._algo_status),
            web.post("/v1/algos/{id}/{action}", self._algo_action),
            web.get("/v1/positions", self._positions), web.get("/v1/events", self._events),
            web.get("/v1/risk/kill", self._kill_status),
            web.post("/v1/risk/kill/{action}", self._kill_action),
        ])

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- pipeline ---------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.keys.who(request.headers.get("X-API-Key")) is None:
            return _error(401, "X-API-Key", "a valid API key is required")
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except UnknownOrder as error:
            return _error(404, error.field, error.reason)
        except InvalidValue as error:
            return _error(422, error.field, error.reason)
        except NotAccepting as error:
            return _error(503, "engine", str(error))

    @staticmethod
    async def _body(request: web.Request) -> object:
        try:
            return await request.json(loads=lambda text: json.loads(text, parse_float=_no_float))
        except _FloatRefused:
            raise InvalidValue("body", "numbers with a fraction must be decimal strings") \
                from None
        except (ValueError, UnicodeDecodeError):
            raise web.HTTPBadRequest(
                text=json.dumps({"error": {"field": "body", "rule": "must be JSON"}}),
                content_type="application/json") from None

    # ---- orders -----------------------------------------------------------------------------

    async def _submit(self, request: web.Request) -> web.Response:
        payload: OrderPayload = parse(OrderPayload, await self._body(request))
        known = self.engine.oms.orders(payload.request_id)
        if known:
            return web.json_response(_order_json(known[0]), status=200)
        expected = payload.limit_price or await self._expected_price(payload)
        spec = ChildSpec(payload.venue, payload.symbol, payload.side, payload.qty,
                         payload.order_type, payload.limit_price, payload.time_in_force,
                         expected_price=expected)
        order = await self.engine.submit_order(payload.request_id, spec)
        return web.json_response(_order_json(order), status=201)

    async def _expected_price(self, payload: OrderPayload) -> Decimal:
        if payload.venue not in self.engine.oms.venues:
            raise InvalidValue("venue", f"no execution venue named {payload.venue!r}")
        for venue, _ in self.engine.router.venues_for(payload.symbol):
            if venue.name == payload.venue:
                quote = await venue.quote(payload.symbol, VenueSide(payload.side.value),
                                          payload.qty)
                return quote.avg_price
        raise InvalidValue("symbol", f"{payload.symbol} is not traded on {payload.venue}")

    async def _list(self, request: web.Request) -> web.Response:
        orders = self.engine.oms.orders(request.query.get("parent_id"))
        return web.json_response({"orders": [_order_json(o) for o in orders]})

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(_order_json(self.engine.oms.order(request.match_info["id"])))

    async def _cancel(self, request: web.Request) -> web.Response:
        return web.json_response(_result_json(await self.engine.cancel(
            request.match_info["id"])))

    # ---- algorithms -------------------------------------------------------------------------

    async def _start_algo(self, request: web.Request) -> web.Response:
        payload: AlgoPayload = parse(AlgoPayload, await self._body(request))
        name = request.match_info["name"]
        if payload.parent_id in self.engine.oms.parents() or self.engine.oms.orders(
                payload.parent_id):
            raise InvalidValue("parent_id", f"{payload.parent_id} is already used")
        if name == "leg_group":
            handle = self.engine.run_group(payload.parent_id, payload.params)
        else:
            handle = self.engine.run_algo(name, payload.parent_id, payload.params)
        await asyncio.sleep(0)
        progress = handle.algo.progress().to_json() if handle.algo else {
            "parent_id": payload.parent_id, "state": "running"}
        return web.json_response(progress, status=202)

    def _handle(self, parent_id: str) -> Any:
        handle = self.engine.handles.get(parent_id)
        if handle is None:
            raise UnknownOrder(parent_id)
        return handle

    async def _algo_status(self, request: web.Request) -> web.Response:
        handle = self._handle(request.match_info["id"])
        if handle.algo is not None:
            return web.json_response(handle.algo.progress().to_json())
        return web.json_response(handle.group.report().to_json())

    async def _algo_action(self, request: web.Request) -> web.Response:
        handle = self._handle(request.match_info["id"])
        action = request.match_info["action"]
        if handle.algo is None or action not in ("pause", "resume"):
            raise InvalidValue("action", "pause or resume, for an algorithm")
        handle.algo.pause() if action == "pause" else handle.algo.resume()
        return web.json_response(handle.algo.progress().to_json())

    async def _positions(self, request: web.Request) -> web.Response:
        oms = self.engine.oms
        per_venue = [{"venue": v, "instrument": i, "qty": str(q)}
                     for (v, i), q in sorted(oms.positions().items())]
        totals: dict[str, Decimal] = {}
        for (_, instrument), qty in oms.positions().items():
            totals[instrument] = totals.get(instrument, Decimal(0)) + qty
        return web.json_response({"positions": per_venue,
                                  "total": {k: str(v) for k, v in sorted(totals.items())}})

    # ---- kill switch ------------------------------------------------------------------------

    async def _kill_status(self, request: web.Request) -> web.Response:
        return web.json_response({"engaged": self.engine.kill_switches()})

    async def _kill_action(self, request: web.Request) -> web.Response:
        payload: KillPayload = parse(KillPayload, await self._body(request))
        action = request.match_info["action"]
        if action == "engage":
            canceled = await self.engine.engage_kill_switch(payload.level, payload.name,
                                                            payload.reason)
        elif action == "release":
            self.engine.release_kill_switch(payload.level, payload.name)
            canceled = []
        else:
            raise InvalidValue("action", "engage or release")
        return web.json_response({"engaged": self.engine.kill_switches(),
                                  "canceled": [_order_json(o) for o in canceled]})

    # ---- events -----------------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=20)
        await socket.prepare(request)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)

        def listener(event: OrderEvent, order: Order) -> None:
            with contextlib.suppress(asyncio.QueueFull):  # a stalled client loses events
                queue.put_nowait({"event": event.model_dump(mode="json"),
                                  "order": _order_json(order)})

        unsubscribe = self.engine.subscribe(listener)
        sender = asyncio.create_task(_forward(queue, socket))
        try:
            async for message in socket:
                if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            unsubscribe()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        return socket


async def _forward(queue: asyncio.Queue[dict[str, Any]], socket: web.WebSocketResponse) -> None:
    while True:
        await socket.send_json(await queue.get())


class _FloatRefused(ValueError):
    pass


def _no_float(text: str) -> Decimal:
    raise _FloatRefused(text)

