"""PoolLens reads, in one eth_call per kind, exactly what the pools report one field at a time.

The independent truth is the pools themselves (slot0, liquidity, getReserves) and Uniswap's own
TickLens (getPopulatedTicksInWord) for the initialized ticks.
"""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from chain.poolstate import LENS_ADDRESS, PoolReadFailed, read_pools

from devnet_actions import router_swap

pytestmark = pytest.mark.integration


def _v3_truth(w3: Web3, devnet: dict[str, Any], address: str, word_low: int,
              word_high: int) -> tuple[int, int, list[tuple[int, int]]]:
    pool = w3.eth.contract(address=address, abi=devnet["abis"]["UniswapV3Pool"])
    tick_lens = w3.eth.contract(address=devnet["uniswap_v3"]["tick_lens"],
                                abi=devnet["abis"]["TickLens"])
    sqrt_price, tick, *_ = pool.functions.slot0().call()
    populated = [
        (tick_index, net)
        for word in range(word_low, word_high + 1)
        for tick_index, net, _gross in tick_lens.functions.getPopulatedTicksInWord(
            address, word).call()
    ]
    return sqrt_price, tick, sorted(populated)


def test_read_pools_when_state_moves_then_lens_matches_pools_and_tick_lens(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    router_swap(w3, devnet, "WETH", "USDC", 500, 150 * 10**18)  # cross ticks before reading
    v2_addresses = [p["address"] for p in devnet["uniswap_v2"]["pairs"].values()]
    v3_addresses = [p["address"] for p in devnet["uniswap_v3"]["pools"].values()]
    snapshot = read_pools(w3, v2_addresses, v3_addresses, words_each_side=8)

    assert snapshot.block.number == w3.eth.block_number
    assert snapshot.block.hash == w3.eth.get_block("latest")["hash"]
    for pair in snapshot.v2:
        contract = w3.eth.contract(address=pair.address, abi=devnet["abis"]["UniswapV2Pair"])
        assert [pair.reserve0, pair.reserve1] == contract.functions.getReserves().call()[:2]
    for pool in snapshot.v3:
        sqrt_price, tick, populated = _v3_truth(w3, devnet, pool.address, pool.word_low,
                                                pool.word_high)
        contract = w3.eth.contract(address=pool.address, abi=devnet["abis"]["UniswapV3Pool"])
        assert (pool.sqrt_price_x96, pool.tick) == (sqrt_price, tick)
        assert pool.liquidity == contract.functions.liquidity().call()
        assert list(pool.ticks) == populated and len(populated) >= 4
        assert pool.word_low <= (tick // pool.tick_spacing) >> 8 <= pool.word_high


def test_read_pools_when_lens_is_not_deployed_then_state_override_still_serves_it(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    assert w3.eth.get_code(LENS_ADDRESS) == b""
    snapshot = read_pools(w3, [], [devnet["uniswap_v3"]["pools"]["WETH/USDC/500"]["address"]])
    assert snapshot.v3[0].fee == 500


def test_read_pools_when_block_given_then_state_is_of_that_block(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    address = devnet["uniswap_v3"]["pools"]["WETH/USDC/3000"]["address"]
    before = read_pools(w3, [], [address])
    router_swap(w3, devnet, "USDC", "WETH", 3000, 50_000 * 10**6)
    assert read_pools(w3, [], [address]).v3[0].tick > before.v3[0].tick
    assert read_pools(w3, [], [address], block=before.block.number) == before


@pytest.mark.parametrize("kind", ["v2", "v3"])
def test_read_pools_when_address_is_not_a_pool_then_pool_read_failed(
    w3: Web3, devnet: dict[str, Any], kind: str
) -> None:
    not_a_pool = devnet["tokens"]["USDC"]["address"]
    with pytest.raises(PoolReadFailed):
        read_pools(w3, *(([not_a_pool], []) if kind == "v2" else ([], [not_a_pool])))


def test_read_pools_when_window_too_wide_then_error_names_the_limit(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    address = devnet["uniswap_v3"]["pools"]["WETH/USDC/500"]["address"]
    with pytest.raises(PoolReadFailed, match=r"WindowTooWide\(500, 128\)"):
        read_pools(w3, [], [address], words_each_side=500)
