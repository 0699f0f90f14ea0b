"""A Safe 1.4.1 wallet: deployed through the real proxy factory, driven by SafeTx hashes.

Everything here follows the deployed contracts, not a client library:

- a Safe is a `SafeProxy` made by `SafeProxyFactory.createProxyWithNonce(singleton, setup
  calldata, salt)`; the address comes from the factory's `ProxyCreation` event;
- a Safe transaction is authorised by owners signing its EIP-712 hash: the domain is
  `EIP712Domain(uint256 chainId,address verifyingContract)` and the struct is `SafeTx(...)` with
  `data` hashed (Safe.sol `getTransactionHash`, checked against the contract in tests);
- signatures are concatenated in strictly increasing owner order, 65 bytes each; an EIP-1271
  owner (a contract, e.g. our FROST verifier) puts its address and an offset in the 65-byte slot
  (v = 0) and its signature bytes in a dynamic part after all the slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.logs import DISCARD

from chain.artifacts import load_npm_artifact
from chain.errors import TerminalChainError
from chain.signers.base import SafeSignature, SignatureKind

ZERO_ADDRESS: ChecksumAddress = Web3.to_checksum_address("0x" + "00" * 20)
DOMAIN_TYPEHASH = Web3.keccak(text="EIP712Domain(uint256 chainId,address verifyingContract)")
SAFE_TX_TYPEHASH = Web3.keccak(
    text="SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,"
         "uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
)
CALL, DELEGATECALL = 0, 1


class WalletError(TerminalChainError):
    """The wallet could not be created or a Safe transaction could not be built or sent."""


@dataclass(frozen=True, slots=True)
class SafeTx:
    """A Safe transaction as the contract hashes it. Gas refund fields default to none."""

    to: ChecksumAddress
    value: int
    data: bytes
    operation: int
    nonce: int
    safe_tx_gas: int = 0
    base_gas: int = 0
    gas_price: int = 0
    gas_token: ChecksumAddress = ZERO_ADDRESS
    refund_receiver: ChecksumAddress = ZERO_ADDRESS

    def __post_init__(self) -> None:
        if self.operation not in (CALL, DELEGATECALL):
            raise WalletError(f"operation must be 0 (call) or 1 (delegatecall), "
                              f"got {self.operation}")
        if self.value < 0 or self.nonce < 0:
            raise WalletError("value and nonce must be non-negative")

    def exec_args(self, signatures: bytes) -> tuple[Any, ...]:
        """The arguments of `Safe.execTransaction`, in order."""
        return (self.to, self.value, self.data, self.operation, self.safe_tx_gas,
                self.base_gas, self.gas_price, self.gas_token, self.refund_receiver, signatures)


def domain_separator(chain_id: int, safe: str) -> bytes:
    return Web3.keccak(abi_encode(["bytes32", "uint256", "address"],
                                  [DOMAIN_TYPEHASH, chain_id, Web3.to_checksum_address(safe)]))


def safe_tx_hash(chain_id: int, safe: str, tx: SafeTx) -> bytes:
    """The EIP-712 hash the owners sign (equal to `Safe.getTransactionHash`)."""
    struct = Web3.keccak(abi_encode(
        ["bytes32", "address", "uint256", "bytes32", "uint8", "uint256", "uint256", "uint256",
         "address", "address", "uint256"],
        [SAFE_TX_TYPEHASH, tx.to, tx.value, Web3.keccak(tx.data), tx.operation, tx.safe_tx_gas,
         tx.base_gas, tx.gas_price, tx.gas_token, tx.refund_receiver, tx.nonce],
    ))
    return Web3.keccak(b"\x19\x01" + domain_separator(chain_id, safe) + struct)


def encode_signatures(signatures: Sequence[SafeSignature]) -> bytes:
    """The `signatures` argument of `execTransaction`: slots in increasing owner order, then
    the dynamic parts of contract signatures. Duplicate owners are refused."""
    ordered = sorted(signatures, key=lambda s: int(s.owner, 16))
    owners = [s.owner for s in ordered]
    if len(set(owners)) != len(owners):
        raise WalletError(f"each owner may sign once; got {owners}")
    static = bytearray()
    dynamic = bytearray()
    slots_end = 65 * len(ordered)
    for signature in ordered:
        if signature.kind is SignatureKind.ECDSA:
            if len(signature.data) != 65 or signature.data[64] not in (27, 28):
                raise WalletError(f"ECDSA signature of {signature.owner} must be 65 bytes with "
                                  f"v 27 or 28")
            static += signature.data
        else:
            offset = slots_end + len(dynamic)
            static += abi_encode(["address", "uint256"], [signature.owner, offset]) + b"\x00"
            dynamic += abi_encode(["uint256"], [len(signature.data)]) + signature.data
            dynamic += b"\x00" * (-len(signature.data) % 32)
    return bytes(static + dynamic)


def safe_contract(w3: Web3, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address),
                           abi=load_npm_artifact("Safe").abi)


def deploy_safe(
    w3: Web3, safe_manifest: dict[str, Any], owners: Sequence[str], threshold: int,
    sender: str, salt_nonce: int = 0,
) -> ChecksumAddress:
    """Create a Safe proxy with `owners` and `threshold` through the world's proxy factory."""
    if not 1 <= threshold <= len(owners):
        raise WalletError(f"threshold must be between 1 and the {len(owners)} owners, "
                          f"got {threshold}")
    checksummed = [Web3.to_checksum_address(o) for o in owners]
    if len(set(checksummed)) != len(checksummed):
        raise WalletError(f"owners must be distinct, got {checksummed}")
    singleton = safe_contract(w3, safe_manifest["singleton"])
    initializer = singleton.encode_abi("setup", [
        checksummed, threshold, ZERO_ADDRESS, b"", safe_manifest["fallback_handler"],
        ZERO_ADDRESS, 0, ZERO_ADDRESS,
    ])
    factory = w3.eth.contract(address=safe_manifest["proxy_factory"],
                              abi=load_npm_artifact("SafeProxyFactory").abi)
    tx_hash = factory.functions.createProxyWithNonce(
        singleton.address, initializer, salt_nonce).transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    if receipt["status"] != 1:
        raise WalletError(f"Safe creation reverted in transaction {tx_hash.hex()}")
    created = factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)
    if not created:
        raise WalletError("the proxy factory emitted no ProxyCreation event")
    address: ChecksumAddress = Web3.to_checksum_address(created[0]["args"]["proxy"])
    return address
