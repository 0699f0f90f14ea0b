"""Our V3 quotes equal QuoterV2's, to the wei, on the same block of a real anvil.

The pools get many random positions first (seeded), so swaps cross five and more initialized
ticks and step over bitmap-word edges. Each case quotes exact-in or exact-out, in either
direction, with or without a price limit, locally from lens state and on chain from QuoterV2.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3

from chain.devnet import connect
from chain.poolstate import read_pools, to_v3_pool
from chain.uniswap.v3 import StateWindowExceeded, V3Pool, swap

from devnet_actions import rpc

pytestmark = pytest.mark.integration

POOLS = ("WETH/USDC/500", "WETH/USDC/3000")


def _add_random_positions(w3: Web3, devnet: dict[str, Any], key: str, count: int,
                          rng: random.Random) -> None:
    entry = devnet["uniswap_v3"]["pools"][key]
    pool = w3.eth.contract(address=entry["address"], abi=devnet["abis"]["UniswapV3Pool"])
    manager = w3.eth.contract(address=devnet["uniswap_v3"]["position_manager"],
                              abi=devnet["abis"]["NonfungiblePositionManager"])
    spacing, current = entry["tick_spacing"], pool.functions.slot0().call()[1]
    for _ in range(count):
        lower = (current - rng.randint(1, 3000)) // spacing * spacing
        upper = (current + rng.randint(1, 3000)) // spacing * spacing + spacing
        manager.functions.mint((
            entry["token0"], entry["token1"], entry["fee_pips"], lower, upper,
            rng.randint(1, 40) * 10**18, rng.randint(1, 120_000) * 10**6, 0, 0,
            devnet["deployer"], 2**32 - 1,
        )).transact({"from": devnet["deployer"]})


@pytest.fixture(scope="module")
def deep_pools(devnet: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The session devnet with 20 extra random positions per pool, undone afterwards."""
    w3 = connect(devnet["rpc_url"])
    snapshot = rpc(w3, "evm_snapshot")
    rng = random.Random(9591)
    for key in POOLS:
        _add_random_positions(w3, devnet, key, 20, rng)
    addresses = [devnet["uniswap_v3"]["pools"][key]["address"] for key in POOLS]
    state = read_pools(w3, [], addresses, words_each_side=16)
    yield {"w3": w3, "pools": dict(zip(POOLS, (to_v3_pool(s) for s in state.v3), strict=True)),
           "block": state.block.number}
    rpc(w3, "evm_revert", snapshot)


def _quoter(devnet: dict[str, Any], w3: Web3) -> Any:
    return w3.eth.contract(address=devnet["uniswap_v3"]["quoter_v2"],
                           abi=devnet["abis"]["QuoterV2"])


def _limit(pool: V3Pool, zero_for_one: bool, bps: int | None) -> int:
    if bps is None:
        return 0
    # A limit `bps` basis points of sqrt price away from the current one, in the swap's direction.
    moved = pool.sqrt_price_x96 * (10_000 - bps if zero_for_one else 10_000 + bps) // 10_000
    return moved


@settings(max_examples=600, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(key=st.sampled_from(POOLS), weth_in=st.booleans(), exact_in=st.booleans(),
       magnitude=st.integers(0, 12), mantissa=st.integers(1, 999),
       limit_bps=st.none() | st.integers(1, 300))
def test_quote_when_any_swap_then_equals_quoter_v2_to_the_wei(
    deep_pools: dict[str, Any], devnet: dict[str, Any], key: str, weth_in: bool,
    exact_in: bool, magnitude: int, mantissa: int, limit_bps: int | None,
) -> None:
    w3, pool = deep_pools["w3"], deep_pools["pools"][key]
    weth, usdc = devnet["tokens"]["WETH"]["address"], devnet["tokens"]["USDC"]["address"]
    token_in, token_out = (weth, usdc) if weth_in else (usdc, weth)
    zero_for_one = int(token_in, 16) < int(token_out, 16)
    # Amounts from dust to most of the pool, in the specified token's own units.
    specified_is_weth = weth_in == exact_in
    amount = mantissa * 10 ** magnitude * (10**8 if specified_is_weth else 10**0)
    limit = _limit(pool, zero_for_one, limit_bps)
    fee = pool.fee_pips
    try:
        ours = swap(pool, zero_for_one, amount if exact_in else -amount, limit or None)
    except StateWindowExceeded:
        return  # beyond the cached window: refused by design, nothing to compare
    quoter, block = _quoter(devnet, w3), deep_pools["block"]
    try:
        if exact_in:
            quoted, sqrt_after, _, _ = quoter.functions.quoteExactInputSingle(
                (token_in, token_out, amount, fee, limit)).call(block_identifier=block)
        else:
            quoted, sqrt_after, _, _ = quoter.functions.quoteExactOutputSingle(
                (token_in, token_out, amount, fee, limit)).call(block_identifier=block)
    except Exception:
        assert not exact_in and limit == 0
        return
    amount_in, amount_out = ((ours.amount0, -ours.amount1) if zero_for_one
                             else (ours.amount1, -ours.amount0))
    assert (amount_out if exact_in else amount_in) == quoted
    assert ours.sqrt_price_x96 == sqrt_after


def test_quote_when_large_swap_then_crosses_five_or_more_initialized_ticks(
    deep_pools: dict[str, Any], devnet: dict[str, Any]
) -> None:
    pool = deep_pools["pools"]["WETH/USDC/500"]
    weth, usdc = devnet["tokens"]["WETH"]["address"], devnet["tokens"]["USDC"]["address"]
    zero_for_one = int(weth, 16) < int(usdc, 16)
    ours = swap(pool, zero_for_one, 400 * 10**18)
    quoted, sqrt_after, crossed, _ = _quoter(devnet, deep_pools["w3"]).functions \
        .quoteExactInputSingle((weth, usdc, 400 * 10**18, 500, 0)).call(
            block_identifier=deep_pools["block"])
    assert ours.initialized_ticks_crossed >= 5 and crossed >= 5
    assert -(ours.amount1 if zero_for_one else ours.amount0) == quoted
    assert ours.sqrt_price_x96 == sqrt_after
