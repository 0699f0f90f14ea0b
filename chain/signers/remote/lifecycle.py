"""The life of one signing request in the service, as custody APIs model it.

    submitted --policy passes--> policy_checked --no approval needed--> approved
    submitted --policy refuses--> rejected
    policy_checked --approval needed--> pending_approval
    pending_approval --enough distinct approvals--> approved
    pending_approval --an approver rejects--> rejected
    pending_approval --time to live passes--> expired
    approved --the key signs--> signed
    approved --the key's own policy refuses, or the key fails--> rejected

Any other (status, event) pair is a bug and raises. `signed`, `rejected` and `expired` are final.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3

from chain.errors import TerminalChainError
from chain.signers.base import RequestKind, SafeSignature, SignatureKind, SigningRequest


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    POLICY_CHECKED = "policy_checked"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SIGNED = "signed"
    REJECTED = "rejected"
    EXPIRED = "expired"


class RequestEvent(StrEnum):
    POLICY_PASSED = "policy_passed"
    POLICY_REFUSED = "policy_refused"
    APPROVAL_NEEDED = "approval_needed"
    NO_APPROVAL_NEEDED = "no_approval_needed"
    APPROVALS_REACHED = "approvals_reached"
    APPROVER_REJECTED = "approver_rejected"
    TTL_PASSED = "ttl_passed"
    SIGNED = "signed"
    SIGNER_REFUSED = "signer_refused"  # the key's own policy (e.g. its rate limit) said no
    SIGNER_FAILED = "signer_failed"  # the key could not be used (e.g. an HSM did not answer)


S, E = RequestStatus, RequestEvent
TRANSITIONS: dict[tuple[RequestStatus, RequestEvent], RequestStatus] = {
    (S.SUBMITTED, E.POLICY_PASSED): S.POLICY_CHECKED,
    (S.SUBMITTED, E.POLICY_REFUSED): S.REJECTED,
    (S.POLICY_CHECKED, E.APPROVAL_NEEDED): S.PENDING_APPROVAL,
    (S.POLICY_CHECKED, E.NO_APPROVAL_NEEDED): S.APPROVED,
    (S.PENDING_APPROVAL, E.APPROVALS_REACHED): S.APPROVED,
    (S.PENDING_APPROVAL, E.APPROVER_REJECTED): S.REJECTED,
    (S.PENDING_APPROVAL, E.TTL_PASSED): S.EXPIRED,
    (S.APPROVED, E.SIGNED): S.SIGNED,
    (S.APPROVED, E.SIGNER_REFUSED): S.REJECTED,
    (S.APPROVED, E.SIGNER_FAILED): S.REJECTED,
}
FINAL = frozenset({S.SIGNED, S.REJECTED, S.EXPIRED})


class InvalidTransition(TerminalChainError):
    """An event that the lifecycle does not allow in the record's status."""


@dataclass
class SigningRecord:
    """One request as the service tracks it; `changed` is set whenever the status moves."""

    request: SigningRequest
    submitted_by: str
    expires_at_s: float
    approvals_needed: int = 0
    status: RequestStatus = RequestStatus.SUBMITTED
    approvals: list[str] = field(default_factory=list)
    signature: SafeSignature | None = None
    rule: str = ""
    detail: str = ""
    history: list[tuple[RequestStatus, float]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def apply(self, event: RequestEvent, at_s: float) -> None:
        """Move to the status the table gives for `event`, and wake the waiters."""
        following = TRANSITIONS.get((self.status, event))
        if following is None:
            raise InvalidTransition(f"request {self.request.request_id}: {event.value} is not "
                                    f"allowed in status {self.status.value}")
        self.status = following
        self.history.append((following, at_s))
        woken, self.changed = self.changed, asyncio.Event()
        woken.set()

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request.request_id, "kind": self.request.kind.value,
            "digest": "0x" + self.request.digest.hex(), "status": self.status.value,
            "approvals_needed": self.approvals_needed, "approvals": list(self.approvals),
            "signature": None if self.signature is None else signature_to_json(self.signature),
            "rule": self.rule, "detail": self.detail, "expires_at_s": self.expires_at_s,
            "history": [{"status": s.value, "at_s": t} for s, t in self.history],
        }


def _hex(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    raise TypeError(f"cannot encode {type(value).__name__} in a signing request")


def request_to_json(request: SigningRequest) -> dict[str, Any]:
    return {"request_id": request.request_id, "kind": request.kind.value,
            "digest": "0x" + request.digest.hex(), "context": dict(request.context)}


def request_from_json(document: Any) -> SigningRequest:
    """A request from its wire form; ValueError naming the field when it is malformed."""
    if not isinstance(document, dict):
        raise ValueError("body must be a JSON object")
    request_id = document.get("request_id")
    if not isinstance(request_id, str) or not 1 <= len(request_id) <= 200:
        raise ValueError("request_id must be a string of 1 to 200 characters")
    try:
        kind = RequestKind(str(document.get("kind")))
    except ValueError:
        raise ValueError(f"kind must be one of {[k.value for k in RequestKind]}") from None
    digest = document.get("digest")
    if not isinstance(digest, str) or not digest.startswith("0x") or len(digest) != 66:
        raise ValueError("digest must be 32 bytes as 0x-hex")
    context = document.get("context", {})
    if not isinstance(context, dict):
        raise ValueError("context must be a JSON object")
    return SigningRequest(request_id, kind, bytes.fromhex(digest[2:]), context)


def signature_to_json(signature: SafeSignature) -> dict[str, Any]:
    return {"owner": signature.owner, "kind": signature.kind.value,
            "data": "0x" + signature.data.hex()}


def signature_from_json(document: Any) -> SafeSignature:
    owner: ChecksumAddress = Web3.to_checksum_address(document["owner"])
    return SafeSignature(owner, SignatureKind(document["kind"]),
                         bytes.fromhex(document["data"][2:]))


json_default = _hex
