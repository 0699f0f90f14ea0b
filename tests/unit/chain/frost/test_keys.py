"""Trusted dealer and DKG: shares interpolate to one key, proofs of possession and VSS checks
catch a cheating participant by name, and key shares never show their secret."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from chain.signers.frost import core
from chain.signers.frost.keys import (
    DkgComplaint,
    KeyShare,
    Round1Package,
    dkg_finish,
    dkg_round1,
    dkg_round2,
    trusted_dealer_keygen,
)


def _sign_with(shares: list[KeyShare], msg: bytes) -> bytes:
    group = shares[0].group
    sessions = {s.identifier: core.commit(s.identifier, s.secret) for s in shares}
    ctx = core.SigningContext.derive(group.public_key,
                                     [sessions[i][1] for i in sorted(sessions)], msg)
    sig_shares = {s.identifier: core.sign_share(s.identifier, s.secret,
                                                sessions[s.identifier][0], ctx) for s in shares}
    for i, z in sig_shares.items():
        core.verify_signature_share(i, group.verifying_shares[i], z, ctx)
    return core.aggregate(ctx, sig_shares)


def _run_dkg(threshold: int, signers: int) -> list[KeyShare]:
    round1 = {i: dkg_round1(i, threshold, signers) for i in range(1, signers + 1)}
    packages = {i: pkg for i, (_, pkg) in round1.items()}
    outgoing = {i: dkg_round2(secret, packages, signers) for i, (secret, _) in round1.items()}
    return [dkg_finish(secret, packages,
                       {sender: outgoing[sender][i] for sender in outgoing if sender != i})
            for i, (secret, _) in round1.items()]


def test_dkg_3_of_5_when_any_three_sign_then_signature_verifies_under_group_key() -> None:
    shares = _run_dkg(3, 5)
    group = shares[0].group
    assert all(s.group == group for s in shares)
    for subset in ([0, 1, 2], [0, 2, 4], [2, 3, 4]):
        signature = _sign_with([shares[k] for k in subset], b"m" * 32)
        assert core.verify(group.public_key, b"m" * 32, signature)


def test_dkg_when_no_party_holds_the_key_then_only_t_shares_reconstruct_it() -> None:
    shares = _run_dkg(2, 3)
    ids = [1, 2]
    secret = sum(core.derive_interpolating_value(ids, i) * shares[i - 1].secret
                 for i in ids) % core.N
    assert core.same(core.base_mult(secret), shares[0].group.public_key)
    assert all(not core.same(core.base_mult(s.secret), shares[0].group.public_key)
               for s in shares)


def test_dkg_when_proof_of_possession_forged_then_complaint_names_sender() -> None:
    round1 = {i: dkg_round1(i, 2, 3) for i in (1, 2, 3)}
    packages = {i: pkg for i, (_, pkg) in round1.items()}
    forged = packages[2]
    packages[2] = Round1Package(2, forged.commitments, forged.proof_r,
                                (forged.proof_mu + 1) % core.N)
    with pytest.raises(DkgComplaint) as complaint:
        dkg_round2(round1[1][0], packages, 3)
    assert complaint.value.accused == 2


def test_dkg_when_private_share_tampered_then_receiver_names_sender() -> None:
    round1 = {i: dkg_round1(i, 2, 3) for i in (1, 2, 3)}
    packages = {i: pkg for i, (_, pkg) in round1.items()}
    outgoing = {i: dkg_round2(secret, packages, 3) for i, (secret, _) in round1.items()}
    received = {2: outgoing[2][1], 3: (outgoing[3][1] + 1) % core.N}
    with pytest.raises(DkgComplaint) as complaint:
        dkg_finish(round1[1][0], packages, received)
    assert complaint.value.accused == 3


def test_key_share_when_written_then_mode_0600_and_repr_hides_secret(tmp_path: Path) -> None:
    share = trusted_dealer_keygen(2, 3)[0]
    path = share.write(tmp_path / "share-1.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert KeyShare.read(path).secret == share.secret
    secret_hex = core.serialize_scalar(share.secret).hex()
    assert secret_hex not in repr(share) and str(share.secret) not in repr(share)
    assert "<secret>" in repr(share)


def test_key_share_when_secret_does_not_match_verifying_share_then_refused() -> None:
    share = trusted_dealer_keygen(2, 3)[0]
    with pytest.raises(core.FrostError, match="does not match"):
        KeyShare(share.identifier, share.group, (share.secret + 1) % core.N)
