"""Decode why a call reverted (pure): Error(string), Panic(uint256) or a custom error.

Revert data layout (Solidity ABI spec, "Errors"): a 4-byte selector, keccak256 of the error's
signature, followed by its ABI-encoded arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak

from chain.txmanager._model import RevertKind, RevertReason

ERROR_STRING_SELECTOR = "0x08c379a0"  # keccak256("Error(string)")[:4]
PANIC_SELECTOR = "0x4e487b71"  # keccak256("Panic(uint256)")[:4]
# Solidity's panic codes (docs: "Panic via assert and Error via require").
PANIC_CODES = {
    0x00: "generic compiler panic",
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "conversion to an invalid enum value",
    0x22: "incorrectly encoded storage byte array",
    0x31: "pop() on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised internal function",
}


def _signature(entry: Mapping[str, Any]) -> str:
    return f"{entry['name']}({','.join(_type(i) for i in entry.get('inputs', []))})"


def _type(param: Mapping[str, Any]) -> str:
    kind: str = param["type"]
    if kind.startswith("tuple"):
        return f"({','.join(_type(c) for c in param['components'])}){kind[5:]}"
    return kind


def error_selectors(abi: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The custom errors of an ABI by their 0x-prefixed selector."""
    return {
        "0x" + keccak(text=_signature(entry))[:4].hex(): entry
        for entry in abi if entry.get("type") == "error"
    }


def revert_data(error: Mapping[str, Any]) -> bytes:
    """The revert bytes inside a JSON-RPC error object (`data` may be hex or {data: hex})."""
    data = error.get("data")
    if isinstance(data, Mapping):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    return b""


def decode_revert(
    data: bytes, node_message: str = "", errors_abi: Iterable[Mapping[str, Any]] = ()
) -> RevertReason:
    """Decode revert `data`; `errors_abi` (ABI entries) names custom errors when given."""
    if len(data) < 4:
        return RevertReason(RevertKind.EMPTY, None, node_message or "reverted without data", data)
    selector = "0x" + data[:4].hex()
    body = data[4:]
    try:
        if selector == ERROR_STRING_SELECTOR:
            (message,) = abi_decode(["string"], body)
            return RevertReason(RevertKind.ERROR_STRING, selector, str(message), data,
                                name="Error", args=(message,))
        if selector == PANIC_SELECTOR:
            (code,) = abi_decode(["uint256"], body)
            meaning = PANIC_CODES.get(code, "unknown panic code")
            return RevertReason(RevertKind.PANIC, selector, f"panic 0x{code:02x}: {meaning}",
                                data, name="Panic", args=(code,))
        entry = error_selectors(errors_abi).get(selector)
        if entry is not None:
            args = abi_decode([_type(i) for i in entry.get("inputs", [])], body)
            return RevertReason(RevertKind.CUSTOM, selector, _signature(entry), data,
                                name=str(entry["name"]), args=tuple(args))
    except DecodingError:
        pass
    return RevertReason(RevertKind.CUSTOM, selector, f"custom error {selector}", data)
