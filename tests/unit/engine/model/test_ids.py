"""Identifiers: deterministic venue-safe client order ids, EIP-55 addresses, tx hashes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from engine.errors import InvalidValue
from engine.model import (
    CLIENT_ORDER_ID_MAX_LENGTH,
    checksum_address,
    client_order_id,
    tx_hash,
    validate_client_order_id,
)

WETH_MAINNET = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"


def test_client_order_id_when_same_inputs_then_same_id_within_binance_rules() -> None:
    first = client_order_id("parent-42", 7)
    assert first == client_order_id("parent-42", 7)
    assert first != client_order_id("parent-42", 8)
    assert first != client_order_id("parent-43", 7)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,36}", first)
    assert len(first) <= CLIENT_ORDER_ID_MAX_LENGTH
    assert validate_client_order_id(first) == first


def test_client_order_id_when_computed_in_another_process_then_identical() -> None:
    # Deterministic across runs: no salted hash() and no randomness.
    code = "from engine.model import client_order_id; print(client_order_id('parent-42', 7))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": "12345"})
    assert other.stdout.strip() == client_order_id("parent-42", 7)


@pytest.mark.parametrize(("parent", "sequence", "field"),
                         [("", 0, "parent_id"), ("p", -1, "sequence"), ("p", 36**8, "sequence"),
                          ("p", True, "sequence")])
def test_client_order_id_when_inputs_invalid_then_invalid_value_names_them(
    parent: str, sequence: int, field: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        client_order_id(parent, sequence)
    assert caught.value.field == field


def test_validate_client_order_id_when_too_long_or_bad_chars_then_refused() -> None:
    with pytest.raises(InvalidValue, match="client_order_id"):
        validate_client_order_id("x" * 37)
    with pytest.raises(InvalidValue, match="client_order_id"):
        validate_client_order_id("has space")
    assert validate_client_order_id("x" * 36) == "x" * 36


def test_checksum_address_when_lowercase_then_returns_eip55_form() -> None:
    assert checksum_address(WETH_MAINNET.lower()) == WETH_MAINNET
    assert checksum_address(WETH_MAINNET) == WETH_MAINNET


@pytest.mark.parametrize("bad", [WETH_MAINNET.replace("C02a", "c02A"), WETH_MAINNET[2:],
                                 "0x1234", "0x" + "g" * 40])
def test_checksum_address_when_bad_checksum_or_not_an_address_then_invalid_value(
    bad: str,
) -> None:
    with pytest.raises(InvalidValue) as caught:
        checksum_address(bad, "token")
    assert caught.value.field == "token"


def test_tx_hash_when_valid_then_lowercased_else_invalid_value() -> None:
    assert tx_hash("0x" + "AB" * 32) == "0x" + "ab" * 32
    with pytest.raises(InvalidValue, match="tx_hash"):
        tx_hash("0x" + "ab" * 31)
