"""RFC 9591 Appendix E.5 test vector for FROST(secp256k1, SHA-256), reproduced value by value
(source: /work/shared/vectors/frost-secp256k1-sha256.json, copied from the RFC)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chain.signers.frost import core
from chain.signers.frost.core import (
    Nonces,
    SigningContext,
    base_mult,
    binding_factor_input,
    nonce_generate,
    serialize_element,
    serialize_scalar,
)
from chain.signers.frost.keys import trusted_dealer_keygen

VECTOR_PATH = Path("/work/shared/vectors/frost-secp256k1-sha256.json")


@pytest.fixture(scope="module")
def vector() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(VECTOR_PATH.read_text())
    return document


def _int(hex_value: str) -> int:
    return int(hex_value, 16)


def test_vector_config_is_this_suite(vector: dict[str, Any]) -> None:
    assert vector["config"]["name"] == "FROST(secp256k1, SHA-256)"
    assert core.CONTEXT_STRING == b"FROST-secp256k1-SHA256-v1"


def test_dealer_when_given_vector_secret_and_coefficients_then_shares_and_key_match(
    vector: dict[str, Any],
) -> None:
    inputs = vector["inputs"]
    shares = trusted_dealer_keygen(
        int(vector["config"]["MIN_PARTICIPANTS"]), int(vector["config"]["MAX_PARTICIPANTS"]),
        _int(inputs["group_secret_key"]),
        [_int(c) for c in inputs["share_polynomial_coefficients"]])
    group_key = serialize_element(shares[0].group.public_key).hex()
    assert group_key == inputs["group_public_key"]
    assert group_key == serialize_element(base_mult(_int(inputs["group_secret_key"]))).hex()
    for share, expected in zip(shares, inputs["participant_shares"], strict=True):
        assert share.identifier == expected["identifier"]
        assert serialize_scalar(share.secret).hex() == expected["participant_share"]


def test_round_one_when_given_vector_randomness_then_nonces_and_commitments_match(
    vector: dict[str, Any],
) -> None:
    shares = {s["identifier"]: _int(s["participant_share"])
              for s in vector["inputs"]["participant_shares"]}
    for out in vector["round_one_outputs"]["outputs"]:
        secret = shares[out["identifier"]]
        hiding = nonce_generate(secret, bytes.fromhex(out["hiding_nonce_randomness"]))
        binding = nonce_generate(secret, bytes.fromhex(out["binding_nonce_randomness"]))
        assert serialize_scalar(hiding).hex() == out["hiding_nonce"]
        assert serialize_scalar(binding).hex() == out["binding_nonce"]
        commitment = core.commitment_of(out["identifier"], Nonces(hiding, binding))
        assert serialize_element(commitment.hiding).hex() == out["hiding_nonce_commitment"]
        assert serialize_element(commitment.binding).hex() == out["binding_nonce_commitment"]


def _session(vector: dict[str, Any]) -> tuple[SigningContext, dict[int, Nonces]]:
    group_key = core.deserialize_element(bytes.fromhex(vector["inputs"]["group_public_key"]))
    nonces = {o["identifier"]: Nonces(_int(o["hiding_nonce"]), _int(o["binding_nonce"]))
              for o in vector["round_one_outputs"]["outputs"]}
    commitments = [core.commitment_of(i, n) for i, n in sorted(nonces.items())]
    msg = bytes.fromhex(vector["inputs"]["message"])
    return SigningContext.derive(group_key, commitments, msg), nonces


def test_binding_factor_inputs_and_factors_match(vector: dict[str, Any]) -> None:
    ctx, _ = _session(vector)
    for out in vector["round_one_outputs"]["outputs"]:
        rho_input = binding_factor_input(ctx.group_public_key, list(ctx.commitments), ctx.msg,
                                         out["identifier"])
        assert rho_input.hex() == out["binding_factor_input"]
        assert core.h1(rho_input) == _int(out["binding_factor"])
        assert serialize_scalar(ctx.binding_factors[out["identifier"]]).hex() == \
            out["binding_factor"]


def test_round_two_shares_verify_and_aggregate_to_the_vector_signature(
    vector: dict[str, Any],
) -> None:
    ctx, nonces = _session(vector)
    shares = {s["identifier"]: _int(s["participant_share"])
              for s in vector["inputs"]["participant_shares"]}
    assert ctx.participants == vector["inputs"]["participant_list"]
    dealt = trusted_dealer_keygen(2, 3, _int(vector["inputs"]["group_secret_key"]),
                                  [_int(c) for c in
                                   vector["inputs"]["share_polynomial_coefficients"]])
    sig_shares: dict[int, int] = {}
    for out in vector["round_two_outputs"]["outputs"]:
        i = out["identifier"]
        sig_shares[i] = core.sign_share(i, shares[i], nonces[i], ctx)
        assert serialize_scalar(sig_shares[i]).hex() == out["sig_share"]
        core.verify_signature_share(i, dealt[0].group.verifying_shares[i], sig_shares[i], ctx)
    signature = core.aggregate(ctx, sig_shares)
    assert signature.hex() == vector["final_output"]["sig"]
    assert core.verify(ctx.group_public_key, ctx.msg, signature)


def test_verify_when_message_or_signature_changes_then_rejects(vector: dict[str, Any]) -> None:
    group_key = core.deserialize_element(bytes.fromhex(vector["inputs"]["group_public_key"]))
    signature = bytes.fromhex(vector["final_output"]["sig"])
    msg = bytes.fromhex(vector["inputs"]["message"])
    assert core.verify(group_key, msg, signature)
    assert not core.verify(group_key, msg + b"!", signature)
    bent = signature[:-1] + bytes([signature[-1] ^ 1])
    assert not core.verify(group_key, msg, bent)
    assert not core.verify(group_key, msg, signature[:64])


def test_expand_message_xmd_matches_rfc9380_k1_vector() -> None:
    # RFC 9380 Appendix K.1 (expand_message_xmd, SHA-256), msg "abc", len_in_bytes 0x20.
    dst = b"QUUX-V01-CS02-with-expander-SHA256-128"
    assert core.expand_message_xmd(b"abc", dst, 0x20).hex() == (
        "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615")


def test_verify_share_when_share_tampered_then_names_its_sender(vector: dict[str, Any]) -> None:
    ctx, nonces = _session(vector)
    dealt = trusted_dealer_keygen(2, 3, _int(vector["inputs"]["group_secret_key"]),
                                  [_int(c) for c in
                                   vector["inputs"]["share_polynomial_coefficients"]])
    good = core.sign_share(3, dealt[2].secret, nonces[3], ctx)
    with pytest.raises(core.InvalidSignatureShare) as bad:
        core.verify_signature_share(3, dealt[2].group.verifying_shares[3], good + 1, ctx)
    assert bad.value.identifier == 3
    # the honest share of the other signer still verifies against its own verifying share
    honest = core.sign_share(1, dealt[0].secret, nonces[1], ctx)
    core.verify_signature_share(1, dealt[0].group.verifying_shares[1], honest, ctx)

