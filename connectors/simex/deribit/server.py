"""The Deribit-dialect simulator: JSON-RPC over HTTP (/api/v2) and WebSocket (/ws/api/v2).

Requests: `GET /api/v2/{public|private}/{method}?params` (what ccxt sends), or a JSON-RPC
body POSTed to `/api/v2` or `/api/v2/{scope}/{method}`, or a JSON-RPC message on the
WebSocket. Answers carry Deribit's envelope: `jsonrpc`, `id`, `result` or `error`, `usIn`,
`usOut`, `usDiff`, `testnet`.

Authentication, as Deribit documents it:
- `public/auth` with grant_type `client_credentials` (client_id + client_secret),
  `client_signature` (HMAC-SHA256 over "timestamp\\nnonce\\ndata") or `refresh_token`,
  answering an access and a refresh token; on a WebSocket it also authenticates the
  connection (ccxt.pro's way);
- HTTP `Authorization: Bearer <access_token>`, `Basic base64(id:secret)`, or
  `deri-hmac-sha256 id=..,ts=..,sig=..,nonce=..` with the signature over
  "ts\\nnonce\\nMETHOD\\nURI\\nBODY\\n" (ccxt's REST way).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from connectors.simex.deribit import errors as e
from connectors.simex.deribit.config import DeribitConfig
from connectors.simex.deribit.engine import DerivativesEngine
from connectors.simex.deribit.makers import DeribitMakers, run_makers
from connectors.simex.deribit.methods import MethodTable
from connectors.simex.deribit.model import Changes, DerivAccount
from connectors.simex.deribit.streams import Session, notifications

Params = dict[str, Any]


def deribit_ccxt_urls(rest_url: str) -> dict[str, Any]:
    """`urls['api']` entries pointing `ccxt.deribit` (and ccxt.pro's) at a simulator whose
    base URL is `rest_url` (http://host:port)."""
    http = rest_url.rstrip("/")
    ws = "ws" + http[len("http"):] if http.startswith("http") else http
    return {"rest": http, "ws": f"{ws}/ws/api/v2"}


@dataclass
class Token:
    api_key: str
    expires_ms: int
    refresh: str = ""


@dataclass
class Caller:
    """Who sent a request: an account (private methods need one) and the WS session."""

    account: DerivAccount | None = None
    session: Session | None = None
    tokens: list[str] = field(default_factory=list)


class DeribitServer:
    """One simulated Deribit on loopback: its own engine, accounts, makers and port."""

    def __init__(self, config: DeribitConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.config = config or DeribitConfig()
        self.host, self._port = host, port
        self.clock_offset_ms = 0
        self.engine = DerivativesEngine(self.config, self.now_ms)
        self.makers: DeribitMakers | None = (
            DeribitMakers(self) if self.config.makers.enabled else None)
        self.methods = MethodTable(self)
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> api key
        self.sessions: set[Session] = set()
        self.requests = 0
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
        return f"ws://{self.host}:{self._port}/ws/api/v2"

    def ccxt_urls(self) -> dict[str, Any]:
        return deribit_ccxt_urls(self.rest_url)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws/api/v2", self._websocket)
        app.router.add_get("/ws/api/v2/", self._websocket)
        app.router.add_route("*", "/api/v2/{scope}/{method}", self._http)
        app.router.add_post("/api/v2", self._http)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        if self.makers is not None:
            self.makers.requote_all()  # books are full before the first request
            self._tasks.append(asyncio.create_task(run_makers(self)))
        self._tasks.append(asyncio.create_task(self._funding_loop()))
        self._tasks.append(asyncio.create_task(self._delivery_loop()))

    async def stop_makers(self) -> None:
        """Stop requoting and drifting (books then stay as they are)."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def stop(self) -> None:
        await self.stop_makers()
        for session in list(self.sessions):
            await session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> DeribitServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _funding_loop(self) -> None:
        interval = self.config.funding_interval_ms
        while True:
            await asyncio.sleep(interval / 1000)
            self.publish(self.engine.apply_funding(interval))

    async def _delivery_loop(self) -> None:
        while True:
            self.publish(self.engine.settle_expired())
            await asyncio.sleep(1)

    def publish(self, changes: Changes) -> None:
        for session in list(self.sessions):
            for message in notifications(self, session, changes):
                session.send(message)

    # ---- authentication -----------------------------------------------------------------

    def account_by_key(self, api_key: str) -> DerivAccount | None:
        account = self.engine.accounts.get(api_key)
        return None if account is None or account.unlimited else account

    def issue_token(self, account: DerivAccount) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        ttl_s = self.config.token_ttl_s
        self.tokens[access] = Token(account.api_key, self.now_ms() + ttl_s * 1000, refresh)
        self.refresh_tokens[refresh] = account.api_key
        return {"access_token": access, "refresh_token": refresh, "expires_in": ttl_s,
                "token_type": "bearer", "scope": "connection mainaccount trade:read_write "
                                                 "account:read_write wallet:read",
                "enabled_features": []}

    def account_of_token(self, token: str) -> DerivAccount:
        held = self.tokens.get(token)
        if held is None or held.expires_ms < self.now_ms():
            raise e.unauthorized("invalid_token")
        account = self.account_by_key(held.api_key)
        if account is None:
            raise e.unauthorized("invalid_token")
        return account

    def check_signature(self, api_key: str, signed: str, signature: str,
                        timestamp: str) -> DerivAccount:
        account = self.account_by_key(api_key)
        if account is None:
            raise e.invalid_credentials()
        if not timestamp.isdigit() or abs(int(timestamp) - self.now_ms()) > \
                self.config.auth_window_ms:
            raise e.unauthorized("invalid_timestamp")
        expected = hmac.new(account.secret, signed.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise e.unauthorized("invalid_signature")
        return account

    def check_secret(self, api_key: str, secret: str) -> DerivAccount:
        account = self.account_by_key(api_key)
        if account is None or not hmac.compare_digest(account.secret, secret.encode()):
            raise e.invalid_credentials()
        return account

    def _http_account(self, request: web.Request, body: str) -> DerivAccount | None:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if not header:
            return None
        if scheme.lower() == "bearer":
            return self.account_of_token(credentials.strip())
        if scheme.lower() == "basic":
            try:
                api_key, _, secret = base64.b64decode(credentials).decode().partition(":")
            except ValueError:
                raise e.unauthorized("invalid_credentials") from None
            return self.check_secret(api_key, secret)
        if scheme.lower() == "deri-hmac-sha256":
            fields = dict(part.split("=", 1) for part in credentials.split(",") if "=" in part)
            ts, nonce = fields.get("ts", ""), fields.get("nonce", "")
            signed = f"{ts}\n{nonce}\n{request.method}\n{request.raw_path}\n{body}\n"
            return self.check_signature(fields.get("id", ""), signed, fields.get("sig", ""),
                                        ts)
        raise e.unauthorized("unknown_authorization_scheme")

    # ---- transports ---------------------------------------------------------------------

    def envelope(self, request_id: Any, started_us: int, result: Any = None,
                 error: e.DeribitApiError | None = None) -> dict[str, Any]:
        done_us = time.time_ns() // 1000
        body: dict[str, Any] = {"jsonrpc": "2.0"}
        if request_id is not None:
            body["id"] = request_id
        if error is not None:
            body["error"] = error.body()
        else:
            body["result"] = result
        body.update({"usIn": started_us, "usOut": done_us, "usDiff": done_us - started_us,
                     "testnet": self.config.testnet})
        return body

    async def _http(self, request: web.Request) -> web.Response:
        started_us = time.time_ns() // 1000
        self.requests += 1
        request_id: Any = None
        try:
            body = await request.text()
            method, params, request_id = self._http_call(request, body)
            caller = Caller(self._http_account(request, body))
            result = await self.methods.call(method, params, caller)
            return web.json_response(self.envelope(request_id, started_us, result))
        except e.DeribitApiError as error:
            return web.json_response(self.envelope(request_id, started_us, error=error),
                                     status=error.http_status)

    @staticmethod
    def _http_call(request: web.Request, body: str) -> tuple[str, Params, Any]:
        if request.method == "GET" or not body:
            scope, name = request.match_info.get("scope"), request.match_info.get("method")
            if scope is None or name is None:
                raise e.invalid_params("method", "missing")
            return f"{scope}/{name}", dict(request.query), None
        try:
            message = json.loads(body)
        except ValueError:
            raise e.parse_error() from None
        if not isinstance(message, dict) or not isinstance(message.get("method"), str):
            raise e.invalid_params("method", "missing")
        params = message.get("params") or {}
        if not isinstance(params, dict):
            raise e.invalid_params("params", "must be an object")
        return message["method"], params, message.get("id")

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=None, autoping=True)
        await socket.prepare(request)
        session = Session(socket)
        self.sessions.add(session)
        writer = asyncio.create_task(session.run_writer())
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    break
                await self._ws_message(session, message.data)
        finally:
            self.sessions.discard(session)
            await session.close()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return socket

    async def _ws_message(self, session: Session, text: str) -> None:
        started_us = time.time_ns() // 1000
        request_id: Any = None
        try:
            message = json.loads(text)
            if not isinstance(message, dict) or not isinstance(message.get("method"), str):
                raise e.invalid_params("method", "missing")
            request_id = message.get("id")
            params = message.get("params") or {}
            if not isinstance(params, dict):
                raise e.invalid_params("params", "must be an object")
            caller = Caller(session.account, session)
            token = params.pop("access_token", None)
            if isinstance(token, str):
                caller.account = self.account_of_token(token)
            result = await self.methods.call(message["method"], params, caller)
            session.send(self.envelope(request_id, started_us, result))
            for pending in session.pending:
                session.send(pending)
            session.pending.clear()
        except ValueError:
            session.send(self.envelope(None, started_us, error=e.parse_error()))
        except e.DeribitApiError as error:
            session.send(self.envelope(request_id, started_us, error=error))

