"""A cache of pool state that knows which block it reflects, follows logs, and survives reorgs.

`refresh` moves the cache to the chain's newest block:

- no reorg: pools named by a V2 `Sync` or V3 `Swap`/`Mint`/`Burn` log since the cached block are
  reloaded through the lens; the others are known unchanged and only advance their block;
- more blocks behind than `max_log_window`: everything is reloaded, without reading logs;
- reorg (a block we cached no longer has the hash we saw): walk back through the block hashes we
  recorded to the last block still on the chain, and reload every pool at the new head, since logs
  from the abandoned branch say nothing about the new one.

Every cached state carries the block it was read at and when, so a quote can say how old it is.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import BlockNotFound

from chain.poolstate.lens import (
    DEFAULT_WORDS_EACH_SIDE,
    BlockRef,
    V2PairState,
    V3PoolState,
    read_pools,
)

# Event signatures whose logs change what a quote depends on.
_V2_SYNC = Web3.keccak(text="Sync(uint112,uint112)")
_V3_CHANGES = [
    Web3.keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24)"),
    Web3.keccak(text="Mint(address,address,int24,int24,uint128,uint256,uint256)"),
    Web3.keccak(text="Burn(address,int24,int24,uint128,uint256,uint256)"),
]
_HASH_HISTORY = 256  # deepest reorg the cache can roll back without a full reload


@dataclass(frozen=True)
class CachedPool:
    """A pool's state with the block it reflects and the wall time it was read."""

    state: V2PairState | V3PoolState
    block: BlockRef
    read_at_ns: int

    def age_s(self, now_ns: int | None = None) -> float:
        return ((now_ns or time.time_ns()) - self.read_at_ns) / 1e9


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh did: the new head, which pools it reloaded, how deep a reorg it undid."""

    block: BlockRef
    reloaded: frozenset[ChecksumAddress]
    reorg_depth: int
    full_reload: bool


class PoolStateCache:
    """State of a fixed set of V2 pairs and V3 pools on one chain, kept current by `refresh`."""

    def __init__(
        self,
        w3: Web3,
        v2_pairs: list[str],
        v3_pools: list[str],
        words_each_side: int = DEFAULT_WORDS_EACH_SIDE,
        max_log_window: int = 1_000,
    ) -> None:
        self.w3 = w3
        self.chain_id = w3.eth.chain_id
        self.v2_pairs = [Web3.to_checksum_address(a) for a in v2_pairs]
        self.v3_pools = [Web3.to_checksum_address(a) for a in v3_pools]
        self.words_each_side = words_each_side
        self.max_log_window = max_log_window
        self._pools: dict[ChecksumAddress, CachedPool] = {}
        self._hashes: OrderedDict[int, HexBytes] = OrderedDict()  # block number -> hash we saw
        self.head: BlockRef | None = None

    def get(self, address: str) -> CachedPool:
        """The cached state of one pool (KeyError if it is not one of the cache's pools)."""
        cached = self._pools.get(address)  # type: ignore[call-overload]  # already checksummed
        return cached if cached is not None else self._pools[Web3.to_checksum_address(address)]

    def refresh(self) -> RefreshReport:
        """Bring every pool to the chain's newest block; see the module docstring."""
        latest = self.w3.eth.get_block("latest")
        new_head = BlockRef(latest["number"], HexBytes(latest["hash"]))
        if self.head is None:
            return self._reload_all(new_head, reorg_depth=0)
        common = self._last_common_block()
        if common is None or common.number < self.head.number:
            depth = self.head.number - (common.number if common else 0)
            return self._reload_all(new_head, reorg_depth=depth)
        if new_head.number - self.head.number > self.max_log_window:
            return self._reload_all(new_head, reorg_depth=0)
        changed = self._pools_changed_since(self.head.number + 1, new_head.number)
        return self._reload(new_head, changed, reorg_depth=0, full=False)

    def _last_common_block(self) -> BlockRef | None:
        """The newest recorded block whose hash the chain still agrees with."""
        for number in reversed(list(self._hashes)):
            try:
                on_chain = HexBytes(self.w3.eth.get_block(number)["hash"])
            except BlockNotFound:  # the chain is now shorter than what we saw
                on_chain = HexBytes(b"")
            if on_chain == self._hashes[number]:
                return BlockRef(number, on_chain)
            del self._hashes[number]  # abandoned by a reorg
        return None

    def _pools_changed_since(self, from_block: int, to_block: int) -> set[ChecksumAddress]:
        if from_block > to_block:
            return set()
        changed: set[ChecksumAddress] = set()
        for addresses, topics in ((self.v2_pairs, [_V2_SYNC]), (self.v3_pools, _V3_CHANGES)):
            if not addresses:
                continue
            logs = self.w3.eth.get_logs({
                "fromBlock": from_block, "toBlock": to_block,
                "address": addresses, "topics": [topics],
            })
            changed.update(Web3.to_checksum_address(log["address"]) for log in logs)
        return changed

    def _reload_all(self, head: BlockRef, reorg_depth: int) -> RefreshReport:
        return self._reload(head, set(self.v2_pairs) | set(self.v3_pools), reorg_depth, full=True)

    def _reload(
        self, head: BlockRef, pools: set[ChecksumAddress], reorg_depth: int, full: bool
    ) -> RefreshReport:
        now = time.time_ns()
        if pools:
            snapshot = read_pools(
                self.w3, [a for a in self.v2_pairs if a in pools],
                [a for a in self.v3_pools if a in pools], self.words_each_side, head.number,
            )
            states: list[Any] = [*snapshot.v2, *snapshot.v3]
            for state in states:
                self._pools[state.address] = CachedPool(state, head, now)
        for address, cached in list(self._pools.items()):
            if address not in pools:  # known unchanged: same state, newer block
                self._pools[address] = CachedPool(cached.state, head, cached.read_at_ns)
        self._record(head)
        return RefreshReport(head, frozenset(pools), reorg_depth, full)

    def _record(self, head: BlockRef) -> None:
        self.head = head
        self._hashes[head.number] = head.hash
        while len(self._hashes) > _HASH_HISTORY:
            self._hashes.popitem(last=False)
