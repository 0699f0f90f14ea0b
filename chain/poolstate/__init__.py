"""Pool state read from chain in batches, pinned to the block it reflects, and cached."""

from chain.poolstate.cache import CachedPool, PoolStateCache, RefreshReport
from chain.poolstate.discovery import DiscoveredPool, find_pools_for_pair, scan_created_pools
from chain.poolstate.lens import (
    LENS_ADDRESS,
    BlockRef,
    PoolReadFailed,
    PoolSnapshot,
    V2PairState,
    V3PoolState,
    read_pools,
    to_v3_pool,
)

__all__ = [
    "LENS_ADDRESS",
    "BlockRef",
    "CachedPool",
    "DiscoveredPool",
    "PoolReadFailed",
    "PoolSnapshot",
    "PoolStateCache",
    "RefreshReport",
    "V2PairState",
    "V3PoolState",
    "find_pools_for_pair",
    "read_pools",
    "scan_created_pools",
    "to_v3_pool",
]
