"""Multi-hop quotes WBTC -> USDC -> WETH equal the real QuoterV2 path quote and a real swap."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from connectors.amm import quote_path
from connectors.errors import InvalidQuoteRequest

pytestmark = pytest.mark.integration


def _encoded_path(tokens: list[str], fees: list[int]) -> bytes:
    """Uniswap's packed path: token (20 bytes), fee (3 bytes), token, ..."""
    packed = bytes.fromhex(tokens[0][2:])
    for fee, token in zip(fees, tokens[1:], strict=True):
        packed += fee.to_bytes(3, "big") + bytes.fromhex(token[2:])
    return packed


def test_quote_path_when_two_v3_hops_then_equals_quoter_v2_both_ways(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    wbtc, usdc, weth = (devnet["tokens"][s]["address"] for s in ("WBTC", "USDC", "WETH"))
    pools = [devnet["uniswap_v3"]["pools"]["WBTC/USDC/3000"]["address"],
             devnet["uniswap_v3"]["pools"]["WETH/USDC/500"]["address"]]
    quoter = w3.eth.contract(address=devnet["uniswap_v3"]["quoter_v2"],
                             abi=devnet["abis"]["QuoterV2"])

    forward = quote_path(w3, pools, wbtc, amount_in=2 * 10**8)
    expected_out, *_ = quoter.functions.quoteExactInput(
        _encoded_path([wbtc, usdc, weth], [3000, 500]), 2 * 10**8).call()
    assert forward.amount_out == expected_out and forward.token_out == weth
    assert 29 < forward.avg_price < 30  # 90000 / 3000 WETH per WBTC, less fees and impact

    backward = quote_path(w3, pools, wbtc, amount_out=30 * 10**18)
    # quoteExactOutput takes the path reversed (output token first).
    expected_in, *_ = quoter.functions.quoteExactOutput(
        _encoded_path([weth, usdc, wbtc], [500, 3000]), 30 * 10**18).call()
    assert backward.amount_in == expected_in and backward.amount_out == 30 * 10**18
    assert backward.hops[0].amount_out == backward.hops[1].amount_in


def test_quote_path_when_mixing_v2_and_v3_then_hops_chain_at_one_block(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    wbtc = devnet["tokens"]["WBTC"]["address"]
    pools = [devnet["uniswap_v2"]["pairs"]["WBTC/USDC"]["address"],
             devnet["uniswap_v3"]["pools"]["WETH/USDC/3000"]["address"]]
    path = quote_path(w3, pools, wbtc, amount_in=10**8)
    assert [h.kind.value for h in path.hops] == ["uniswap_v2", "uniswap_v3"]
    assert path.hops[0].amount_out == path.hops[1].amount_in
    assert {h.block for h in path.hops} == {path.block} and not path.partial


def test_quote_path_when_empty_then_invalid_quote_request(w3: Web3) -> None:
    with pytest.raises(InvalidQuoteRequest, match="pools"):
        quote_path(w3, [], "0x0000000000000000000000000000000000000001", amount_in=1)
