"""One swap against a pool's state, in base units, with nothing read from the network.

This is the pure core under every AMM quote: `quote_pool` feeds it state read at one block,
the AMM venue state kept by `PoolStateCache`. It reports what the pool would pay, whether it
could fill everything asked, how many initialized ticks the swap crossed (what its gas depends
on), and the pool's price after the swap (what the next unit would cost).
"""

from __future__ import annotations

from dataclasses import dataclass

from chain.poolstate import V2PairState, V3PoolState, to_v3_pool
from chain.uniswap import get_amount_in, get_amount_out
from chain.uniswap.v2 import InsufficientLiquidity
from chain.uniswap.v3 import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    StateWindowExceeded,
    SwapResult,
    V3Pool,
    get_sqrt_ratio_at_tick,
    swap,
)
from connectors.errors import InvalidQuoteRequest

V2_FEE_PIPS = 3000  # UniswapV2Pair keeps 997 of every 1000 of the input
Q96 = 2**96


@dataclass(frozen=True, slots=True)
class Simulation:
    """A swap's outcome in base units.

    `price_after_num / price_after_den` is the pool's mid price after the swap, in raw token1
    per raw token0 (for V3 the square of sqrtPriceX96 / 2^96; for V2 the reserve ratio), before
    the fee. `partial` is True when the pool (or, for V3, the window of ticks read) could not
    fill the whole amount.
    """

    amount_in: int
    amount_out: int
    partial: bool
    ticks_crossed: int
    price_after_num: int
    price_after_den: int
    fee_pips: int


def simulate(
    state: V2PairState | V3PoolState, zero_for_one: bool, amount: int, exact_in: bool,
    v3_pool: V3Pool | None = None,
) -> Simulation:
    """Swap `amount` (of the input if `exact_in`, else of the output) against `state`.

    `v3_pool` is `to_v3_pool(state)` when the caller keeps it (building it indexes the ticks,
    which costs more than a short swap).
    """
    if amount <= 0:
        raise InvalidQuoteRequest("amount", f"must be a positive integer of base units, "
                                            f"got {amount}")
    if isinstance(state, V3PoolState):
        return _simulate_v3(state, v3_pool or to_v3_pool(state), zero_for_one, amount, exact_in)
    return _simulate_v2(state, zero_for_one, amount, exact_in)


def _simulate_v3(state: V3PoolState, pool: V3Pool, zero_for_one: bool, amount: int,
                 exact_in: bool) -> Simulation:
    result = _v3_swap(pool, zero_for_one, amount if exact_in else -amount)
    paid_in, paid_out = ((result.amount0, -result.amount1) if zero_for_one
                         else (result.amount1, -result.amount0))
    # Short of the amount: the pool ran out of liquidity, or of the state window read.
    partial = (paid_in if exact_in else paid_out) != amount
    return Simulation(paid_in, paid_out, partial, result.initialized_ticks_crossed,
                      result.sqrt_price_x96_after**2, Q96**2, state.fee)


def _v3_swap(pool: V3Pool, zero_for_one: bool, amount_specified: int) -> SwapResult:
    """Swap, or when the swap would leave the ticks read, swap up to the window's edge."""
    try:
        return swap(pool, zero_for_one, amount_specified)
    except StateWindowExceeded:
        spacing = pool.tick_spacing
        edge_tick = (pool.word_low * 256 * spacing if zero_for_one
                     else ((pool.word_high + 1) * 256 - 1) * spacing)
        edge = get_sqrt_ratio_at_tick(min(max(edge_tick, MIN_TICK), MAX_TICK))
        edge = min(max(edge, MIN_SQRT_RATIO + 1), MAX_SQRT_RATIO - 1)
        return swap(pool, zero_for_one, amount_specified, edge)


def _simulate_v2(state: V2PairState, zero_for_one: bool, amount: int,
                 exact_in: bool) -> Simulation:
    reserve_in, reserve_out = ((state.reserve0, state.reserve1) if zero_for_one
                               else (state.reserve1, state.reserve0))
    partial = False
    if exact_in:
        paid_in, paid_out = amount, get_amount_out(amount, reserve_in, reserve_out)
    else:
        try:
            paid_in, paid_out = get_amount_in(amount, reserve_in, reserve_out), amount
        except InsufficientLiquidity:
            # A constant-product pair can never pay out its whole reserve: all but one unit.
            paid_out = reserve_out - 1
            paid_in, partial = get_amount_in(paid_out, reserve_in, reserve_out), True
    new_in, new_out = reserve_in + paid_in, reserve_out - paid_out
    reserve0, reserve1 = (new_in, new_out) if zero_for_one else (new_out, new_in)
    return Simulation(paid_in, paid_out, partial, 0, reserve1, reserve0, V2_FEE_PIPS)
