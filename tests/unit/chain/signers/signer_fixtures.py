"""Shared pieces for the signer tests: fixed test keys, addresses and Safe transactions."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_abi.packed import encode_packed
from web3 import Web3

from chain.signers import LocalKeySigner, SigningRequest, safe_tx_request
from chain.signers.calldata import selector_of
from chain.wallet import CALL, DELEGATECALL, SafeTx

CHAIN_ID = 31337


def address(label: str) -> str:
    return Web3.to_checksum_address(Web3.keccak(text=label)[:20])


SAFE = address("safe")
TOKEN = address("token")
OTHER_TOKEN = address("other-token")
EXECUTOR = address("executor")
MULTISEND = address("multisend")
RECIPIENT = address("recipient")
FOREIGN = address("foreign")
SANCTIONED = address("sanctioned")

SWAP_ABI: dict[str, Any] = {
    "type": "function", "name": "swapExact",
    "inputs": [{"name": "tokenIn", "type": "address"}, {"name": "amountIn", "type": "uint256"},
               {"name": "minOut", "type": "uint256"}],
}
SWAP = selector_of("swapExact(address,uint256,uint256)")
TRANSFER = selector_of("transfer(address,uint256)")
APPROVE = selector_of("approve(address,uint256)")


def key_for(label: str) -> bytes:
    # Deterministic test keys derived from labels; never used outside tests.
    return Web3.keccak(text=f"crossbook-signer-test-{label}")


def local_signer(label: str, **kwargs: Any) -> LocalKeySigner:
    return LocalKeySigner.from_key(key_for(label), label, **kwargs)


def erc20(function: str, *args: Any) -> bytes:
    types = {"transfer": ["address", "uint256"], "approve": ["address", "uint256"]}[function]
    return bytes.fromhex(selector_of(f"{function}({','.join(types)})")[2:]) + abi_encode(
        types, list(args))


def swap(amount_in: int) -> bytes:
    return bytes.fromhex(SWAP[2:]) + abi_encode(["address", "uint256", "uint256"],
                                                [TOKEN, amount_in, 1])


def multisend(*calls: tuple[int, str, int, bytes]) -> bytes:
    """MultiSend's packed batch, built from its documented layout with eth_abi's packer."""
    packed = b"".join(encode_packed(["uint8", "address", "uint256", "uint256", "bytes"],
                                    [op, to, value, len(data), data])
                      for op, to, value, data in calls)
    return bytes.fromhex(selector_of("multiSend(bytes)")[2:]) + abi_encode(["bytes"], [packed])


def request_for(to: str, data: bytes = b"", value: int = 0, operation: int = CALL,
                nonce: int = 0, request_id: str = "req-1", safe: str = SAFE) -> SigningRequest:
    tx = SafeTx(to=Web3.to_checksum_address(to), value=value, data=data, operation=operation,
                nonce=nonce)
    return safe_tx_request(request_id, CHAIN_ID, safe, tx, MULTISEND, [SWAP_ABI])


def batch_request(*calls: tuple[int, str, int, bytes], request_id: str = "req-b"
                  ) -> SigningRequest:
    return request_for(MULTISEND, multisend(*calls), operation=DELEGATECALL,
                       request_id=request_id)

DIGEST = Web3.keccak(text="a digest to sign")
