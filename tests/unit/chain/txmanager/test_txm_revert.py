"""Revert decoding: Error(string), Panic(uint256), custom errors with and without their ABI."""

from __future__ import annotations

from chain.txmanager import RevertKind, decode_revert, error_selectors
from chain.txmanager._revert import revert_data

# The Solidity documentation's own example ("Error handling: Assert, Require, Revert and
# Exceptions"): revert data of `require(false, "Not enough Ether provided.")`.
SOLIDITY_DOCS_ERROR = bytes.fromhex(
    "08c379a0"
    "0000000000000000000000000000000000000000000000000000000000000020"
    "000000000000000000000000000000000000000000000000000000000000001a"
    "4e6f7420656e6f7567682045746865722070726f76696465642e000000000000"
)
INSUFFICIENT_BALANCE_ABI = [{
    "type": "error", "name": "InsufficientBalance",
    "inputs": [{"name": "account", "type": "address"}, {"name": "balance", "type": "uint256"},
               {"name": "needed", "type": "uint256"}],
}]


def test_decode_when_error_string_then_message() -> None:
    reason = decode_revert(SOLIDITY_DOCS_ERROR)

    assert reason.kind is RevertKind.ERROR_STRING
    assert reason.message == "Not enough Ether provided."
    assert reason.describe() == "Not enough Ether provided."


def test_decode_when_panic_then_code_and_meaning() -> None:
    reason = decode_revert(bytes.fromhex("4e487b71" + "00" * 31 + "11"))

    assert reason.kind is RevertKind.PANIC
    assert reason.args == (0x11,)
    assert reason.message == "panic 0x11: arithmetic overflow or underflow"


def test_decode_when_custom_error_with_abi_then_name_and_arguments() -> None:
    selector = next(iter(error_selectors(INSUFFICIENT_BALANCE_ABI)))
    account = "00" * 12 + "11" * 20
    data = bytes.fromhex(selector[2:] + account + f"{5:064x}" + f"{9:064x}")

    reason = decode_revert(data, errors_abi=INSUFFICIENT_BALANCE_ABI)

    # keccak256("InsufficientBalance(address,uint256,uint256)")[:4], computed independently.
    assert selector == "0xdb42144d"
    assert reason.kind is RevertKind.CUSTOM
    assert reason.name == "InsufficientBalance"
    assert reason.args == ("0x" + "11" * 20, 5, 9)


def test_decode_when_custom_error_unknown_then_selector_is_reported() -> None:
    reason = decode_revert(bytes.fromhex("deadbeef"))

    assert (reason.kind, reason.selector, reason.name) == (RevertKind.CUSTOM, "0xdeadbeef", None)
    assert reason.describe() == "custom error 0xdeadbeef"


def test_decode_when_no_data_then_empty_with_node_message() -> None:
    reason = decode_revert(b"", "execution reverted")

    assert (reason.kind, reason.message) == (RevertKind.EMPTY, "execution reverted")


def test_revert_data_is_read_from_flat_and_nested_error_objects() -> None:
    assert revert_data({"code": 3, "data": "0xdeadbeef"}) == bytes.fromhex("deadbeef")
    assert revert_data({"data": {"data": "0x01"}}) == b"\x01"
    assert revert_data({"message": "execution reverted"}) == b""
    assert revert_data({"data": "Reverted 0x12"}) == b""
