"""Clients of the signing service: `RemoteSigner` (a `Signer`) and `Approver`.

`RemoteSigner.sign` submits the request and then long-polls its status until it is signed,
refused, expired, or the client's deadline passes. A deadline is not a refusal: the request may
still be approved and signed later, and submitting it again with the same request id is safe
(the service is idempotent by request id) and returns that signature.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import aiohttp
from eth_typing import ChecksumAddress
from web3 import Web3

from chain.errors import RetryableChainError, TerminalChainError
from chain.signers.base import SafeSignature, SigningRefused, SigningRequest
from chain.signers.remote.auth import auth_headers
from chain.signers.remote.lifecycle import (
    RequestStatus,
    json_default,
    request_to_json,
    signature_from_json,
)


class RemoteSignerError(TerminalChainError):
    """The signing service answered in a way that retrying will not change."""


class RemoteSignerUnreachable(RetryableChainError):
    """The signing service did not answer."""


class SigningDeadlineExceeded(RetryableChainError):
    """No final status before the client's deadline; the request may still complete."""

    def __init__(self, signer: str, request_id: str, status: str, deadline_s: float) -> None:
        self.request_id = request_id
        self.status = status
        super().__init__(f"{signer}: request {request_id} still {status} after {deadline_s:g} s; "
                         f"submit it again with the same request id to pick up its result")


class _ServiceCaller:
    """Authenticated JSON calls to one service under one key id."""

    def __init__(self, base_url: str, key_id: str, secret: bytes,
                 clock: Callable[[], float] = time.time) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_id = key_id
        self.__secret = secret
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None

    async def call(self, method: str, path: str, document: Any = None,
                   timeout_s: float = 10.0) -> tuple[int, dict[str, Any]]:
        body = b"" if document is None else json.dumps(document, default=json_default).encode()
        headers = auth_headers(self.key_id, self.__secret, method, path, body, self._clock())
        headers["Content-Type"] = "application/json"
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.request(
                    method, self.base_url + path, data=body, headers=headers,
                    timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
                answer = await response.json(content_type=None)
                return response.status, answer if isinstance(answer, dict) else {}
        except (aiohttp.ClientError, TimeoutError) as failure:
            raise RemoteSignerUnreachable(f"signing service at {self.base_url}: "
                                          f"{type(failure).__name__}") from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _expect_ok(status: int, answer: dict[str, Any], what: str) -> dict[str, Any]:
    if status != 200:
        raise RemoteSignerError(f"{what}: HTTP {status} {answer.get('error', '')}: "
                                f"{answer.get('detail', '')}")
    return answer


class RemoteSigner:
    """A `Signer` whose key is held by a signing service; build it with `connect`."""

    def __init__(self, caller: _ServiceCaller, name: str, address: ChecksumAddress,
                 public_key: bytes | None, deadline_s: float = 30.0, poll_s: float = 5.0) -> None:
        self._caller = caller
        self._name = name
        self._address = address
        self._public_key = public_key
        self.deadline_s = deadline_s
        self.poll_s = poll_s

    @classmethod
    async def connect(cls, base_url: str, key_id: str, secret: bytes, *,
                      name: str | None = None, expected_address: str | None = None,
                      deadline_s: float = 30.0, poll_s: float = 5.0,
                      clock: Callable[[], float] = time.time) -> RemoteSigner:
        """Ask the service who signs; refuse if it is not `expected_address` when given."""
        caller = _ServiceCaller(base_url, key_id, secret, clock)
        try:
            identity = _expect_ok(*await caller.call("GET", "/v1/signer"), "who signs")
            address = Web3.to_checksum_address(identity["address"])
            if expected_address and address != Web3.to_checksum_address(expected_address):
                raise RemoteSignerError(f"service at {base_url} signs as {address}, expected "
                                        f"{expected_address}")
        except BaseException:
            await caller.aclose()
            raise
        public_key = bytes.fromhex(identity["public_key"][2:]) if identity["public_key"] else None
        return cls(caller, name or f"remote:{identity['name']}", address, public_key,
                   deadline_s, poll_s)

    @property
    def name(self) -> str:
        return self._name

    @property
    def address(self) -> ChecksumAddress:
        return self._address

    @property
    def public_key(self) -> bytes | None:
        return self._public_key

    def __repr__(self) -> str:
        return (f"RemoteSigner(name={self._name!r}, address={self._address}, "
                f"url={self._caller.base_url!r})")

    async def sign(self, request: SigningRequest) -> SafeSignature:
        """Submit `request` and wait for its signature, at most `deadline_s`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline_s
        status, answer = await self._caller.call("POST", "/v1/requests",
                                                 request_to_json(request))
        if status == 409:
            raise SigningRefused(self._name, answer.get("error", "conflict"),
                                 answer.get("detail", ""))
        record = _expect_ok(status, answer, f"submit {request.request_id}")
        while True:
            state = RequestStatus(record["status"])
            if state is RequestStatus.SIGNED:
                return self._checked(record)
            if state in (RequestStatus.REJECTED, RequestStatus.EXPIRED):
                raise SigningRefused(self._name, record["rule"] or state.value, record["detail"])
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise SigningDeadlineExceeded(self._name, request.request_id, state.value,
                                              self.deadline_s)
            wait_s = min(self.poll_s, remaining)
            record = _expect_ok(*await self._caller.call(
                "GET", f"/v1/requests/{request.request_id}?wait={wait_s:.3f}",
                timeout_s=wait_s + 10.0), f"status of {request.request_id}")

    def _checked(self, record: dict[str, Any]) -> SafeSignature:
        signature = signature_from_json(record["signature"])
        if signature.owner != self._address:
            raise RemoteSignerError(f"{self._name}: service signed as {signature.owner}, "
                                    f"not {self._address}")
        return signature

    async def status(self, request_id: str, wait_s: float = 0.0) -> dict[str, Any]:
        """The service's record of `request_id`."""
        return _expect_ok(*await self._caller.call(
            "GET", f"/v1/requests/{request_id}?wait={wait_s:.3f}", timeout_s=wait_s + 10.0),
            f"status of {request_id}")

    async def aclose(self) -> None:
        await self._caller.aclose()

    async def __aenter__(self) -> RemoteSigner:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.aclose()


class Approver:
    """A human (or second system) approving requests that the service holds for approval."""

    def __init__(self, base_url: str, key_id: str, secret: bytes,
                 clock: Callable[[], float] = time.time) -> None:
        self._caller = _ServiceCaller(base_url, key_id, secret, clock)

    def __repr__(self) -> str:
        return f"Approver(key_id={self._caller.key_id!r}, url={self._caller.base_url!r})"

    async def approve(self, request_id: str) -> dict[str, Any]:
        return _expect_ok(*await self._caller.call(
            "POST", f"/v1/requests/{request_id}/approve", {}), f"approve {request_id}")

    async def reject(self, request_id: str, reason: str) -> dict[str, Any]:
        return _expect_ok(*await self._caller.call(
            "POST", f"/v1/requests/{request_id}/reject", {"reason": reason}),
            f"reject {request_id}")

    async def status(self, request_id: str, wait_s: float = 0.0) -> dict[str, Any]:
        return _expect_ok(*await self._caller.call(
            "GET", f"/v1/requests/{request_id}?wait={wait_s:.3f}", timeout_s=wait_s + 10.0),
            f"status of {request_id}")

    async def aclose(self) -> None:
        await self._caller.aclose()

    async def __aenter__(self) -> Approver:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.aclose()
