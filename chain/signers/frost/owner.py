"""The on-chain side: deploy a `FrostOwner` (contracts/frost/FrostOwner.sol) for a group key,
and `FrostSigner`, the Signer protocol over a FROST group whose Safe owner is that contract."""

from __future__ import annotations

from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3

from chain.compile import load_artifact
from chain.signers.base import SafeSignature, SignatureKind, SigningRequest
from chain.signers.frost.coordinator import Coordinator
from chain.signers.frost.core import FrostError, N, deserialize_element, serialize_element


def with_y_hint(signature: bytes) -> bytes:
    """The 97-byte form FrostOwner verifies cheaply: the RFC 9591 signature (R compressed, z)
    followed by R's y-coordinate, which the contract checks instead of decompressing R."""
    if len(signature) != 65:
        raise FrostError(f"a FROST signature is 65 bytes, got {len(signature)}")
    _, y = deserialize_element(signature[:33]).point()
    return signature + int(y).to_bytes(32, "big")


def frost_owner_contract(w3: Web3, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address),
                           abi=load_artifact("FrostOwner").abi)


def deploy_frost_owner(w3: Web3, public_key: bytes, sender: str) -> ChecksumAddress:
    """Deploy a FrostOwner for a compressed group key. A key whose x is not below the group
    order cannot be verified with the ecrecover check: run the DKG again (chance ~2^-128)."""
    if len(public_key) != 33 or int.from_bytes(public_key[1:], "big") >= N:
        raise FrostError("group public key must be 33 bytes compressed with x below the order")
    artifact = load_artifact("FrostOwner")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx_hash = factory.constructor(public_key).transact({"from": Web3.to_checksum_address(sender)})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    if receipt["status"] != 1 or receipt["contractAddress"] is None:
        raise FrostError(f"FrostOwner deployment reverted in {tx_hash.hex()}")
    return Web3.to_checksum_address(receipt["contractAddress"])


class FrostSigner:
    """A Safe owner that is a FROST group: `sign` runs a session through the coordinator (each
    participant reviews the request with its own policy) and returns an EIP-1271 contract
    signature for the FrostOwner at `owner`."""

    def __init__(self, name: str, owner: str, coordinator: Coordinator) -> None:
        self._name = name
        self._owner = Web3.to_checksum_address(owner)
        self._coordinator = coordinator

    def __repr__(self) -> str:
        return f"FrostSigner(name={self._name!r}, owner={self._owner})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def address(self) -> ChecksumAddress:
        return self._owner

    @property
    def public_key(self) -> bytes:
        return serialize_element(self._coordinator.group.public_key)

    async def sign(self, request: SigningRequest) -> SafeSignature:
        """The group's signature over the request's digest, as the contract signature data:
        R compressed, z, then R's y (see `with_y_hint`)."""
        signature = await self._coordinator.sign(request)
        return SafeSignature(self._owner, SignatureKind.CONTRACT, with_y_hint(signature))
