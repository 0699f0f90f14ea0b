"""Pool state read from chain in batches, pinned to the block it reflects, and cached."""

from chain.poolstate.cache import CachedPool, PoolStateCache, RefreshReport
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
    "PoolReadFailed",
    "PoolSnapshot",
    "PoolStateCache",
    "RefreshReport",
    "V2PairState",
    "V3PoolState",
    "read_pools",
    "to_v3_pool",
]
