"""Request authentication between a signing client and the signing service: HMAC-SHA256.

Each caller has a key id and a shared secret. A request carries

    X-Crossbook-Key:        the key id
    X-Crossbook-Timestamp:  unix seconds when it was made
    X-Crossbook-Signature:  hex HMAC-SHA256(secret, METHOD \\n PATH \\n TIMESTAMP \\n BODY)

The service recomputes the MAC with the caller's secret (constant-time compare) and refuses a
timestamp further than `max_skew_s` from its clock, so a captured request stops working soon.
A replay inside that window is harmless: submissions are idempotent by request id and an
approver's approval counts once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from chain.errors import TerminalChainError

KEY_HEADER = "X-Crossbook-Key"
TIMESTAMP_HEADER = "X-Crossbook-Timestamp"
SIGNATURE_HEADER = "X-Crossbook-Signature"


class AuthFailed(TerminalChainError):
    """The request's credentials are missing, stale or wrong (`reason` says which)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def mac(secret: bytes, method: str, path: str, timestamp: int, body: bytes) -> str:
    """The hex MAC of one request."""
    message = f"{method.upper()}\n{path}\n{timestamp}\n".encode() + body
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def auth_headers(key_id: str, secret: bytes, method: str, path: str, body: bytes,
                 now_s: float) -> dict[str, str]:
    """The headers that authenticate a request made at `now_s`."""
    timestamp = int(now_s)
    return {KEY_HEADER: key_id, TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: mac(secret, method, path, timestamp, body)}


def verify(headers: Mapping[str, str], secrets: Mapping[str, bytes], method: str, path: str,
           body: bytes, now_s: float, max_skew_s: float = 30.0) -> str:
    """The key id of an authentic request; `AuthFailed` otherwise."""
    key_id = headers.get(KEY_HEADER, "")
    secret = secrets.get(key_id)
    if secret is None:
        raise AuthFailed("unknown or missing key id")
    try:
        timestamp = int(headers.get(TIMESTAMP_HEADER, ""))
    except ValueError:
        raise AuthFailed("missing or malformed timestamp") from None
    if abs(now_s - timestamp) > max_skew_s:
        raise AuthFailed(f"timestamp more than {max_skew_s:g} s from the service clock")
    expected = mac(secret, method, path, timestamp, body)
    if not hmac.compare_digest(expected, headers.get(SIGNATURE_HEADER, "")):
        raise AuthFailed("bad signature")
    return key_id
