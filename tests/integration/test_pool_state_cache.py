"""The pool-state cache follows logs, reloads only what changed, and survives reorgs.

Reorgs are made on a real anvil: snapshot, mine a block, revert, mine a different block at the
same height; the cache must notice the changed hash and end up with the new branch's state.
"""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from chain.poolstate import PoolStateCache, read_pools

from devnet_actions import router_swap, rpc

pytestmark = pytest.mark.integration


@pytest.fixture
def cache(w3: Web3, devnet: dict[str, Any]) -> PoolStateCache:
    pools = PoolStateCache(
        w3, [p["address"] for p in devnet["uniswap_v2"]["pairs"].values()],
        [p["address"] for p in devnet["uniswap_v3"]["pools"].values()], max_log_window=10,
    )
    first = pools.refresh()
    assert first.full_reload and len(first.reloaded) == 5
    return pools


def _fresh(w3: Web3, address: str) -> Any:
    return read_pools(w3, [], [address]).v3[0]


def test_refresh_when_one_pool_swapped_then_only_it_is_reloaded_and_matches_chain(
    w3: Web3, devnet: dict[str, Any], cache: PoolStateCache
) -> None:
    pool = devnet["uniswap_v3"]["pools"]["WETH/USDC/500"]["address"]
    router_swap(w3, devnet, "WETH", "USDC", 500, 20 * 10**18)
    report = cache.refresh()
    assert report.reloaded == {pool} and not report.full_reload
    assert cache.get(pool).state == _fresh(w3, pool)
    assert 0 <= cache.get(pool).age_s() < 60
    assert all(cache.get(p).block == report.block for p in cache.v3_pools + cache.v2_pairs)


def test_refresh_when_nothing_happened_then_reloads_nothing_but_advances_block(
    w3: Web3, cache: PoolStateCache
) -> None:
    before = cache.head
    rpc(w3, "evm_mine")
    report = cache.refresh()
    assert report.reloaded == frozenset() and before is not None
    assert report.block.number == before.number + 1


def test_refresh_when_chain_reorganises_then_rolls_back_and_holds_the_new_branch(
    w3: Web3, devnet: dict[str, Any], cache: PoolStateCache
) -> None:
    pool = devnet["uniswap_v3"]["pools"]["WETH/USDC/3000"]["address"]
    fork_point = rpc(w3, "evm_snapshot")
    router_swap(w3, devnet, "USDC", "WETH", 3000, 200_000 * 10**6)  # branch A: price up
    branch_a = cache.refresh()
    state_a = cache.get(pool).state
    rpc(w3, "evm_revert", fork_point)
    router_swap(w3, devnet, "WETH", "USDC", 3000, 30 * 10**18)  # branch B: price down
    rpc(w3, "evm_mine")

    report = cache.refresh()
    assert report.reorg_depth >= 1 and report.full_reload
    assert report.block.hash != branch_a.block.hash
    assert cache.get(pool).state == _fresh(w3, pool) != state_a
    assert cache.get(pool).state.tick < state_a.tick  # type: ignore[union-attr]


def test_refresh_when_behind_more_than_the_log_window_then_reloads_everything(
    w3: Web3, cache: PoolStateCache
) -> None:
    for _ in range(12):
        rpc(w3, "evm_mine")
    report = cache.refresh()
    assert report.full_reload and report.reorg_depth == 0 and len(report.reloaded) == 5
