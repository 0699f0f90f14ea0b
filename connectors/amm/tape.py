"""A pool's trade tape: its Swap events over a block range, timed by their blocks.

What traded on a pool is in its logs: Uniswap V2's
`Swap(address indexed sender, uint amount0In, uint amount1In, uint amount0Out,
uint amount1Out, address indexed to)` and V3's `Swap(address indexed sender, address indexed
recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity,
int24 tick)`. A print's size is the base token that changed hands with the pool (V2: the
difference of in and out, which is the one non-zero side of an ordinary swap; V3: the absolute
signed delta). Its time is its block's timestamp (whole seconds, the chain's clock).

The range starts at the first block stamped at or after `since`, found by bisection over block
timestamps (blocks are stamped in non-decreasing order), and is read in chunks of at most
`max_blocks_per_query` blocks, since nodes cap one eth_getLogs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3

from connectors.amm.pool_quote import PoolKind
from connectors.volume import TradePrint

V2_SWAP = Web3.keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)")
V3_SWAP = Web3.keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24)")
MAX_BLOCKS_PER_QUERY = 5_000
_WORD = 32


def _word(data: bytes, index: int, signed: bool = False) -> int:
    return int.from_bytes(data[index * _WORD:(index + 1) * _WORD], "big", signed=signed)


def base_delta_raw(kind: PoolKind, data: bytes, base_is_token0: bool) -> int:
    """The base token (raw units) a Swap event's data says changed hands with the pool."""
    if kind is PoolKind.UNISWAP_V2:
        base_in, base_out = ((_word(data, 0), _word(data, 2)) if base_is_token0
                             else (_word(data, 1), _word(data, 3)))
        return abs(base_in - base_out)
    return abs(_word(data, 0 if base_is_token0 else 1, signed=True))


class BlockTimes:
    """Block timestamps (seconds), read once each: a chain's history does not change below its
    reorg depth, and a reorged block is re-stamped close to the original anyway."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._known: dict[int, int] = {}
        self.reads = 0

    def of(self, number: int) -> int:
        if number not in self._known:
            self.reads += 1
            self._known[number] = int(self.w3.eth.get_block(number)["timestamp"])
        return self._known[number]

    def first_at_or_after(self, ts_s: int, head: int) -> int:
        """The first block stamped at or after `ts_s`; `head + 1` when none is yet."""
        low, high = 0, head + 1
        while low < high:
            middle = (low + high) // 2
            if self.of(middle) >= ts_s:
                high = middle
            else:
                low = middle + 1
        return low


def swap_prints(w3: Web3, address: ChecksumAddress, kind: PoolKind, base: ChecksumAddress,
                quote: ChecksumAddress, base_decimals: int, since_ns: int, times: BlockTimes,
                max_blocks_per_query: int = MAX_BLOCKS_PER_QUERY) -> list[TradePrint]:
    """Every Swap of the pool at `address` stamped at or after `since_ns`, oldest first, as
    (block time ns, base qty in human units). Blocking (web3 over HTTP)."""
    head = int(w3.eth.block_number)
    since_s = -(-since_ns // 1_000_000_000)  # a block at second s is s * 1e9 ns
    start = times.first_at_or_after(since_s, head)
    topic = V2_SWAP if kind is PoolKind.UNISWAP_V2 else V3_SWAP
    base_is_token0 = int(base, 16) < int(quote, 16)  # Uniswap orders a pair's tokens by address
    prints: list[TradePrint] = []
    for first in range(start, head + 1, max_blocks_per_query):
        last = min(first + max_blocks_per_query - 1, head)
        logs: list[Any] = w3.eth.get_logs({"address": address, "topics": [topic],
                                           "fromBlock": first, "toBlock": last})
        for log in logs:
            raw = base_delta_raw(kind, bytes(log["data"]), base_is_token0)
            stamp_ns = times.of(int(log["blockNumber"])) * 1_000_000_000
            if raw and stamp_ns >= since_ns:
                prints.append((stamp_ns, Decimal(raw).scaleb(-base_decimals)))
    return prints
