"""MultiSendCallOnly batches: several calls made by the Safe in one Safe transaction.

The library is `delegatecall`ed by the Safe, so each inner call is made by the Safe itself. Its
one argument packs every call as `operation (1 byte, always 0 here) | to (20) | value (32) |
data length (32) | data`, with no padding between calls (MultiSendCallOnly.sol).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi.abi import encode as abi_encode
from eth_typing import ChecksumAddress
from web3 import Web3

from chain.wallet.safe import CALL, DELEGATECALL, SafeTx

MULTI_SEND_SELECTOR = Web3.keccak(text="multiSend(bytes)")[:4]


@dataclass(frozen=True, slots=True)
class Call:
    """One call the Safe makes: target, native value, calldata."""

    to: ChecksumAddress
    data: bytes
    value: int = 0


def pack_calls(calls: Sequence[Call]) -> bytes:
    """The packed `transactions` argument of `multiSend`."""
    packed = bytearray()
    for call in calls:
        packed += bytes([CALL]) + bytes.fromhex(call.to[2:]) + call.value.to_bytes(32, "big")
        packed += len(call.data).to_bytes(32, "big") + call.data
    return bytes(packed)


def batch_tx(multi_send: ChecksumAddress, calls: Sequence[Call], nonce: int) -> SafeTx:
    """One call is sent as it is; several become a delegatecall to MultiSendCallOnly."""
    if len(calls) == 1:
        only = calls[0]
        return SafeTx(to=only.to, value=only.value, data=only.data, operation=CALL, nonce=nonce)
    data = MULTI_SEND_SELECTOR + abi_encode(["bytes"], [pack_calls(calls)])
    return SafeTx(to=multi_send, value=0, data=data, operation=DELEGATECALL, nonce=nonce)
