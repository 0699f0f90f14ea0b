"""`crossbook quote amm` and `quote_pool`: exact quotes for any pool, and typed refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from web3 import Web3

from chain.uniswap import get_amount_out
from connectors.amm import PoolKind, quote_pool
from connectors.errors import InvalidQuoteRequest

from cli import crossbook

pytestmark = pytest.mark.integration


def _addresses(devnet: dict[str, Any]) -> tuple[str, str, str, str]:
    return (devnet["tokens"]["WETH"]["address"], devnet["tokens"]["USDC"]["address"],
            devnet["uniswap_v3"]["pools"]["WETH/USDC/500"]["address"],
            devnet["uniswap_v2"]["pairs"]["WETH/USDC"]["address"])


def test_quote_amm_cli_when_v3_exact_in_and_out_then_equal_quoter_v2(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    weth, usdc, pool, _ = _addresses(devnet)
    quoter = w3.eth.contract(address=devnet["uniswap_v3"]["quoter_v2"],
                             abi=devnet["abis"]["QuoterV2"])
    result = crossbook("quote", "amm", "--rpc", devnet["rpc_url"], "--pool", pool,
                       "--token-in", weth, "--amount-in", str(120 * 10**18), "--json")
    assert result.returncode == 0, result.stderr
    quote = json.loads(result.stdout)
    expected_out, *_ = quoter.functions.quoteExactInputSingle(
        (weth, usdc, 120 * 10**18, 500, 0)).call()
    assert quote["amount_out"] == expected_out and quote["amount_in"] == 120 * 10**18
    assert quote["block"] == w3.eth.block_number and quote["partial"] is False
    assert quote["kind"] == "uniswap_v3" and quote["ticks_crossed"] >= 1
    assert 2900 < float(quote["avg_price"]) < 3000  # a sale below the 3000 mid

    exact_out = quote_pool(w3, pool, usdc, amount_out=75 * 10**18)
    expected_in, *_ = quoter.functions.quoteExactOutputSingle(
        (usdc, weth, 75 * 10**18, 500, 0)).call()
    assert exact_out.amount_in == expected_in and exact_out.amount_out == 75 * 10**18


def test_quote_pool_when_v2_then_pair_formula_and_partial_when_output_exceeds_reserve(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    weth, usdc, _, pair = _addresses(devnet)
    quote = quote_pool(w3, pair, usdc, amount_in=3_000 * 10**6)
    assert quote.kind is PoolKind.UNISWAP_V2 and quote.token_out == weth
    reserves = w3.eth.contract(address=pair, abi=devnet["abis"]["UniswapV2Pair"]).functions \
        .getReserves().call()
    usdc_reserve, weth_reserve = (reserves[0], reserves[1]) if int(usdc, 16) < int(weth, 16) \
        else (reserves[1], reserves[0])
    assert quote.amount_out == get_amount_out(3_000 * 10**6, usdc_reserve, weth_reserve)
    too_much = quote_pool(w3, pair, usdc, amount_out=10**30)
    assert too_much.partial and too_much.amount_out < 1_500 * 10**18


def test_quote_pool_when_v3_input_exceeds_all_liquidity_then_partial_fill_flagged(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    weth, _, pool, _ = _addresses(devnet)
    quote = quote_pool(w3, pool, weth, amount_in=10**30)
    assert quote.partial and quote.amount_in < 10**30


def test_quote_pool_when_block_given_then_quotes_that_block(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    weth, _, _, pair = _addresses(devnet)
    before = quote_pool(w3, pair, weth, amount_in=10**18)
    token = w3.eth.contract(address=weth, abi=devnet["abis"]["TestERC20"])
    token.functions.transfer(pair, 10**20).transact({"from": devnet["deployer"]})
    w3.eth.contract(address=pair, abi=devnet["abis"]["UniswapV2Pair"]).functions.sync().transact(
        {"from": devnet["deployer"]})
    assert quote_pool(w3, pair, weth, amount_in=10**18).amount_out < before.amount_out
    assert quote_pool(w3, pair, weth, amount_in=10**18, block=before.block) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"token_in": "0x000000000000000000000000000000000000dEaD"}, "token_in"),
     ({"pool": "USDC"}, "pool"), ({"amount_in": 0}, "amount"),
     ({"amount_in": None}, "amount")],
)
def test_quote_pool_when_request_is_wrong_then_invalid_quote_request_names_the_field(
    w3: Web3, devnet: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    weth, usdc, pool, _ = _addresses(devnet)
    request: dict[str, Any] = {"pool": pool, "token_in": weth, "amount_in": 10**18}
    request.update(change)
    if request["pool"] == "USDC":
        request["pool"] = usdc
    with pytest.raises(InvalidQuoteRequest) as caught:
        quote_pool(w3, **request)
    assert caught.value.field == field


def test_quote_amm_cli_when_bad_input_or_rpc_down_then_exit_status_says_which(
    devnet: dict[str, Any]
) -> None:
    weth, usdc, pool, _ = _addresses(devnet)
    base = ["quote", "amm", "--rpc", devnet["rpc_url"], "--pool", pool]
    both = crossbook(*base, "--token-in", weth, "--amount-in", "1", "--amount-out", "1")
    assert both.returncode == 2 and "exactly one" in both.stderr
    not_a_pool = crossbook("quote", "amm", "--rpc", devnet["rpc_url"], "--pool", usdc,
                           "--token-in", weth, "--amount-in", "1")
    assert not_a_pool.returncode == 1 and "not a Uniswap V2 pair or V3 pool" in not_a_pool.stderr
    down = crossbook("quote", "amm", "--rpc", "http://127.0.0.1:9", "--pool", pool,
                     "--token-in", weth, "--amount-in", "1")
    assert down.returncode == 3 and "RPC" in down.stderr
