"""FrostOwner on the devnet: the RFC 9591 vector signature verifies on chain, both EIP-1271
forms answer their magic values for a group signature, anything altered is refused, and the
constructor refuses keys the ecrecover check cannot serve."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.exceptions import ContractLogicError

from chain.compile import load_artifact
from chain.signers.frost import core
from chain.signers.frost.keys import KeyShare, trusted_dealer_keygen
from chain.signers.frost.owner import deploy_frost_owner, frost_owner_contract, with_y_hint

pytestmark = pytest.mark.integration

VECTOR = json.loads(Path("/work/shared/vectors/frost-secp256k1-sha256.json").read_text())
MAGIC, LEGACY_MAGIC, INVALID = "1626ba7e", "20c13b0b", "ffffffff"


def _sign(shares: list[KeyShare], msg: bytes) -> bytes:
    group = shares[0].group
    sessions = {s.identifier: core.commit(s.identifier, s.secret) for s in shares}
    ctx = core.SigningContext.derive(group.public_key,
                                     [sessions[i][1] for i in sorted(sessions)], msg)
    return core.aggregate(ctx, {s.identifier: core.sign_share(s.identifier, s.secret,
                                                              sessions[s.identifier][0], ctx)
                                for s in shares})


@pytest.fixture
def dealt() -> list[KeyShare]:
    while True:  # a key whose x is below the order (all but ~2^-128 of them)
        shares = trusted_dealer_keygen(2, 3)
        if int.from_bytes(core.serialize_element(shares[0].group.public_key)[1:], "big") < core.N:
            return shares


def _owner(w3: Web3, public_key: bytes) -> Any:
    return frost_owner_contract(w3, deploy_frost_owner(w3, public_key, w3.eth.accounts[0]))


def test_vector_signature_when_verified_on_chain_then_accepted_and_altered_refused(
    w3: Web3,
) -> None:
    owner = _owner(w3, bytes.fromhex(VECTOR["inputs"]["group_public_key"]))
    msg = bytes.fromhex(VECTOR["inputs"]["message"])
    signature = bytes.fromhex(VECTOR["final_output"]["sig"])
    assert owner.functions.publicKey().call().hex() == VECTOR["inputs"]["group_public_key"]
    assert owner.functions.verifyMessage(msg, signature).call() is True
    assert owner.functions.verifyMessage(msg + b"x", signature).call() is False
    bent = signature[:-1] + bytes([signature[-1] ^ 1])
    assert owner.functions.verifyMessage(msg, bent).call() is False


def test_both_eip1271_forms_when_group_signs_digest_then_magic_values(
    w3: Web3, dealt: list[KeyShare],
) -> None:
    public_key = core.serialize_element(dealt[0].group.public_key)
    owner = _owner(w3, public_key)
    data = b"\x19\x01" + bytes(range(64))  # Safe passes the EIP-712 data; the digest is its hash
    digest = Web3.keccak(data)
    signature = _sign([dealt[0], dealt[2]], digest)
    assert owner.functions.isValidSignature(digest, signature).call().hex() == MAGIC
    legacy = owner.get_function_by_signature("isValidSignature(bytes,bytes)")
    assert legacy(data, signature).call().hex() == LEGACY_MAGIC
    assert legacy(data + b"\x00", signature).call().hex() == INVALID
    other = Web3.keccak(b"another digest")
    assert owner.functions.isValidSignature(other, signature).call().hex() == INVALID


def test_verify_when_random_mutations_then_chain_agrees_with_python(
    w3: Web3, dealt: list[KeyShare],
) -> None:
    group_key = dealt[0].group.public_key
    owner = _owner(w3, core.serialize_element(group_key))
    rng = random.Random(9591)
    for _ in range(12):
        digest = rng.randbytes(32)
        signature = bytearray(_sign(dealt[:2], digest))
        assert owner.functions.verify(digest, bytes(signature)).call() is True
        position = rng.randrange(65)
        signature[position] ^= 1 << rng.randrange(8)
        expected = core.verify(group_key, digest, bytes(signature))
        assert owner.functions.verify(digest, bytes(signature)).call() is expected is False
    z_too_big = _sign(dealt[:2], b"\x07" * 32)[:33] + core.N.to_bytes(32, "big")
    assert owner.functions.verify(b"\x07" * 32, z_too_big).call() is False
    with pytest.raises(ContractLogicError):
        owner.functions.verify(b"\x07" * 32, z_too_big[:64]).call()


def _point_with_x_at_or_above_order() -> bytes:
    for x in range(core.N, core.P):
        rhs = (pow(x, 3, core.P) + 7) % core.P
        y = pow(rhs, (core.P + 1) // 4, core.P)
        if y * y % core.P == rhs:
            return b"\x02" + x.to_bytes(32, "big")
    raise AssertionError("unreachable: about half of all x are on the curve")


@pytest.mark.parametrize("key, error", [
    (_point_with_x_at_or_above_order(), "PublicKeyNotBelowOrder"),
    (b"\x04" + b"\x01" * 32, "PublicKeyNotCompressed"),
    (b"\x02" + (5).to_bytes(32, "big"), "PublicKeyNotOnCurve"),
])
def test_constructor_when_key_unusable_then_custom_error(w3: Web3, key: bytes,
                                                         error: str) -> None:
    artifact = load_artifact("FrostOwner")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    selector = "0x" + Web3.keccak(text=f"{error}(" + ",".join(
        i["type"] for e in artifact.abi if e.get("name") == error
        for i in e["inputs"]) + ")")[:4].hex()
    with pytest.raises(Exception) as refused:
        factory.constructor(key).estimate_gas({"from": w3.eth.accounts[0]})
    assert selector in str(refused.value)


def test_y_hint_when_correct_then_accepted_and_when_other_root_or_off_curve_then_refused(
    w3: Web3, dealt: list[KeyShare],
) -> None:
    owner = _owner(w3, core.serialize_element(dealt[0].group.public_key))
    digest = Web3.keccak(b"hinted")
    hinted = with_y_hint(_sign(dealt[1:], digest))
    assert len(hinted) == 97
    assert owner.functions.verify(digest, hinted).call() is True
    assert owner.functions.isValidSignature(digest, hinted).call().hex() == MAGIC
    y = int.from_bytes(hinted[65:], "big")
    other_root = hinted[:65] + (core.P - y).to_bytes(32, "big")
    assert owner.functions.verify(digest, other_root).call() is False
    off_curve = hinted[:65] + (y ^ 2).to_bytes(32, "big")
    assert owner.functions.verify(digest, off_curve).call() is False
    assert owner.functions.verify(Web3.keccak(b"other"), hinted).call() is False
