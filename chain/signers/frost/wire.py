"""What FROST participants send each other over websockets: JSON messages, signed envelopes
for the DKG's authenticated broadcast, and encrypted DKG shares for its private channels.

- Every DKG message a participant sends is an envelope `{"body", "signer", "signature"}`:
  ECDSA over SHA-256 of the canonical JSON body with the participant's identity key, checked
  against the session roster (`open_envelope`). The coordinator only relays: it can drop a
  message but cannot forge or alter one, and every participant signs the hash of the round-1
  set it saw, so a coordinator that shows different broadcasts to different participants is
  caught (`transcript_hash`).
- Every request from the coordinator to a participant process carries `auth`: a timestamp and
  HMAC-SHA256 with the key the launcher gave the participant (`with_auth`, `check_auth`), so
  only the coordinator that started the participants can reach them (stale after
  `AUTH_MAX_SKEW_S`; a replay inside that window only burns a nonce).
- A DKG share for participant j travels encrypted to j's ephemeral key from round 1:
  ECDH, then SHA-256 in counter mode as a one-time pad and an HMAC-SHA256 tag, both keys
  bound to the session and the (sender, receiver) pair. The relaying coordinator never sees a
  share.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from coincurve import PrivateKey, PublicKey

from chain.signers.base import RequestKind, SigningRequest
from chain.signers.frost.core import (
    Commitment,
    FrostError,
    deserialize_element,
    serialize_element,
)

AUTH_MAX_SKEW_S = 60


class AuthFailed(FrostError):
    """A request to a participant lacks a valid, fresh MAC."""


def _request_mac(key: bytes, timestamp: int, message: Mapping[str, Any]) -> str:
    payload = f"crossbook-frost-v1\n{timestamp}\n".encode() + canonical(message)
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def with_auth(message: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """`message` with its `auth` field (timestamp and MAC) for a participant holding `key`."""
    body = {k: v for k, v in message.items() if k != "auth"}
    timestamp = int(time.time())
    return {**body, "auth": {"ts": timestamp, "mac": _request_mac(key, timestamp, body)}}


def check_auth(message: Mapping[str, Any], key: bytes) -> None:
    """Refuse a request whose MAC is missing, wrong or older than `AUTH_MAX_SKEW_S`."""
    auth = message.get("auth")
    if not isinstance(auth, Mapping) or not isinstance(auth.get("ts"), int):
        raise AuthFailed("the request carries no auth")
    if abs(time.time() - auth["ts"]) > AUTH_MAX_SKEW_S:
        raise AuthFailed("the request's auth timestamp is stale")
    body = {k: v for k, v in message.items() if k != "auth"}
    if not hmac.compare_digest(str(auth.get("mac")), _request_mac(key, auth["ts"], body)):
        raise AuthFailed("the request's MAC is wrong")


def canonical(body: Any) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def seal(identity: PrivateKey, body: Mapping[str, Any]) -> dict[str, Any]:
    return {"body": dict(body), "signer": identity.public_key.format().hex(),
            "signature": identity.sign(canonical(body)).hex()}


def open_envelope(envelope: Mapping[str, Any], expected_key: str) -> dict[str, Any]:
    """The body of an envelope signed by `expected_key` (hex compressed); else FrostError."""
    try:
        body: dict[str, Any] = envelope["body"]
        if envelope["signer"] != expected_key:
            raise FrostError("envelope signed by a key that is not in the roster")
        key = PublicKey(bytes.fromhex(expected_key))
        if not key.verify(bytes.fromhex(envelope["signature"]), canonical(body)):
            raise FrostError("envelope signature does not verify")
    except (KeyError, TypeError, ValueError):
        raise FrostError("envelope is malformed") from None
    return body


def transcript_hash(round1: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(round1)).hexdigest()


def _pad_and_mac(shared: bytes, session: str, sender: int, receiver: int) -> tuple[bytes, bytes]:
    label = f"crossbook-frost-dkg-share|{session}|{sender}|{receiver}".encode()
    pad = hashlib.sha256(b"pad|" + shared + label).digest()
    mac_key = hashlib.sha256(b"mac|" + shared + label).digest()
    return pad, mac_key


def encrypt_share(ephemeral: PrivateKey, receiver_key: str, session: str, sender: int,
                  receiver: int, share: bytes) -> str:
    shared = ephemeral.ecdh(bytes.fromhex(receiver_key))
    pad, mac_key = _pad_and_mac(shared, session, sender, receiver)
    ciphertext = bytes(a ^ b for a, b in zip(share, pad, strict=True))
    return (ciphertext + hmac.new(mac_key, ciphertext, hashlib.sha256).digest()).hex()


def decrypt_share(ephemeral: PrivateKey, sender_key: str, session: str, sender: int,
                  receiver: int, sealed: str) -> bytes:
    raw = bytes.fromhex(sealed)
    ciphertext, tag = raw[:32], raw[32:]
    shared = ephemeral.ecdh(bytes.fromhex(sender_key))
    pad, mac_key = _pad_and_mac(shared, session, sender, receiver)
    if not hmac.compare_digest(tag, hmac.new(mac_key, ciphertext, hashlib.sha256).digest()):
        raise FrostError(f"the encrypted share from participant {sender} fails its MAC")
    return bytes(a ^ b for a, b in zip(ciphertext, pad, strict=True))


def commitment_to_json(commitment: Commitment) -> dict[str, Any]:
    return {"identifier": commitment.identifier,
            "hiding": serialize_element(commitment.hiding).hex(),
            "binding": serialize_element(commitment.binding).hex()}


def commitment_from_json(document: Mapping[str, Any]) -> Commitment:
    try:
        return Commitment(int(document["identifier"]),
                          deserialize_element(bytes.fromhex(document["hiding"])),
                          deserialize_element(bytes.fromhex(document["binding"])))
    except (KeyError, TypeError, ValueError):
        raise FrostError("commitment is malformed") from None


def signed_message(request: SigningRequest) -> bytes:
    """The bytes the group signs for `request`: its 32-byte digest, or, for a MESSAGE request
    whose context carries `message` (hex) with SHA-256 equal to the digest, that message
    itself (RFC 9591 signs messages of any length; the operator CLI uses this)."""
    raw = request.context.get("message")
    if request.kind is not RequestKind.MESSAGE or raw is None:
        return request.digest
    try:
        message = bytes.fromhex(str(raw))
    except ValueError:
        raise FrostError("context message is not hex") from None
    if hashlib.sha256(message).digest() != request.digest:
        raise FrostError("context message does not hash to the request digest")
    return message


def request_to_json(request: SigningRequest) -> dict[str, Any]:
    return {"request_id": request.request_id, "kind": request.kind.value,
            "digest": request.digest.hex(), "context": dict(request.context)}


def request_from_json(document: Mapping[str, Any]) -> SigningRequest:
    try:
        return SigningRequest(str(document["request_id"]), RequestKind(document["kind"]),
                              bytes.fromhex(document["digest"]), dict(document["context"]))
    except (KeyError, TypeError, ValueError):
        raise FrostError("signing request is malformed") from None
