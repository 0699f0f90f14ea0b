"""Calldata decoding for signing requests: what a Safe transaction will call, by name.

`decode_calls` turns a Safe transaction's `to`/`data`/`operation` into the `calls` of a
`SigningRequest` context (see `chain.signers.base`): ERC-20 `transfer`/`approve`/`transferFrom`,
each inner call of a MultiSendCallOnly batch (its packed layout: operation uint8, to address,
value uint256, data length uint256, data), and any function whose ABI is given. A policy checks
these calls; `safe_tx_request` builds the whole request for a `chain.wallet.SafeTx`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from web3 import Web3

from chain.errors import TerminalChainError
from chain.signers.base import RequestKind, SigningRequest

if TYPE_CHECKING:  # chain.wallet imports chain.signers.base: no runtime import back
    from chain.wallet.safe import SafeTx

CALL, DELEGATECALL = 0, 1
NATIVE_TRANSFER = "0x"  # the "selector" of a call with empty data: a plain value transfer

_ERC20_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": "transfer",
     "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}]},
    {"type": "function", "name": "approve",
     "inputs": [{"name": "spender", "type": "address"}, {"name": "amount", "type": "uint256"}]},
    {"type": "function", "name": "transferFrom",
     "inputs": [{"name": "from", "type": "address"}, {"name": "to", "type": "address"},
                {"name": "amount", "type": "uint256"}]},
]
_MULTISEND_ABI: dict[str, Any] = {
    "type": "function", "name": "multiSend",
    "inputs": [{"name": "transactions", "type": "bytes"}],
}


def selector_of(signature: str) -> str:
    """The 4-byte selector of a function signature such as `transfer(address,uint256)`."""
    return "0x" + Web3.keccak(text=signature)[:4].hex()


SELECTOR_TRANSFER = selector_of("transfer(address,uint256)")
SELECTOR_APPROVE = selector_of("approve(address,uint256)")
SELECTOR_TRANSFER_FROM = selector_of("transferFrom(address,address,uint256)")
SELECTOR_MULTISEND = selector_of("multiSend(bytes)")


@lru_cache(maxsize=4096)
def checksum_address(value: str) -> ChecksumAddress:
    # Checksumming is a keccak per call and a review checksums each address several times.
    return Web3.to_checksum_address(value)


class CalldataUndecodable(TerminalChainError, ValueError):
    """Calldata with a known selector whose arguments do not decode."""


def selector_table(abis: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    table: dict[str, Mapping[str, Any]] = {}
    for entry in [*abis, *_ERC20_ABI, _MULTISEND_ABI]:  # ours win: the rules read their names
        if entry.get("type") == "function":
            types = ",".join(_abi_type(i) for i in entry.get("inputs", []))
            table[selector_of(f"{entry['name']}({types})")] = entry
    return table


def _abi_type(component: Mapping[str, Any]) -> str:
    kind: str = component["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in component["components"])
        return f"({inner}){kind[5:]}"
    return kind


def _plain(value: Any) -> Any:
    """A JSON-safe form of a decoded ABI value: addresses checksummed, bytes as 0x-hex."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and Web3.is_address(value):
        return checksum_address(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _decode_one(target: str, value: int, operation: int, data: bytes,
                table: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    selector = "0x" + data[:4].hex() if data else NATIVE_TRANSFER
    call: dict[str, Any] = {"target": checksum_address(target), "value": value,
                            "operation": operation, "selector": selector,
                            "function": None, "args": {}}
    entry = table.get(selector)
    if entry is None:
        return call
    inputs = entry.get("inputs", [])
    try:
        values = abi_decode([_abi_type(i) for i in inputs], data[4:])
    except Exception as failure:  # eth_abi raises several unrelated types
        raise CalldataUndecodable(f"{entry['name']} at {target}: {failure}") from None
    call["function"] = entry["name"]
    call["args"] = {i.get("name") or f"arg{n}": _plain(v)
                    for n, (i, v) in enumerate(zip(inputs, values, strict=True))}
    return call


def _unpack_multisend(packed: bytes) -> list[tuple[int, str, int, bytes]]:
    """MultiSend's packed batch: operation (1 byte), to (20), value (32), length (32), data."""
    calls, at = [], 0
    while at < len(packed):
        if at + 85 > len(packed):
            raise CalldataUndecodable(f"multiSend batch truncated at byte {at}")
        operation = packed[at]
        to = "0x" + packed[at + 1:at + 21].hex()
        value = int.from_bytes(packed[at + 21:at + 53], "big")
        length = int.from_bytes(packed[at + 53:at + 85], "big")
        body = packed[at + 85:at + 85 + length]
        if len(body) != length:
            raise CalldataUndecodable(f"multiSend call at byte {at} runs past the batch")
        calls.append((operation, to, value, body))
        at += 85 + length
    return calls


def decode_calls(to: str, value: int, data: bytes, operation: int,
                 multisend: str | None = None,
                 abis: Iterable[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """The calls a Safe transaction makes, decoded as far as the ABIs known here allow.

    A `delegatecall` to `multisend` carrying `multiSend(bytes)` is unpacked into its inner
    calls; anything else is one call. Each call is a dict with `target`, `value`, `operation`,
    `selector` (`"0x"` for empty data), `function` (None when unknown) and `args` (by name).
    """
    return decode_calls_with(to, value, data, operation, multisend, selector_table(abis))


def decode_calls_with(to: str, value: int, data: bytes, operation: int, multisend: str | None,
                  table: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    is_batch = (operation == DELEGATECALL and multisend is not None
                and checksum_address(to) == checksum_address(multisend)
                and data[:4].hex() == SELECTOR_MULTISEND[2:])
    if not is_batch:
        return [_decode_one(to, value, operation, data, table)]
    outer = _decode_one(to, value, operation, data, table)
    packed = bytes.fromhex(outer["args"]["transactions"][2:])
    return [_decode_one(t, v, op, body, table) for op, t, v, body in _unpack_multisend(packed)]


def safe_tx_context(chain_id: int, safe: str, tx: SafeTx, multisend: str | None = None,
                    abis: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The context documented in `SigningRequest` for a `chain.wallet.SafeTx`. Calldata that
    does not decode gets no `calls`: a policy decodes it again and refuses it by rule."""
    context: dict[str, Any] = {
        "safe": Web3.to_checksum_address(safe), "chain_id": chain_id,
        "to": Web3.to_checksum_address(tx.to), "value": tx.value, "data": "0x" + tx.data.hex(),
        "operation": tx.operation, "nonce": tx.nonce, "safe_tx_gas": tx.safe_tx_gas,
        "base_gas": tx.base_gas, "gas_price": tx.gas_price, "gas_token": tx.gas_token,
        "refund_receiver": tx.refund_receiver,
    }
    with suppress(CalldataUndecodable):
        context["calls"] = decode_calls(tx.to, tx.value, tx.data, tx.operation, multisend, abis)
    return context


def safe_tx_request(request_id: str, chain_id: int, safe: str, tx: SafeTx,
                    multisend: str | None = None,
                    abis: Iterable[Mapping[str, Any]] = ()) -> SigningRequest:
    """A SAFE_TX signing request: the SafeTx hash with its decoded context."""
    from chain.wallet.safe import safe_tx_hash  # chain.wallet imports chain.signers.base

    return SigningRequest(request_id, RequestKind.SAFE_TX, safe_tx_hash(chain_id, safe, tx),
                          safe_tx_context(chain_id, safe, tx, multisend, abis))
