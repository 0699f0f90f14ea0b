"""FrostSigner keeps the Signer protocol's promises, adapted to a contract owner: it is a
`Signer`, its address is its FrostOwner, its public key is the group key, its signature is a
CONTRACT signature that verifies over the digest itself, and a policy refusal at the
participants is a `SigningRefused` naming the rule, with no signature."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from frost_helpers import in_process_nodes
from web3 import Web3

from chain.signers.base import (
    RequestKind,
    SignatureKind,
    Signer,
    SigningRefused,
    SigningRequest,
)
from chain.signers.frost import core, keys
from chain.signers.frost.coordinator import Coordinator
from chain.signers.frost.owner import FrostSigner, with_y_hint

OWNER = Web3.to_checksum_address("0x" + "0f" * 20)
DIGEST = bytes(range(32))


def _deal(directory: Path) -> keys.GroupKey:
    directory.mkdir(parents=True, exist_ok=True)
    shares = keys.trusted_dealer_keygen(2, 3)
    for share in shares:
        share.write(directory / f"share-{share.identifier}.json")
    return shares[0].group


async def test_frost_signer_when_signing_then_contract_signature_over_the_digest(
    tmp_path: Path,
) -> None:
    # A MESSAGE request (participants allow messages); Safe transactions reviewed by the
    # participants' guard rules are in tests/integration/test_frost_safe.py.
    group = _deal(tmp_path)
    async with in_process_nodes(tmp_path, [1, 3]) as (_, endpoints):
        signer = FrostSigner("frost", OWNER, Coordinator(group, endpoints))
        assert isinstance(signer, Signer) and signer.name == "frost"
        assert signer.address == OWNER
        assert signer.public_key == core.serialize_element(group.public_key)
        signature = await signer.sign(SigningRequest("r", RequestKind.MESSAGE, DIGEST, {}))
    assert signature.owner == OWNER and signature.kind is SignatureKind.CONTRACT
    assert len(signature.data) == 97 and with_y_hint(signature.data[:65]) == signature.data
    assert core.verify(group.public_key, DIGEST, signature.data[:65])


async def test_frost_signer_when_participant_policy_refuses_then_rule_named(
    tmp_path: Path,
) -> None:
    group = _deal(tmp_path)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"max_value": 0}))
    async with in_process_nodes(tmp_path, [1, 2], policy=policy,
                                allow_messages=False) as (_, endpoints):
        signer = FrostSigner("frost", OWNER, Coordinator(group, endpoints))
        with pytest.raises(SigningRefused) as refused:
            await signer.sign(SigningRequest("r", RequestKind.MESSAGE, DIGEST, {}))
    assert refused.value.rule == "message_kind"
    assert refused.value.signer in ("frost-1", "frost-2")


def test_policy_file_when_unknown_key_then_refused(tmp_path: Path) -> None:
    from chain.signers.frost.node import policy_from_file

    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"allow_everything": True}))
    with pytest.raises(core.FrostError, match="unknown keys"):
        policy_from_file(policy, False)


def test_y_hint_when_not_a_signature_then_refused() -> None:
    with pytest.raises(core.FrostError, match="65 bytes"):
        with_y_hint(b"\x02" * 64)
