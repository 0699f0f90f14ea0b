"""Our V3 quotes equal QuoterV2's, to the wei, on the same block of a real anvil.

The pool state is read straight from the pool (slot0, liquidity, every tickBitmap word of the
tick range, ticks(t).liquidityNet), not through our lens, so only the math is under test. The
default world's pools are quoted from dust to hundreds of WETH in both directions, exact-in and
exact-out, with and without price limits; then the pools get many random positions (seeded) so
swaps cross five and more initialized ticks and step over bitmap-word edges. QuoterV2 is
compared on amount, sqrtPriceX96After and initializedTicksCrossed (its own tick count,
PoolTicksCounter, which `count_initialized_ticks_crossed` ports).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3

from chain.devnet import connect
from chain.uniswap.v3 import (
    MAX_TICK,
    MIN_TICK,
    SwapResult,
    V3Pool,
    count_initialized_ticks_crossed,
    swap,
)

from devnet_actions import rpc

pytestmark = pytest.mark.integration

POOLS = ("WETH/USDC/500", "WETH/USDC/3000")
WETH, USDC = 10**18, 10**6


@dataclass(frozen=True)
class Case:
    pool_key: str
    weth_in: bool
    exact_in: bool
    amount: int  # of the specified token: the input if exact_in, else the output
    limit_bps: int | None = None  # sqrt-price limit this many bps away from the start


def read_pool(w3: Web3, devnet: dict[str, Any], key: str, block: int) -> V3Pool:
    """The pool's whole swap state at `block`, read from the pool contract itself."""
    entry = devnet["uniswap_v3"]["pools"][key]
    pool = w3.eth.contract(address=entry["address"], abi=devnet["abis"]["UniswapV3Pool"])
    spacing = entry["tick_spacing"]
    sqrt_price_x96, tick, *_ = pool.functions.slot0().call(block_identifier=block)
    liquidity = pool.functions.liquidity().call(block_identifier=block)
    net: dict[int, int] = {}
    for word in range((MIN_TICK // spacing) >> 8, ((MAX_TICK // spacing) >> 8) + 1):
        bits = pool.functions.tickBitmap(word).call(block_identifier=block)
        for bit in range(256):
            if bits >> bit & 1:
                initialized = (word * 256 + bit) * spacing
                net[initialized] = pool.functions.ticks(initialized).call(
                    block_identifier=block)[1]
    return V3Pool(sqrt_price_x96, tick, liquidity, entry["fee_pips"], spacing, net)


def _tokens(devnet: dict[str, Any], weth_in: bool) -> tuple[str, str, bool]:
    weth, usdc = devnet["tokens"]["WETH"]["address"], devnet["tokens"]["USDC"]["address"]
    token_in, token_out = (weth, usdc) if weth_in else (usdc, weth)
    return token_in, token_out, int(token_in, 16) < int(token_out, 16)


def _limit(pool: V3Pool, zero_for_one: bool, bps: int | None) -> int:
    if bps is None:
        return 0
    return pool.sqrt_price_x96 * (10_000 - bps if zero_for_one else 10_000 + bps) // 10_000


def _quoter_v2(w3: Web3, devnet: dict[str, Any], case: Case, fee: int, limit: int,
               block: int) -> tuple[int, int, int] | None:
    """(amount, sqrtPriceX96After, initializedTicksCrossed), or None if QuoterV2 reverts."""
    quoter = w3.eth.contract(address=devnet["uniswap_v3"]["quoter_v2"],
                             abi=devnet["abis"]["QuoterV2"])
    token_in, token_out, _ = _tokens(devnet, case.weth_in)
    method = (quoter.functions.quoteExactInputSingle if case.exact_in
              else quoter.functions.quoteExactOutputSingle)
    try:
        amount, sqrt_after, crossed, _gas = method(
            (token_in, token_out, case.amount, fee, limit)).call(block_identifier=block)
    except Exception:  # web3 raises several types for a revert; the caller checks the reason
        return None
    return amount, sqrt_after, crossed


def assert_matches_quoter_v2(w3: Web3, devnet: dict[str, Any], pool: V3Pool, case: Case,
                             block: int) -> SwapResult:
    _, _, zero_for_one = _tokens(devnet, case.weth_in)
    limit = _limit(pool, zero_for_one, case.limit_bps)
    ours = swap(pool, zero_for_one, case.amount if case.exact_in else -case.amount, limit or None)
    paid_in, paid_out = ((ours.amount0, -ours.amount1) if zero_for_one
                         else (ours.amount1, -ours.amount0))
    quoted = _quoter_v2(w3, devnet, case, pool.fee_pips, limit, block)
    if quoted is None:
        # QuoterV2 reverts an exact-output quote without a limit that cannot be filled whole.
        assert not case.exact_in and limit == 0 and paid_out < case.amount, case
        return ours
    amount, sqrt_after, crossed = quoted
    assert (paid_out if case.exact_in else paid_in) == amount, case
    assert ours.sqrt_price_x96_after == sqrt_after, case
    assert count_initialized_ticks_crossed(pool.bitmap, pool.tick_spacing, pool.tick,
                                           ours.tick_after) == crossed, case
    return ours


@pytest.fixture(scope="module")
def world_pools(devnet: dict[str, Any]) -> dict[str, Any]:
    """The default world's V3 pools as deployed, read at the current block."""
    w3 = connect(devnet["rpc_url"])
    block = w3.eth.block_number
    return {"w3": w3, "block": block,
            "pools": {key: read_pool(w3, devnet, key, block) for key in POOLS}}


_WORLD_CASES = [
    Case(key, weth_in, exact_in, amount, limit_bps)
    for key in POOLS
    for weth_in in (True, False)
    for exact_in in (True, False)
    for amount in ((WETH // 1000, WETH, 10 * WETH, 100 * WETH, 400 * WETH)
                   if weth_in == exact_in else
                   (3 * USDC, 3_000 * USDC, 30_000 * USDC, 300_000 * USDC, 1_200_000 * USDC))
    for limit_bps in (None, 50)
]


@pytest.mark.parametrize("case", _WORLD_CASES, ids=repr)
def test_quote_when_default_world_pool_then_equals_quoter_v2(
    world_pools: dict[str, Any], devnet: dict[str, Any], case: Case
) -> None:
    assert_matches_quoter_v2(world_pools["w3"], devnet, world_pools["pools"][case.pool_key],
                             case, world_pools["block"])


def test_quote_when_400_weth_into_the_default_world_then_crosses_initialized_ticks(
    world_pools: dict[str, Any], devnet: dict[str, Any]
) -> None:
    ours = assert_matches_quoter_v2(world_pools["w3"], devnet,
                                    world_pools["pools"]["WETH/USDC/500"],
                                    Case("WETH/USDC/500", True, True, 400 * WETH),
                                    world_pools["block"])
    assert ours.initialized_ticks_crossed >= 2


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
            rng.randint(1, 40) * WETH, rng.randint(1, 120_000) * USDC, 0, 0,
            devnet["deployer"], 2**32 - 1,
        )).transact({"from": devnet["deployer"]})


@pytest.fixture(scope="module")
def deep_pools(devnet: dict[str, Any], world_pools: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The session devnet with 20 extra random positions per pool, undone afterwards."""
    w3 = connect(devnet["rpc_url"])
    snapshot = rpc(w3, "evm_snapshot")
    rng = random.Random(9591)
    for key in POOLS:
        _add_random_positions(w3, devnet, key, 20, rng)
    block = w3.eth.block_number
    yield {"w3": w3, "block": block,
           "pools": {key: read_pool(w3, devnet, key, block) for key in POOLS}}
    rpc(w3, "evm_revert", snapshot)


@settings(max_examples=500, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(key=st.sampled_from(POOLS), weth_in=st.booleans(), exact_in=st.booleans(),
       magnitude=st.integers(0, 12), mantissa=st.integers(1, 999),
       limit_bps=st.none() | st.integers(1, 300))
def test_quote_when_random_swap_on_deep_pools_then_equals_quoter_v2(
    deep_pools: dict[str, Any], devnet: dict[str, Any], key: str, weth_in: bool,
    exact_in: bool, magnitude: int, mantissa: int, limit_bps: int | None,
) -> None:
    # Amounts from dust to more than the pool holds, in the specified token's base units.
    scale = 10**8 if weth_in == exact_in else 1
    case = Case(key, weth_in, exact_in, mantissa * 10**magnitude * scale, limit_bps)
    assert_matches_quoter_v2(deep_pools["w3"], devnet, deep_pools["pools"][key], case,
                             deep_pools["block"])


def test_quote_when_large_swap_on_deep_pools_then_crosses_five_or_more_initialized_ticks(
    deep_pools: dict[str, Any], devnet: dict[str, Any]
) -> None:
    for key in POOLS:
        for weth_in in (True, False):
            amount = 400 * WETH if weth_in else 1_200_000 * USDC
            ours = assert_matches_quoter_v2(deep_pools["w3"], devnet, deep_pools["pools"][key],
                                            Case(key, weth_in, True, amount),
                                            deep_pools["block"])
            assert ours.initialized_ticks_crossed >= 5, (key, weth_in)

