"""Pool discovery from the real factories: direct lookups and creation-event scans agree."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from chain.poolstate import find_pools_for_pair, scan_created_pools

pytestmark = pytest.mark.integration


def test_find_pools_for_pair_when_weth_usdc_then_v2_pair_and_both_v3_tiers(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    weth, usdc = devnet["tokens"]["WETH"]["address"], devnet["tokens"]["USDC"]["address"]
    found = find_pools_for_pair(w3, usdc, weth, devnet["uniswap_v2"]["factory"],
                                devnet["uniswap_v3"]["factory"])
    assert {(p.kind, p.fee_pips, p.address) for p in found} == {
        ("uniswap_v2", 3000, devnet["uniswap_v2"]["pairs"]["WETH/USDC"]["address"]),
        ("uniswap_v3", 500, devnet["uniswap_v3"]["pools"]["WETH/USDC/500"]["address"]),
        ("uniswap_v3", 3000, devnet["uniswap_v3"]["pools"]["WETH/USDC/3000"]["address"]),
    }
    assert all(int(p.token0, 16) < int(p.token1, 16) for p in found)


def test_find_pools_for_pair_when_no_pool_exists_then_empty(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    weth, wbtc = devnet["tokens"]["WETH"]["address"], devnet["tokens"]["WBTC"]["address"]
    assert find_pools_for_pair(w3, weth, wbtc, devnet["uniswap_v2"]["factory"],
                               devnet["uniswap_v3"]["factory"]) == []


def test_scan_created_pools_when_whole_history_then_every_world_pool_once(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    factories = {devnet["uniswap_v2"]["factory"]: "uniswap_v2",
                 devnet["uniswap_v3"]["factory"]: "uniswap_v3"}
    found = scan_created_pools(w3, factories, 0, devnet["block"])
    expected = {p["address"] for p in devnet["uniswap_v2"]["pairs"].values()} | {
        p["address"] for p in devnet["uniswap_v3"]["pools"].values()}
    assert sorted(p.address for p in found) == sorted(expected)
    fees = {p.address: p.fee_pips for p in found}
    assert fees[devnet["uniswap_v3"]["pools"]["WETH/USDC/500"]["address"]] == 500
