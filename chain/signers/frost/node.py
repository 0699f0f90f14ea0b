"""One FROST participant as its own process: a websocket server on loopback.

    python -m chain.signers.frost.node --id 3 --dir KEYS [--policy policy.json]
                                       [--allow-messages]

It reads the coordinator's request key from the environment (`CROSSBOOK_FROST_AUTH_KEY`, hex;
without it the node refuses to start), prints one line, `READY <port> <identity key hex>`,
and then answers JSON requests `{"op": ..., "auth": ...}` (see `wire.with_auth`) with
`{"ok": {...}}` or `{"error": {"type", "detail", ...}}`:

- `dkg_round1`, `dkg_round2`, `dkg_finish`: its part of the DKG (`chain.signers.frost.keys`),
  every message sealed with its identity key; the resulting share is written to
  `KEYS/share-<id>.json` (mode 0600) and never sent anywhere;
- `commit`: a fresh nonce pair, recorded as issued before the commitment is sent back;
- `sign`: the signing request (digest and decoded Safe transaction), the nonce id and every
  signer's commitment. The node reviews the request with its own `GuardPolicy` first (no
  signing oracle: a refusal names the rule), then consumes the nonce and returns its share.

The policy file holds `GuardRules` fields (`allowed_calls`, `spenders`, `recipients`,
`token_caps`, `max_value`, `multisend`, `blocked`, `safes`, `chain_ids`); without one the
node signs no Safe transaction at all. `--allow-messages` lets it sign raw messages (the
operator CLI's `frost sign`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from coincurve import PrivateKey
from websockets.asyncio.server import ServerConnection, serve

from chain.signers.base import SigningRefused
from chain.signers.frost import core, keys, wire
from chain.signers.frost.nonces import NonceReused, NonceStore
from chain.signers.policy import GuardPolicy, GuardRules

log = logging.getLogger("chain.signers.frost")

_POLICY_FIELDS = ("allowed_calls", "spenders", "recipients", "token_caps", "max_value",
                  "multisend", "blocked", "safes", "chain_ids")


def share_path(directory: Path, identifier: int) -> Path:
    return directory / f"share-{identifier}.json"


def policy_from_file(path: Path | None, allow_messages: bool) -> GuardPolicy:
    """A `GuardPolicy` from a JSON file of `GuardRules` fields (unknown keys refused)."""
    document: dict[str, Any] = json.loads(path.read_text()) if path else {}
    unknown = sorted(set(document) - set(_POLICY_FIELDS))
    if unknown:
        raise core.FrostError(f"policy file {path}: unknown keys {unknown}")
    if "token_caps" in document:
        document["token_caps"] = {k: int(v) for k, v in document["token_caps"].items()}
    return GuardPolicy(GuardRules(**document, allow_messages=allow_messages))


def _identity(directory: Path, identifier: int) -> PrivateKey:
    path = directory / f"identity-{identifier}.key"
    if path.exists():
        return PrivateKey(bytes.fromhex(path.read_text().strip()))
    key = PrivateKey()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(key.secret.hex())
    return key


class _Dkg:
    def __init__(self, session: str, threshold: int, signers: int,
                 roster: Mapping[int, str]) -> None:
        self.session, self.threshold, self.signers, self.roster = (session, threshold,
                                                                   signers, dict(roster))
        self.secret: keys.DkgSecret | None = None
        self.ephemeral = PrivateKey()
        self.packages: dict[int, keys.Round1Package] = {}
        self.enc_keys: dict[int, str] = {}
        self.transcript = ""


class Node:
    """A participant's state and request handlers (see the module docstring)."""

    def __init__(self, identifier: int, directory: Path, policy: GuardPolicy,
                 auth_key: bytes | None = None) -> None:
        self.identifier = identifier
        self._auth_key = auth_key  # None only when embedded in a process that owns the node
        self.directory = directory
        self.policy = policy
        self.name = f"frost-{identifier}"
        self.identity = _identity(directory, identifier)
        self.share: keys.KeyShare | None = None
        self.nonces: NonceStore | None = None
        self.dkg: _Dkg | None = None
        if share_path(directory, identifier).exists():
            self._load(keys.KeyShare.read(share_path(directory, identifier)))

    def __repr__(self) -> str:
        return f"Node(identifier={self.identifier})"

    def _load(self, share: keys.KeyShare) -> None:
        self.share = share
        self.nonces = NonceStore(self.directory / f"nonces-{self.identifier}.sqlite")

    def handle(self, message: Mapping[str, Any]) -> dict[str, Any]:
        op = message.get("op")
        handler = {"dkg_round1": self._dkg_round1, "dkg_round2": self._dkg_round2,
                   "dkg_finish": self._dkg_finish, "commit": self._commit,
                   "sign": self._sign, "identity": self._whoami}.get(str(op))
        if handler is None:
            return {"error": {"type": "UnknownOp", "detail": f"unknown op {op!r}"}}
        if self._auth_key is not None:
            try:
                wire.check_auth(message, self._auth_key)
            except wire.AuthFailed as refused:
                return {"error": {"type": "AuthFailed", "detail": str(refused)}}
        try:
            return {"ok": handler(message)}
        except SigningRefused as refused:
            return {"error": {"type": "SigningRefused", "rule": refused.rule,
                              "detail": refused.detail}}
        except keys.DkgComplaint as complaint:
            return {"error": {"type": "DkgComplaint", "accused": complaint.accused,
                              "detail": complaint.reason}}
        except NonceReused as reused:
            return {"error": {"type": "NonceReused", "detail": str(reused)}}
        except core.FrostError as failed:
            return {"error": {"type": type(failed).__name__, "detail": str(failed)}}
        except (KeyError, TypeError, ValueError) as bad:  # a malformed request, never secrets
            return {"error": {"type": "BadRequest",
                              "detail": f"{op}: {type(bad).__name__} {bad}"[:200]}}

    def _whoami(self, _: Mapping[str, Any]) -> dict[str, Any]:
        return {"identifier": self.identifier,
                "identity_key": self.identity.public_key.format().hex(),
                "public_key": None if self.share is None else
                core.serialize_element(self.share.group.public_key).hex()}

    # --- DKG ----------------------------------------------------------------------------

    def _dkg_round1(self, message: Mapping[str, Any]) -> dict[str, Any]:
        roster = {int(k): str(v) for k, v in message["roster"].items()}
        if roster.get(self.identifier) != self.identity.public_key.format().hex():
            raise core.FrostError("the roster does not list this node's identity key")
        if self.share is not None:
            raise core.FrostError(f"participant {self.identifier} already holds a share")
        dkg = _Dkg(str(message["session"]), int(message["threshold"]), len(roster), roster)
        dkg.secret, package = keys.dkg_round1(self.identifier, dkg.threshold, dkg.signers)
        self.dkg = dkg
        body = {"session": dkg.session, "round": 1, "package": package.to_json(),
                "enc_key": dkg.ephemeral.public_key.format().hex()}
        return wire.seal(self.identity, body)

    def _dkg_round2(self, message: Mapping[str, Any]) -> dict[str, Any]:
        dkg = self._session(message)
        for sender, envelope in message["round1"].items():
            body = self._opened(dkg, int(sender), envelope, 1)
            package = keys.Round1Package.from_json(body["package"])
            if package.identifier != int(sender):
                raise keys.DkgComplaint(int(sender), "package names another identifier")
            dkg.packages[package.identifier] = package
            dkg.enc_keys[package.identifier] = str(body["enc_key"])
        dkg.transcript = wire.transcript_hash(message["round1"])
        assert dkg.secret is not None
        outgoing = keys.dkg_round2(dkg.secret, dkg.packages, dkg.signers)
        sealed = {str(j): wire.encrypt_share(dkg.ephemeral, dkg.enc_keys[j], dkg.session,
                                             self.identifier, j, core.serialize_scalar(s))
                  for j, s in outgoing.items()}
        body = {"session": dkg.session, "round": 2, "shares": sealed,
                "transcript": dkg.transcript}
        return wire.seal(self.identity, body)

    def _dkg_finish(self, message: Mapping[str, Any]) -> dict[str, Any]:
        dkg = self._session(message)
        received: dict[int, int] = {}
        for sender, envelope in message["round2"].items():
            body = self._opened(dkg, int(sender), envelope, 2)
            if body["transcript"] != dkg.transcript:
                raise core.FrostError(f"participant {sender} saw a different round-1 "
                                      f"broadcast: the channel is not consistent")
            if int(sender) == self.identifier:
                continue
            try:
                plain = wire.decrypt_share(dkg.ephemeral, dkg.enc_keys[int(sender)],
                                           dkg.session, int(sender), self.identifier,
                                           str(body["shares"][str(self.identifier)]))
                received[int(sender)] = core.deserialize_scalar(plain)
            except (core.FrostError, KeyError, ValueError):
                raise keys.DkgComplaint(int(sender), f"its encrypted share for participant "
                                                     f"{self.identifier} is missing or does "
                                                     f"not decrypt") from None
        assert dkg.secret is not None
        share = keys.dkg_finish(dkg.secret, dkg.packages, received)
        share.write(share_path(self.directory, self.identifier))
        self._load(share)
        self.dkg = None
        return wire.seal(self.identity, {"session": dkg.session, "round": 3,
                                         "group": share.group.to_json()})

    def _session(self, message: Mapping[str, Any]) -> _Dkg:
        if self.dkg is None or self.dkg.session != message.get("session"):
            raise core.FrostError("no DKG session by that id is in progress here")
        return self.dkg

    def _opened(self, dkg: _Dkg, sender: int, envelope: Mapping[str, Any],
                round_no: int) -> dict[str, Any]:
        if sender not in dkg.roster:
            raise keys.DkgComplaint(sender, "not in the roster")
        try:
            body = wire.open_envelope(envelope, dkg.roster[sender])
        except core.FrostError as bad:
            # Whose message is bad is certain; who spoiled it (the sender, or the relay in
            # transit) is not: the channel is authenticated, not trusted.
            raise keys.DkgComplaint(sender, f"{bad} (forged, or altered in transit)") from None
        if body.get("session") != dkg.session or body.get("round") != round_no:
            raise keys.DkgComplaint(sender, "message is for another session or round")
        return body

    # --- signing ------------------------------------------------------------------------

    def _ready(self) -> tuple[keys.KeyShare, NonceStore]:
        if self.share is None or self.nonces is None:
            raise core.FrostError(f"participant {self.identifier} holds no key share yet")
        return self.share, self.nonces

    def _commit(self, message: Mapping[str, Any]) -> dict[str, Any]:
        share, nonces = self._ready()
        nonce_id, commitment = nonces.issue(self.identifier, share.secret,
                                            str(message.get("request_id", "")))
        return {"nonce_id": nonce_id, "commitment": wire.commitment_to_json(commitment)}

    def _sign(self, message: Mapping[str, Any]) -> dict[str, Any]:
        share, nonces = self._ready()
        request = wire.request_from_json(message["request"])
        self.policy.review(self.name, request)  # before the nonce is touched
        commitments = [wire.commitment_from_json(c) for c in message["commitments"]]
        ctx = core.SigningContext.derive(share.group.public_key, commitments,
                                         wire.signed_message(request))
        secret_nonces = nonces.consume(str(message["nonce_id"]))
        z = core.sign_share(self.identifier, share.secret, secret_nonces, ctx)
        log.info("%s signed request %s", self.name, request.request_id)
        return {"identifier": self.identifier, "share": core.serialize_scalar(z).hex()}


@asynccontextmanager
async def serving_node(node: Node, port: int = 0) -> AsyncIterator[str]:
    """Serve `node` on loopback for the duration of the block; yields its ws:// URL."""

    async def session(connection: ServerConnection) -> None:
        async for raw in connection:
            try:
                message = json.loads(raw)
            except ValueError:
                await connection.send(json.dumps({"error": {"type": "BadJson",
                                                            "detail": "not JSON"}}))
                continue
            await connection.send(json.dumps(node.handle(message)))

    async with serve(session, "127.0.0.1", port, max_size=2**22) as server:
        yield f"ws://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}"


async def _serve(node: Node) -> None:
    async with serving_node(node) as url:
        identity = node.identity.public_key.format().hex()
        sys.stdout.write(f"READY {url.rsplit(':', 1)[1]} {identity}\n")
        sys.stdout.flush()
        await asyncio.Future()  # until the process is terminated


AUTH_KEY_ENV = "CROSSBOOK_FROST_AUTH_KEY"


def _auth_key_from_env() -> bytes:
    raw = os.environ.get(AUTH_KEY_ENV, "")
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) < 16:
        sys.stderr.write(f"frost-node: {AUTH_KEY_ENV} must hold the coordinator's key, at "
                         f"least 16 bytes as hex; refusing to serve unauthenticated\n")
        raise SystemExit(2)
    return key


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="frost-node", description=__doc__.splitlines()[0])
    parser.add_argument("--id", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--policy", type=Path, default=None)
    parser.add_argument("--allow-messages", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    args.dir.mkdir(parents=True, exist_ok=True)
    auth_key = _auth_key_from_env()
    node = Node(args.id, args.dir, policy_from_file(args.policy, args.allow_messages), auth_key)
    asyncio.run(_serve(node))


if __name__ == "__main__":
    main()
