"""The one Signer protocol: every way Crossbook signs (a local key, k-of-n owners, a remote
custody service, a FROST threshold group) answers the same three questions.

- who am I: the owner address the Safe knows, and the public key when there is one;
- sign this: a 32-byte digest, always with the request that explains it (the decoded Safe
  transaction, or the message), so a policy can refuse before anything is signed;
- in what form: an owner signature in the shape the Safe verifies (`SafeSignature`).

A signer never signs what its policy has not seen: `sign` raises `SigningRefused` naming the
rule. Keys and key shares never appear in reprs, logs or errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from eth_typing import ChecksumAddress

from chain.errors import TerminalChainError


class SigningRefused(TerminalChainError):
    """A signer (or its policy) refused a request; `rule` names what it broke."""

    def __init__(self, signer: str, rule: str, detail: str) -> None:
        self.signer = signer
        self.rule = rule
        self.detail = detail
        super().__init__(f"{signer} refused to sign: {rule}: {detail}")


class RequestKind(StrEnum):
    SAFE_TX = "safe_tx"  # the EIP-712 SafeTx hash of a decoded Safe transaction
    MESSAGE = "message"  # an arbitrary message digest (e.g. an operator attestation)


@dataclass(frozen=True, slots=True)
class SigningRequest:
    """What is being signed, and why.

    `digest` is exactly the 32 bytes signed. For a SAFE_TX it is the SafeTx EIP-712 hash and
    `context` holds the decoded transaction: `safe`, `chain_id`, `to`, `value`, `data` (hex),
    `operation` (0 call, 1 delegatecall), `nonce`, and `calls`, the decoded inner calls (target,
    selector, function name, arguments) that a policy checks. `request_id` is unique per request
    and is what a remote service and the audit log key on.
    """

    request_id: str
    kind: RequestKind
    digest: bytes
    context: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.digest) != 32:
            raise ValueError(f"digest must be 32 bytes, got {len(self.digest)}")


class SignatureKind(StrEnum):
    ECDSA = "ecdsa"  # 65 bytes r || s || v with v in {27, 28}, over the digest itself
    CONTRACT = "contract"  # EIP-1271: `data` is checked by the owner contract's isValidSignature


@dataclass(frozen=True, slots=True)
class SafeSignature:
    """One owner's signature as the Safe checks it (Safe 1.4.1 `checkNSignatures`)."""

    owner: ChecksumAddress
    kind: SignatureKind
    data: bytes


class SigningPolicy(Protocol):
    """Sees every request before it is signed; raises `SigningRefused` to refuse it."""

    def review(self, signer: str, request: SigningRequest) -> None: ...


class AllowAll:
    """A policy that refuses nothing: for tests and for signers guarded elsewhere."""

    def review(self, signer: str, request: SigningRequest) -> None:
        return None


@runtime_checkable
class Signer(Protocol):
    """Anything that can produce a Safe owner's signature for a reviewed request."""

    @property
    def name(self) -> str: ...

    @property
    def address(self) -> ChecksumAddress: ...

    @property
    def public_key(self) -> bytes | None: ...  # compressed secp256k1 (33 bytes) when known

    async def sign(self, request: SigningRequest) -> SafeSignature: ...
