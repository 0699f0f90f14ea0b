"""Pool state read from chain in batches, pinned to the block it reflects."""

from chain.poolstate.lens import (
    LENS_ADDRESS,
    BlockRef,
    PoolReadFailed,
    PoolSnapshot,
    V2PairState,
    V3PoolState,
    read_pools,
)

__all__ = [
    "LENS_ADDRESS",
    "BlockRef",
    "PoolReadFailed",
    "PoolSnapshot",
    "V2PairState",
    "V3PoolState",
    "read_pools",
]
