"""A reference signing service: one key behind an authenticated HTTP API on loopback.

It runs the lifecycle of `lifecycle.py` for every request: the service policy reviews it, an
`ApprovalRule` says how many distinct approvers must approve it, then the held signer (whose
own policy runs again) signs. Clients and approvers authenticate with HMAC (`auth.py`) under
separate key ids, so a client can never approve its own request.

    GET  /v1/signer                       who signs: name, address, public key
    POST /v1/requests                     submit {request_id, kind, digest, context}
    GET  /v1/requests/{id}?wait=SECONDS   status; waits up to SECONDS for a change
    POST /v1/requests/{id}/approve        an approver approves (approver keys only)
    POST /v1/requests/{id}/reject         an approver rejects {reason}

Submitting is idempotent by request id: the same id and digest return the same record (and so
the same signature); the same id with another digest is refused with 409.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any

from aiohttp import web

from chain.errors import TerminalChainError
from chain.signers.base import AllowAll, Signer, SigningPolicy, SigningRefused, SigningRequest
from chain.signers.policy import ApprovalRule, NoApprovals, SignerConfigError
from chain.signers.remote.auth import AuthFailed, verify
from chain.signers.remote.lifecycle import (
    FINAL,
    RequestEvent,
    RequestStatus,
    SigningRecord,
    request_from_json,
)

log = logging.getLogger("chain.signers.remote")

RULE_REQUEST_ID_REUSED = "request_id_reused"
RULE_EXPIRED = "expired"
RULE_APPROVER_REJECTED = "approver_rejected"
RULE_SIGNER_FAILED = "signer_failed"
_MAX_WAIT_S = 30.0


class ServiceRefusal(TerminalChainError):
    """A call the service answers with an HTTP error: `status`, a code and a detail."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


class SigningService:
    """The request lifecycle around one signer; `app()` serves it over HTTP."""

    def __init__(self, signer: Signer, clients: Mapping[str, bytes],
                 approvers: Mapping[str, bytes] | None = None,
                 policy: SigningPolicy | None = None, approval: ApprovalRule | None = None,
                 ttl_s: float = 300.0, clock: Callable[[], float] = time.time,
                 max_skew_s: float = 30.0) -> None:
        overlap = set(clients) & set(approvers or {})
        if overlap:
            raise SignerConfigError(f"SigningService: key ids {sorted(overlap)} cannot be both "
                                    f"client and approver")
        self.signer = signer
        self._clients = dict(clients)
        self._approvers = dict(approvers or {})
        self._policy: SigningPolicy = policy or AllowAll()
        self._approval: ApprovalRule = approval or NoApprovals()
        self.ttl_s = ttl_s
        self._clock = clock
        self._max_skew_s = max_skew_s
        self._records: dict[str, SigningRecord] = {}

    def __repr__(self) -> str:
        return (f"SigningService(signer={self.signer.name!r}, clients={sorted(self._clients)}, "
                f"approvers={sorted(self._approvers)})")

    # ---- the lifecycle, callable without HTTP -----------------------------------------------

    async def submit(self, request: SigningRequest, submitted_by: str) -> SigningRecord:
        """Take a request through policy, approval and signing as far as it can go now."""
        known = self._records.get(request.request_id)
        if known is not None:
            if known.request.digest != request.digest or known.request.kind != request.kind:
                raise ServiceRefusal(409, RULE_REQUEST_ID_REUSED,
                                     f"request id {request.request_id} was already used for "
                                     f"another digest")
            return self.status(request.request_id)
        now = self._clock()
        record = SigningRecord(request, submitted_by, now + self.ttl_s)
        record.history.append((RequestStatus.SUBMITTED, now))
        self._records[request.request_id] = record
        try:
            self._policy.review(self.signer.name, request)
        except SigningRefused as refused:
            self._refuse(record, RequestEvent.POLICY_REFUSED, refused.rule, refused.detail)
            return record
        record.apply(RequestEvent.POLICY_PASSED, self._clock())
        record.approvals_needed = self._approval.approvals_needed(request)
        if record.approvals_needed > 0:
            record.apply(RequestEvent.APPROVAL_NEEDED, self._clock())
            log.info("request %s waits for %d approval(s)", request.request_id,
                     record.approvals_needed)
            return record
        record.apply(RequestEvent.NO_APPROVAL_NEEDED, self._clock())
        await self._sign(record)
        return record

    async def approve(self, request_id: str, approver: str) -> SigningRecord:
        """Count one approver's approval; sign once enough distinct approvers agreed."""
        record = self.status(request_id)
        if record.status is not RequestStatus.PENDING_APPROVAL:
            raise ServiceRefusal(409, "not_pending",
                                 f"request {request_id} is {record.status.value}")
        if approver not in record.approvals:
            record.approvals.append(approver)
        if len(record.approvals) >= record.approvals_needed:
            record.apply(RequestEvent.APPROVALS_REACHED, self._clock())
            await self._sign(record)
        return record

    async def reject(self, request_id: str, approver: str, reason: str) -> SigningRecord:
        record = self.status(request_id)
        if record.status is not RequestStatus.PENDING_APPROVAL:
            raise ServiceRefusal(409, "not_pending",
                                 f"request {request_id} is {record.status.value}")
        self._refuse(record, RequestEvent.APPROVER_REJECTED, RULE_APPROVER_REJECTED,
                     f"{approver}: {reason}")
        return record

    def status(self, request_id: str) -> SigningRecord:
        """The record of `request_id`, expired first if its time to live has passed."""
        record = self._records.get(request_id)
        if record is None:
            raise ServiceRefusal(404, "unknown_request", f"no request {request_id}")
        if record.status is RequestStatus.PENDING_APPROVAL and self._clock() >= record.expires_at_s:
            self._refuse(record, RequestEvent.TTL_PASSED, RULE_EXPIRED,
                         f"not approved within {self.ttl_s:g} s")
        return record

    async def wait(self, request_id: str, wait_s: float) -> SigningRecord:
        """The record once its status changes, or after `wait_s` (or at its expiry)."""
        record = self.status(request_id)
        if record.status in FINAL or wait_s <= 0:
            return record
        changed = record.changed
        until_expiry = record.expires_at_s - self._clock()
        if record.status is RequestStatus.PENDING_APPROVAL:
            wait_s = min(wait_s, max(until_expiry, 0.0))
        with suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), wait_s)
        return self.status(request_id)

    async def _sign(self, record: SigningRecord) -> None:
        try:
            record.signature = await self.signer.sign(record.request)
        except SigningRefused as refused:
            self._refuse(record, RequestEvent.SIGNER_REFUSED, refused.rule, refused.detail)
            return
        except Exception as failure:  # a final status beats a request stuck in `approved`
            log.warning("request %s: signer %s failed: %s", record.request.request_id,
                        self.signer.name, type(failure).__name__)
            self._refuse(record, RequestEvent.SIGNER_FAILED, RULE_SIGNER_FAILED,
                         type(failure).__name__)
            return
        record.apply(RequestEvent.SIGNED, self._clock())
        log.info("request %s signed by %s", record.request.request_id, self.signer.name)

    def _refuse(self, record: SigningRecord, event: RequestEvent, rule: str, detail: str) -> None:
        record.rule, record.detail = rule, detail
        record.apply(event, self._clock())
        log.info("request %s %s: %s", record.request.request_id, record.status.value, rule)

    # ---- HTTP -------------------------------------------------------------------------------

    def app(self) -> web.Application:
        application = web.Application(middlewares=[self._errors])
        application.router.add_get("/v1/signer", self._get_signer)
        application.router.add_post("/v1/requests", self._post_request)
        application.router.add_get("/v1/requests/{request_id}", self._get_request)
        application.router.add_post("/v1/requests/{request_id}/approve", self._post_approve)
        application.router.add_post("/v1/requests/{request_id}/reject", self._post_reject)
        return application

    @web.middleware
    async def _errors(self, request: web.Request,
                      handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except AuthFailed as failed:
            log.warning("refused an unauthenticated %s %s: %s", request.method, request.path,
                        failed.reason)
            return web.json_response({"error": "unauthenticated", "detail": failed.reason},
                                     status=401)
        except ServiceRefusal as refusal:
            return web.json_response({"error": refusal.code, "detail": refusal.detail},
                                     status=refusal.status)
        return response

    async def _caller(self, request: web.Request, roles: Mapping[str, bytes]) -> str:
        body = await request.read()
        return verify(request.headers, roles, request.method, request.path_qs, body,
                      self._clock(), self._max_skew_s)

    def _role(self, key_id: str, allowed: Mapping[str, bytes], role: str) -> None:
        if key_id not in allowed:
            raise ServiceRefusal(403, "forbidden", f"key {key_id} may not act as {role}")

    async def _get_signer(self, request: web.Request) -> web.Response:
        await self._caller(request, {**self._clients, **self._approvers})
        public_key = self.signer.public_key
        return web.json_response({"name": self.signer.name, "address": self.signer.address,
                                  "public_key": "0x" + public_key.hex() if public_key else None})

    async def _post_request(self, request: web.Request) -> web.Response:
        key_id = await self._caller(request, {**self._clients, **self._approvers})
        self._role(key_id, self._clients, "client")
        try:
            signing_request = request_from_json(json.loads(await request.read()))
        except ValueError as bad:
            raise ServiceRefusal(400, "bad_request", str(bad)) from None
        record = await self.submit(signing_request, key_id)
        return web.json_response(record.to_json())

    async def _get_request(self, request: web.Request) -> web.Response:
        await self._caller(request, {**self._clients, **self._approvers})
        try:
            wait_s = min(float(request.query.get("wait", "0")), _MAX_WAIT_S)
        except ValueError:
            raise ServiceRefusal(400, "bad_request", "wait must be a number of seconds") from None
        record = await self.wait(request.match_info["request_id"], wait_s)
        return web.json_response(record.to_json())

    async def _post_approve(self, request: web.Request) -> web.Response:
        key_id = await self._caller(request, {**self._clients, **self._approvers})
        self._role(key_id, self._approvers, "approver")
        record = await self.approve(request.match_info["request_id"], key_id)
        return web.json_response(record.to_json())

    async def _post_reject(self, request: web.Request) -> web.Response:
        key_id = await self._caller(request, {**self._clients, **self._approvers})
        self._role(key_id, self._approvers, "approver")
        try:
            reason = str(json.loads(await request.read() or b"{}").get("reason", ""))
        except (ValueError, AttributeError):
            raise ServiceRefusal(400, "bad_request", "body must be {\"reason\": ...}") from None
        record = await self.reject(request.match_info["request_id"], key_id, reason)
        return web.json_response(record.to_json())


@asynccontextmanager
async def serving(service: SigningService, host: str = "127.0.0.1",
                  port: int = 0) -> AsyncIterator[str]:
    """Serve `service` on `host:port` (0: a free port) and yield its base URL; stop after."""
    runner = web.AppRunner(service.app(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()
