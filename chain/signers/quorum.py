"""k-of-n Safe owners, each any `Signer`, asked at once; the first k valid signatures win.

The quorum reviews the request with its own policy before asking anyone (a refusal there means
no owner was contacted), then asks every owner concurrently, each under its own timeout. An
ECDSA signature counts only if it recovers to the owner that gave it; one that does not is
reported as `invalid` and never reaches the bundle. As soon as k valid signatures are in, the
owners still working are cancelled and the bundle is encoded in the Safe's owner order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from eth_keys.datatypes import Signature
from eth_keys.exceptions import BadSignature
from eth_typing import ChecksumAddress

from chain.errors import TerminalChainError
from chain.signers.base import (
    AllowAll,
    SafeSignature,
    SignatureKind,
    Signer,
    SigningPolicy,
    SigningRefused,
    SigningRequest,
)
from chain.signers.policy import SignerConfigError

log = logging.getLogger("chain.signers")

ContractCheck = Callable[[ChecksumAddress, bytes, bytes], Awaitable[bool]]


class Outcome(StrEnum):
    SIGNED = "signed"
    REFUSED = "refused"  # the owner's signer or its policy said no (rule given)
    TIMED_OUT = "timed_out"  # no answer within the per-owner timeout
    INVALID = "invalid"  # answered with a signature that is not the owner's
    FAILED = "failed"  # the signer raised something else (unreachable, bug)
    NOT_NEEDED = "not_needed"  # still working when k signatures were in; cancelled


@dataclass(frozen=True, slots=True)
class OwnerOutcome:
    """What one owner did with the request."""

    owner: ChecksumAddress
    signer: str
    outcome: Outcome
    rule: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class QuorumResult:
    """The Safe `signatures` bytes (exactly k owners, `used`) and every owner's outcome. More
    than k may show `signed` when several answered at the same moment; only k are used."""

    signatures: bytes
    used: tuple[SafeSignature, ...]
    outcomes: tuple[OwnerOutcome, ...]

    def owners(self, outcome: Outcome) -> list[ChecksumAddress]:
        return [o.owner for o in self.outcomes if o.outcome is outcome]

    @property
    def signed(self) -> list[ChecksumAddress]:
        return self.owners(Outcome.SIGNED)

    @property
    def refused(self) -> list[ChecksumAddress]:
        return self.owners(Outcome.REFUSED)

    @property
    def timed_out(self) -> list[ChecksumAddress]:
        return self.owners(Outcome.TIMED_OUT)


class QuorumNotReached(TerminalChainError):
    """Fewer than k owners produced a valid signature; `outcomes` says what each one did."""

    def __init__(self, request_id: str, threshold: int,
                 outcomes: Sequence[OwnerOutcome]) -> None:
        self.request_id = request_id
        self.threshold = threshold
        self.outcomes = tuple(outcomes)
        signed = sum(o.outcome is Outcome.SIGNED for o in outcomes)
        lines = "; ".join(
            f"{o.signer} ({o.owner}): {o.outcome.value}"
            + (f" [{o.rule}]" if o.rule else "") + (f" {o.detail}" if o.detail else "")
            for o in outcomes)
        super().__init__(f"request {request_id}: {signed} of the {threshold} signatures needed; "
                         f"{lines}")


def recover_owner(digest: bytes, data: bytes) -> ChecksumAddress | None:
    """The address whose key made the 65-byte r || s || v signature of `digest`, if any."""
    if len(data) != 65 or data[64] not in (27, 28):
        return None
    r, s = int.from_bytes(data[:32], "big"), int.from_bytes(data[32:64], "big")
    try:
        public = Signature(vrs=(data[64] - 27, r, s)).recover_public_key_from_msg_hash(
            digest)
    except (BadSignature, ValueError):
        return None
    address: ChecksumAddress = public.to_checksum_address()
    return address


class Quorum:
    """Collect a k-of-n Safe signature bundle from `signers` (one per owner)."""

    def __init__(self, signers: Sequence[Signer], threshold: int, timeout_s: float = 30.0,
                 policy: SigningPolicy | None = None, name: str = "quorum",
                 check_contract: ContractCheck | None = None) -> None:
        owners = [s.address for s in signers]
        if len(set(owners)) != len(owners):
            raise SignerConfigError(f"Quorum: each owner may appear once, got {owners}")
        if not 1 <= threshold <= len(signers):
            raise SignerConfigError(f"Quorum: threshold must be between 1 and {len(signers)}, "
                                    f"got {threshold}")
        if timeout_s <= 0:
            raise SignerConfigError(f"Quorum: timeout_s must be positive, got {timeout_s}")
        self.signers = tuple(signers)
        self.threshold = threshold
        self.timeout_s = timeout_s
        self.name = name
        self._policy: SigningPolicy = policy or AllowAll()
        self._check_contract = check_contract

    def __repr__(self) -> str:
        names = ", ".join(s.name for s in self.signers)
        return f"Quorum({self.threshold} of [{names}])"

    async def sign(self, request: SigningRequest) -> QuorumResult:
        """The Safe signature bundle for `request`, or `QuorumNotReached`."""
        self._policy.review(self.name, request)
        tasks = {asyncio.ensure_future(self._ask(signer, request)): signer
                 for signer in self.signers}
        outcomes: dict[ChecksumAddress, OwnerOutcome] = {}
        used: list[SafeSignature] = []
        pending = set(tasks)
        try:
            while pending and len(used) < self.threshold:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    outcome, signature = task.result()
                    outcomes[outcome.owner] = outcome
                    if signature is not None and len(used) < self.threshold:
                        used.append(signature)  # owners done in the same round beyond k: unused
        finally:
            for task in pending:
                task.cancel()
                signer = tasks[task]
                outcomes[signer.address] = OwnerOutcome(signer.address, signer.name,
                                                        Outcome.NOT_NEEDED)
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        ordered = tuple(outcomes[s.address] for s in self.signers)
        if len(used) < self.threshold:
            raise QuorumNotReached(request.request_id, self.threshold, ordered)
        from chain.wallet.safe import encode_signatures  # chain.wallet imports chain.signers

        used.sort(key=lambda s: int(s.owner, 16))
        return QuorumResult(encode_signatures(used), tuple(used), ordered)

    async def _ask(self, signer: Signer,
                   request: SigningRequest) -> tuple[OwnerOutcome, SafeSignature | None]:
        owner = signer.address
        try:
            signature = await asyncio.wait_for(signer.sign(request), self.timeout_s)
        except SigningRefused as refused:
            return OwnerOutcome(owner, signer.name, Outcome.REFUSED, refused.rule,
                                refused.detail), None
        except TimeoutError:
            return OwnerOutcome(owner, signer.name, Outcome.TIMED_OUT,
                                detail=f"no signature within {self.timeout_s:g} s"), None
        except Exception as failure:  # one broken owner must not sink the others
            log.warning("quorum %s: signer %s failed: %s", self.name, signer.name,
                        type(failure).__name__)
            return OwnerOutcome(owner, signer.name, Outcome.FAILED,
                                detail=f"{type(failure).__name__}: {failure}"), None
        problem = await self._invalid(signer, request, signature)
        if problem:
            log.warning("quorum %s: rejected signature from %s: %s", self.name, signer.name,
                        problem)
            return OwnerOutcome(owner, signer.name, Outcome.INVALID, detail=problem), None
        return OwnerOutcome(owner, signer.name, Outcome.SIGNED), signature

    async def _invalid(self, signer: Signer, request: SigningRequest,
                       signature: SafeSignature) -> str:
        if signature.owner != signer.address:
            return f"signature names owner {signature.owner}, signer is {signer.address}"
        if signature.kind is SignatureKind.ECDSA:
            recovered = recover_owner(request.digest, signature.data)
            if recovered != signer.address:
                return f"signature recovers to {recovered}, not to the owner {signer.address}"
            return ""
        if self._check_contract is not None and not await self._check_contract(
                signer.address, request.digest, signature.data):
            return "the owner contract's isValidSignature rejected the signature"
        return ""
