"""Sealed envelopes and encrypted DKG shares: forgery, alteration and misdirection fail."""

from __future__ import annotations

import pytest
from coincurve import PrivateKey

from chain.signers.frost import core, wire


def test_envelope_when_body_altered_or_signer_swapped_then_refused() -> None:
    alice, mallory = PrivateKey(), PrivateKey()
    sealed = wire.seal(alice, {"round": 1, "value": "a"})
    alice_key = alice.public_key.format().hex()
    assert wire.open_envelope(sealed, alice_key) == {"round": 1, "value": "a"}
    altered = {**sealed, "body": {"round": 1, "value": "b"}}
    with pytest.raises(core.FrostError, match="does not verify"):
        wire.open_envelope(altered, alice_key)
    forged = wire.seal(mallory, {"round": 1, "value": "a"})
    with pytest.raises(core.FrostError, match="not in the roster"):
        wire.open_envelope(forged, alice_key)
    with pytest.raises(core.FrostError, match="malformed"):
        wire.open_envelope({"body": {}}, alice_key)


def test_encrypted_share_when_decrypted_by_receiver_then_plain_else_mac_fails() -> None:
    sender, receiver, eve = PrivateKey(), PrivateKey(), PrivateKey()
    share = core.serialize_scalar(0xABCDEF)
    sealed = wire.encrypt_share(sender, receiver.public_key.format().hex(), "s", 1, 2, share)
    assert share.hex() not in sealed
    sender_key = sender.public_key.format().hex()
    assert wire.decrypt_share(receiver, sender_key, "s", 1, 2, sealed) == share
    with pytest.raises(core.FrostError, match="MAC"):
        wire.decrypt_share(eve, sender_key, "s", 1, 2, sealed)
    with pytest.raises(core.FrostError, match="MAC"):
        wire.decrypt_share(receiver, sender_key, "other-session", 1, 2, sealed)
    flipped = ("0" if sealed[0] != "0" else "1") + sealed[1:]
    with pytest.raises(core.FrostError, match="MAC"):
        wire.decrypt_share(receiver, sender_key, "s", 1, 2, flipped)


def test_commitment_when_round_tripped_then_equal_and_garbage_refused() -> None:
    _, commitment = core.commit(4, 0x99)
    back = wire.commitment_from_json(wire.commitment_to_json(commitment))
    assert back.identifier == 4 and core.same(back.hiding, commitment.hiding)
    with pytest.raises(core.FrostError):
        wire.commitment_from_json({"identifier": 1, "hiding": "02" + "00" * 32,
                                   "binding": "zz"})


def test_auth_when_mac_wrong_stale_or_missing_then_refused() -> None:
    key = b"k" * 32
    message = wire.with_auth({"op": "commit", "request_id": "r"}, key)
    wire.check_auth(message, key)
    with pytest.raises(wire.AuthFailed, match="wrong"):
        wire.check_auth({**message, "request_id": "other"}, key)
    with pytest.raises(wire.AuthFailed, match="wrong"):
        wire.check_auth(message, b"x" * 32)
    stale = {**message, "auth": {**message["auth"],
                                 "ts": message["auth"]["ts"] - wire.AUTH_MAX_SKEW_S - 5}}
    with pytest.raises(wire.AuthFailed, match="stale"):
        wire.check_auth(stale, key)
    with pytest.raises(wire.AuthFailed, match="no auth"):
        wire.check_auth({"op": "commit"}, key)
