"""Properties of the FROST core over random keys, signer sets and messages (seeded):

- any t of n dealer shares sign a signature that verifies under the group key, and their
  Lagrange combination is the group secret;
- flipping any bit of a signature, or changing the message, makes verification fail;
- a share from any one signer altered by any non-zero amount is caught and attributed to it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chain.signers.frost import core
from chain.signers.frost.keys import KeyShare, trusted_dealer_keygen


@st.composite
def signing_sets(draw: st.DrawFn) -> tuple[int, int, list[int], int]:
    n = draw(st.integers(2, 7))
    t = draw(st.integers(2, n))
    ids = sorted(draw(st.lists(st.integers(1, n), min_size=t, max_size=t, unique=True)))
    secret = draw(st.integers(1, core.N - 1))
    return t, n, ids, secret


def _session(shares: list[KeyShare], msg: bytes) -> tuple[core.SigningContext, dict[int, int]]:
    group = shares[0].group
    rounds = {s.identifier: core.commit(s.identifier, s.secret) for s in shares}
    ctx = core.SigningContext.derive(group.public_key,
                                     [rounds[i][1] for i in sorted(rounds)], msg)
    return ctx, {s.identifier: core.sign_share(s.identifier, s.secret, rounds[s.identifier][0],
                                               ctx) for s in shares}


@settings(derandomize=True, max_examples=40, deadline=None)
@given(signing_sets(), st.binary(min_size=0, max_size=80))
def test_any_t_of_n_when_signing_then_verifies_and_interpolates_to_the_secret(
    case: tuple[int, int, list[int], int], msg: bytes,
) -> None:
    t, n, ids, secret = case
    shares = [s for s in trusted_dealer_keygen(t, n, secret) if s.identifier in ids]
    combined = sum(core.derive_interpolating_value(ids, s.identifier) * s.secret
                   for s in shares) % core.N
    assert combined == secret
    ctx, sig_shares = _session(shares, msg)
    signature = core.aggregate(ctx, sig_shares)
    assert core.verify(shares[0].group.public_key, msg, signature)
    assert not core.verify(shares[0].group.public_key, msg + b"\x00", signature)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.integers(0, 65 * 8 - 1), st.binary(min_size=32, max_size=32))
def test_signature_when_any_bit_flipped_then_rejected(bit: int, msg: bytes) -> None:
    shares = trusted_dealer_keygen(2, 3, secret=0xC0FFEE)[:2]
    ctx, sig_shares = _session(shares, msg)
    signature = bytearray(core.aggregate(ctx, sig_shares))
    signature[bit // 8] ^= 1 << (bit % 8)
    assert not core.verify(shares[0].group.public_key, msg, bytes(signature))


@settings(derandomize=True, max_examples=30, deadline=None)
@given(signing_sets(), st.integers(1, core.N - 1), st.data())
def test_share_when_altered_then_caught_and_attributed(
    case: tuple[int, int, list[int], int], delta: int, data: st.DataObject,
) -> None:
    t, n, ids, secret = case
    shares = [s for s in trusted_dealer_keygen(t, n, secret) if s.identifier in ids]
    ctx, sig_shares = _session(shares, b"msg")
    culprit = data.draw(st.sampled_from(ids))
    bent = (sig_shares[culprit] + delta) % core.N
    group = shares[0].group
    for i, z in sig_shares.items():
        if i != culprit:
            core.verify_signature_share(i, group.verifying_shares[i], z, ctx)
    try:
        core.verify_signature_share(culprit, group.verifying_shares[culprit], bent, ctx)
    except core.InvalidSignatureShare as caught:
        assert caught.identifier == culprit
    else:
        raise AssertionError("an altered share verified")
