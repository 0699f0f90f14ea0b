"""Find the pools that trade a token pair, from the Uniswap factories themselves.

Two ways: ask the factories directly (`getPair`, `getPool` per fee tier), which is exact and
cheap for one pair; or scan their creation events (`PairCreated`, `PoolCreated`) over a block
range, which finds every pool a factory made, e.g. to index a fork.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from web3 import Web3

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
V3_FEE_TIERS = (100, 500, 3000, 10000)
_PAIR_CREATED = Web3.keccak(text="PairCreated(address,address,address,uint256)")
_POOL_CREATED = Web3.keccak(text="PoolCreated(address,address,uint24,int24,address)")
_FACTORY_ABI: list[dict[str, Any]] = [
    {"name": "getPair", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "a", "type": "address"}, {"name": "b", "type": "address"}],
     "outputs": [{"name": "", "type": "address"}]},
    {"name": "getPool", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "a", "type": "address"}, {"name": "b", "type": "address"},
                {"name": "fee", "type": "uint24"}],
     "outputs": [{"name": "", "type": "address"}]},
]


@dataclass(frozen=True)
class DiscoveredPool:
    """A pool a factory created: its kind, tokens (sorted, as the pool holds them) and fee."""

    address: ChecksumAddress
    kind: str  # "uniswap_v2" | "uniswap_v3"
    token0: ChecksumAddress
    token1: ChecksumAddress
    fee_pips: int


def _sorted(token_a: str, token_b: str) -> tuple[ChecksumAddress, ChecksumAddress]:
    a, b = Web3.to_checksum_address(token_a), Web3.to_checksum_address(token_b)
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def find_pools_for_pair(
    w3: Web3, token_a: str, token_b: str, v2_factory: str | None = None,
    v3_factory: str | None = None, fee_tiers: tuple[int, ...] = V3_FEE_TIERS,
) -> list[DiscoveredPool]:
    """Every V2 pair and V3 pool (one per fee tier) the given factories have for the pair."""
    token0, token1 = _sorted(token_a, token_b)
    found: list[DiscoveredPool] = []
    if v2_factory is not None:
        factory = w3.eth.contract(address=Web3.to_checksum_address(v2_factory), abi=_FACTORY_ABI)
        pair = factory.functions.getPair(token0, token1).call()
        if pair != ZERO_ADDRESS:
            found.append(DiscoveredPool(pair, "uniswap_v2", token0, token1, 3000))
    if v3_factory is not None:
        factory = w3.eth.contract(address=Web3.to_checksum_address(v3_factory), abi=_FACTORY_ABI)
        for fee in fee_tiers:
            pool = factory.functions.getPool(token0, token1, fee).call()
            if pool != ZERO_ADDRESS:
                found.append(DiscoveredPool(pool, "uniswap_v3", token0, token1, fee))
    return found


def scan_created_pools(
    w3: Web3, factories: dict[str, str], from_block: int, to_block: int
) -> list[DiscoveredPool]:
    """Pools created by the factories (address -> "uniswap_v2"|"uniswap_v3") in a block range."""
    by_address = {Web3.to_checksum_address(a): kind for a, kind in factories.items()}
    logs = w3.eth.get_logs({
        "fromBlock": from_block, "toBlock": to_block, "address": list(by_address),
        "topics": [[_PAIR_CREATED, _POOL_CREATED]],
    })
    pools = []
    for log in logs:
        token0, token1 = (Web3.to_checksum_address(t[-20:]) for t in log["topics"][1:3])
        if by_address[Web3.to_checksum_address(log["address"])] == "uniswap_v2":
            pair, _ = abi_decode(["address", "uint256"], bytes(log["data"]))
            pools.append(DiscoveredPool(Web3.to_checksum_address(pair), "uniswap_v2",
                                        token0, token1, 3000))
        else:
            fee = int.from_bytes(log["topics"][3], "big")
            _, pool = abi_decode(["int24", "address"], bytes(log["data"]))
            pools.append(DiscoveredPool(Web3.to_checksum_address(pool), "uniswap_v3",
                                        token0, token1, fee))
    return pools
