"""Signed changes to an unsigned liquidity (LiquidityMath.sol)."""

from __future__ import annotations

from chain.uniswap.v3.errors import MathOverflow
from chain.uniswap.v3.full_math import MAX_UINT128


def add_delta(liquidity: int, delta: int) -> int:
    """LiquidityMath.addDelta: `liquidity + delta` for a uint128 liquidity and int128 delta.

    Exact (no rounding). Raises MathOverflow where the contract reverts: 'LS' when the result
    would be negative, 'LA' when it would leave uint128.
    """
    result = liquidity + delta
    if result < 0:
        raise MathOverflow(f"liquidity {liquidity} minus {-delta} is negative (LS)")
    if result > MAX_UINT128:
        raise MathOverflow(f"liquidity {liquidity} plus {delta} leaves uint128 (LA)")
    return result
