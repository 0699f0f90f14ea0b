"""The FROST coordinator: runs the DKG and signing sessions against participant processes.

The coordinator holds no secret. In the DKG it relays sealed messages (it cannot read the
private shares, nor forge a broadcast); in signing it gathers commitments from `threshold`
reachable signers, sends each the request with the commitment list, checks every share
against the signer's verifying share (RFC 9591 5.4) and aggregates. A bad share raises
`InvalidSignatureShare` naming its sender; a policy refusal raises `SigningRefused` naming the
signer and its rule; unreachable signers are skipped as long as `threshold` remain. Every
request to a participant process carries a MAC with the key its launcher gave it
(`start_node`), so no other local process can drive the participants.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chain.signers.base import SigningRefused, SigningRequest
from chain.signers.frost import core, wire
from chain.signers.frost.keys import DkgComplaint, GroupKey
from chain.signers.frost.node import AUTH_KEY_ENV


class ParticipantError(core.FrostError):
    """A participant answered with an error: `identifier` who, `kind` its error type."""

    def __init__(self, identifier: int, kind: str, detail: str) -> None:
        self.identifier = identifier
        self.kind = kind
        self.detail = detail
        super().__init__(f"participant {identifier}: {kind}: {detail}")


class NotEnoughSigners(core.FrostError):
    """Fewer than `threshold` participants could be reached or contributed."""


@dataclass(frozen=True)
class Endpoint:
    """Where participant `identifier` listens, its identity key (hex, for the DKG roster) and
    the key its requests are authenticated with (empty: an in-process participant)."""

    identifier: int
    url: str
    identity_key: str = ""
    auth_key: bytes = field(default=b"", repr=False)


class ParticipantUnreachable(ParticipantError):
    """A participant's connection dropped or it did not answer in time."""

    def __init__(self, identifier: int) -> None:
        super().__init__(identifier, "Unreachable", "connection lost or no answer in time")


async def _ask(connection: ClientConnection, endpoint: Endpoint, message: Mapping[str, Any],
               timeout_s: float = 30.0) -> dict[str, Any]:
    identifier = endpoint.identifier
    if endpoint.auth_key:
        message = wire.with_auth(message, endpoint.auth_key)
    try:
        await asyncio.wait_for(connection.send(json.dumps(message)), timeout_s)
        raw = await asyncio.wait_for(connection.recv(), timeout_s)
    except (ConnectionClosed, OSError, TimeoutError):
        raise ParticipantUnreachable(identifier) from None
    try:
        reply: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise ParticipantError(identifier, "BadReply", "the reply is not JSON") from None
    if "ok" in reply:
        ok: dict[str, Any] = reply["ok"]
        return ok
    error = reply.get("error", {})
    kind, detail = str(error.get("type")), str(error.get("detail"))
    if kind == "SigningRefused":
        raise SigningRefused(f"frost-{identifier}", str(error.get("rule")), detail)
    if kind == "DkgComplaint":
        raise DkgComplaint(int(error["accused"]), f"reported by participant {identifier}: "
                                                  f"{detail}")
    raise ParticipantError(identifier, kind, detail)


async def _open(stack: AsyncExitStack, endpoints: Sequence[Endpoint],
                timeout_s: float) -> dict[int, ClientConnection]:
    async def one(endpoint: Endpoint) -> tuple[int, ClientConnection | None]:
        try:
            connection = await connect(endpoint.url, open_timeout=timeout_s, max_size=2**22)
        except (OSError, TimeoutError):
            return endpoint.identifier, None
        return endpoint.identifier, connection

    opened = await asyncio.gather(*(one(e) for e in endpoints))
    connections: dict[int, ClientConnection] = {}
    for identifier, connection in opened:
        if connection is not None:
            stack.push_async_callback(connection.close)
            connections[identifier] = connection
    return connections


async def run_dkg(endpoints: Sequence[Endpoint], threshold: int,
                  timeout_s: float = 5.0) -> GroupKey:
    """Run the DKG among every endpoint (all must be reachable); return the group key that
    every participant reported, after checking they agree."""
    roster = {str(e.identifier): e.identity_key for e in endpoints}
    by_id = {e.identifier: e for e in endpoints}
    session = secrets.token_hex(16)
    async with AsyncExitStack() as stack:
        conns = await _open(stack, endpoints, timeout_s)
        missing = sorted({e.identifier for e in endpoints} - set(conns))
        if missing:
            raise NotEnoughSigners(f"the DKG needs every participant; unreachable: {missing}")

        async def everyone(message: dict[str, Any]) -> dict[str, Any]:
            replies = await asyncio.gather(*(_ask(c, by_id[i], message, timeout_s * 6)
                                             for i, c in conns.items()))
            return {str(i): r for i, r in zip(conns, replies, strict=True)}

        round1 = await everyone({"op": "dkg_round1", "session": session,
                                 "threshold": threshold, "roster": roster})
        round2 = await everyone({"op": "dkg_round2", "session": session, "round1": round1})
        finals = await everyone({"op": "dkg_finish", "session": session, "round2": round2})
    groups = {json.dumps(wire.open_envelope(env, roster[i])["group"], sort_keys=True)
              for i, env in finals.items()}
    if len(groups) != 1:
        raise core.FrostError("participants finished the DKG with different group keys")
    return GroupKey.from_json(json.loads(groups.pop()))


class Coordinator:
    """Signing sessions for one group over its participants' endpoints."""

    def __init__(self, group: GroupKey, endpoints: Sequence[Endpoint],
                 timeout_s: float = 5.0) -> None:
        self.group = group
        self.endpoints = sorted(endpoints, key=lambda e: e.identifier)
        self._by_id = {e.identifier: e for e in self.endpoints}
        self.timeout_s = timeout_s

    async def sign(self, request: SigningRequest) -> bytes:
        """The 65-byte FROST signature (R compressed, z) over `request.digest` (or the message
        a MESSAGE request carries, see `wire.signed_message`). A participant lost mid-session
        is left out and the session starts again with fresh nonces from the others."""
        message = wire.signed_message(request)
        lost: set[int] = set()
        while True:
            async with AsyncExitStack() as stack:
                candidates = [e for e in self.endpoints if e.identifier not in lost]
                conns = await _open(stack, candidates, self.timeout_s)
                chosen = sorted(conns)[:self.group.threshold]
                if len(chosen) < self.group.threshold:
                    raise NotEnoughSigners(
                        f"{len(conns)} of {len(self.endpoints)} signers reachable "
                        f"({sorted(conns)}), threshold {self.group.threshold}")
                try:
                    return await self._session(request, message,
                                               {i: conns[i] for i in chosen})
                except ParticipantUnreachable as gone:
                    lost.add(gone.identifier)

    async def _session(self, request: SigningRequest, message: bytes,
                       conns: Mapping[int, ClientConnection]) -> bytes:
        chosen = sorted(conns)
        commits = await asyncio.gather(*(
            _ask(conns[i], self._by_id[i], {"op": "commit", "request_id": request.request_id},
                 self.timeout_s) for i in chosen))
        commitments = [wire.commitment_from_json(c["commitment"]) for c in commits]
        if [c.identifier for c in commitments] != chosen:
            raise core.FrostError("a participant committed under another identifier")
        ctx = core.SigningContext.derive(self.group.public_key, commitments, message)
        body = {"op": "sign", "request": wire.request_to_json(request),
                "commitments": [wire.commitment_to_json(c) for c in commitments]}
        replies = await asyncio.gather(*(
            _ask(conns[i], self._by_id[i], {**body, "nonce_id": c["nonce_id"]}, self.timeout_s)
            for i, c in zip(chosen, commits, strict=True)))
        shares: dict[int, int] = {}
        for i, reply in zip(chosen, replies, strict=True):
            try:
                shares[i] = core.deserialize_scalar(bytes.fromhex(str(reply.get("share"))))
            except (core.FrostError, ValueError):
                raise core.InvalidSignatureShare(i) from None
            core.verify_signature_share(i, self.group.verifying_shares[i], shares[i], ctx)
        signature = core.aggregate(ctx, shares)
        if not core.verify(self.group.public_key, message, signature):
            raise core.FrostError("aggregated signature does not verify")
        return signature


# ---------------------------------------------------------------------------------------------
# Participant processes on loopback
# ---------------------------------------------------------------------------------------------


@dataclass
class NodeProcess:
    endpoint: Endpoint
    process: subprocess.Popen[str]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_node(identifier: int, directory: Path, policy: Path | None = None,
               allow_messages: bool = False, timeout_s: float = 20.0,
               auth_key: bytes | None = None) -> NodeProcess:
    """Start one participant process and wait for its READY line. Its request key (random
    unless given) reaches it through the environment, never the command line."""
    auth_key = secrets.token_bytes(32) if auth_key is None else auth_key
    command = [sys.executable, "-m", "chain.signers.frost.node", "--id", str(identifier),
               "--dir", str(directory)]
    if policy is not None:
        command += ["--policy", str(policy)]
    if allow_messages:
        command.append("--allow-messages")
    environment = {**os.environ, AUTH_KEY_ENV: auth_key.hex()}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    assert process.stdout is not None
    line = process.stdout.readline().split()
    if len(line) != 3 or line[0] != "READY":
        process.kill()
        process.wait()
        raise core.FrostError(f"participant {identifier} did not start (exit "
                              f"{process.poll()})")
    return NodeProcess(Endpoint(identifier, f"ws://127.0.0.1:{line[1]}", line[2], auth_key),
                       process)


@contextmanager
def running_nodes(directory: Path, identifiers: Sequence[int], policy: Path | None = None,
                  allow_messages: bool = False) -> Iterator[dict[int, NodeProcess]]:
    """Participant processes for `identifiers`, always stopped on exit."""
    nodes: dict[int, NodeProcess] = {}
    try:
        for identifier in identifiers:
            nodes[identifier] = start_node(identifier, directory, policy, allow_messages)
        yield nodes
    finally:
        for node in nodes.values():
            node.stop()
