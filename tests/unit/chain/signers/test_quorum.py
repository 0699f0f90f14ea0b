"""Quorum: asks every owner at once, keeps the first k signatures that recover to their owner,
cancels the rest, and says what each owner did when k is not reached."""

from __future__ import annotations

import asyncio
import time

import pytest
from signer_fixtures import DIGEST, local_signer

from chain.signers import (
    LocalKeySigner,
    Outcome,
    Quorum,
    QuorumNotReached,
    RequestKind,
    SafeSignature,
    SigningRefused,
    SigningRequest,
    recover_owner,
)
from chain.signers.base import SignatureKind

REQUEST = SigningRequest("q1", RequestKind.MESSAGE, DIGEST, {})


class _Refusing:
    def review(self, signer: str, request: SigningRequest) -> None:
        raise SigningRefused(signer, "test_rule", "no")


class _Slow:
    """A real signer that answers late (a human approving, a distant HSM)."""

    def __init__(self, inner: LocalKeySigner, delay_s: float) -> None:
        self.inner, self.delay_s = inner, delay_s
        self.cancelled = False
        self.calls = 0

    name = property(lambda self: self.inner.name)
    address = property(lambda self: self.inner.address)
    public_key = property(lambda self: self.inner.public_key)

    async def sign(self, request: SigningRequest) -> SafeSignature:
        self.calls += 1
        try:
            await asyncio.sleep(self.delay_s)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return await self.inner.sign(request)


class _Impostor(_Slow):
    """Claims one owner's address but signs with another key."""

    def __init__(self, claimed: LocalKeySigner, actual: LocalKeySigner) -> None:
        super().__init__(actual, 0)
        self.claimed = claimed

    address = property(lambda self: self.claimed.address)

    async def sign(self, request: SigningRequest) -> SafeSignature:
        real = await self.inner.sign(request)
        return SafeSignature(self.claimed.address, SignatureKind.ECDSA, real.data)


async def test_sign_when_all_owners_sign_then_k_signatures_in_owner_order() -> None:
    owners = [local_signer(n) for n in ("alice", "bob", "carol")]
    result = await Quorum(owners, 2).sign(REQUEST)
    assert len(result.signatures) == 130 and len(result.used) == 2
    slots = [result.signatures[i:i + 65] for i in (0, 65)]
    recovered = [recover_owner(DIGEST, slot) for slot in slots]
    assert recovered == sorted(recovered, key=lambda a: int(str(a), 16))
    assert set(recovered) <= {o.address for o in owners}
    assert recovered == [s.owner for s in result.used]
    assert set(recovered) <= set(result.signed)


async def test_sign_when_one_owner_refuses_then_others_suffice_and_refusal_reported() -> None:
    owners = [local_signer("alice", policy=_Refusing()), local_signer("bob"),
              local_signer("carol")]
    result = await Quorum(owners, 2).sign(REQUEST)
    assert set(result.signed) == {owners[1].address, owners[2].address}
    assert result.refused == [owners[0].address]
    refusal = next(o for o in result.outcomes if o.outcome is Outcome.REFUSED)
    assert refusal.rule == "test_rule" and refusal.signer == "alice"


async def test_sign_when_k_are_in_then_slow_owner_is_cancelled_without_waiting() -> None:
    slow = _Slow(local_signer("carol"), delay_s=20)
    quorum = Quorum([local_signer("alice"), local_signer("bob"), slow], 2, timeout_s=30)
    started = time.perf_counter()
    result = await quorum.sign(REQUEST)
    assert time.perf_counter() - started < 5
    assert slow.cancelled and slow.calls == 1
    assert result.owners(Outcome.NOT_NEEDED) == [slow.address]


async def test_sign_when_owner_times_out_and_k_not_reached_then_error_lists_each_outcome() -> None:
    slow = _Slow(local_signer("carol"), delay_s=5)
    quorum = Quorum([local_signer("alice"), local_signer("bob", policy=_Refusing()), slow], 2,
                    timeout_s=0.2)
    with pytest.raises(QuorumNotReached) as failed:
        await quorum.sign(REQUEST)
    by_outcome = {o.signer: o.outcome for o in failed.value.outcomes}
    assert by_outcome == {"alice": Outcome.SIGNED, "bob": Outcome.REFUSED,
                          "carol": Outcome.TIMED_OUT}
    message = str(failed.value)
    assert "1 of the 2" in message and "[test_rule]" in message and "timed_out" in message


async def test_sign_when_signature_does_not_recover_to_owner_then_rejected_as_invalid() -> None:
    alice, mallory = local_signer("alice"), local_signer("mallory")
    impostor = _Impostor(claimed=alice, actual=mallory)
    quorum = Quorum([impostor, local_signer("bob"), local_signer("carol", policy=_Refusing())], 2)
    with pytest.raises(QuorumNotReached) as failed:
        await quorum.sign(REQUEST)
    invalid = next(o for o in failed.value.outcomes if o.signer == "mallory")
    assert invalid.outcome is Outcome.INVALID and invalid.owner == alice.address
    assert mallory.address in invalid.detail


async def test_sign_when_quorum_policy_refuses_then_no_owner_is_asked() -> None:
    owners = [_Slow(local_signer(n), 0) for n in ("alice", "bob", "carol")]
    with pytest.raises(SigningRefused, match="test_rule"):
        await Quorum(owners, 2, policy=_Refusing()).sign(REQUEST)
    assert [o.calls for o in owners] == [0, 0, 0]


def test_quorum_when_threshold_out_of_range_or_owner_twice_then_refused() -> None:
    alice = local_signer("alice")
    with pytest.raises(ValueError, match="threshold"):
        Quorum([alice], 2)
    with pytest.raises(ValueError, match="once"):
        Quorum([alice, local_signer("alice")], 1)
