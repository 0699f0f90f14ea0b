"""The whole V3 swap loop over an in-memory pool (UniswapV3Pool.swap, amounts only).

The loop is the contract's: step to the next initialized tick *or the edge of the current
256-tick bitmap word*, whichever comes first, round each step on its own, and cross
initialized ticks by adding their liquidityNet. Fee growth, protocol fees and the oracle do
not change the amounts and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain.uniswap.v3.errors import InvalidSwap
from chain.uniswap.v3.full_math import to_int256
from chain.uniswap.v3.liquidity_math import add_delta
from chain.uniswap.v3.pool import V3Pool
from chain.uniswap.v3.swap_math import SwapStep, compute_swap_step
from chain.uniswap.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

_MIN_INT256 = -(2**255)


@dataclass(frozen=True)
class SwapResult:
    """A swap's outcome: signed amounts as the pool reports them (positive: paid into the
    pool, negative: paid out), and the pool's price, tick and liquidity afterwards."""

    amount0: int
    amount1: int
    sqrt_price_x96_after: int
    tick_after: int
    liquidity_after: int
    initialized_ticks_crossed: int


@dataclass
class _Loop:
    remaining: int
    calculated: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    crossed: int = 0


def default_sqrt_price_limit(zero_for_one: bool) -> int:
    """The limit QuoterV2 and SwapRouter use for "no limit": one unit inside the price range."""
    return MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1


def swap(pool: V3Pool, zero_for_one: bool, amount_specified: int,
         sqrt_price_limit_x96: int | None = None) -> SwapResult:
    """UniswapV3Pool.swap without transfers: exact input of `amount_specified` if positive,
    exact output of `-amount_specified` if negative, stopping at the price limit.

    Each step rounds as SwapMath.computeSwapStep does (in favour of the pool). A limit of
    None or 0 means none, as in QuoterV2. The swap stops short, a partial fill visible in the
    amounts, when the limit is reached or liquidity runs out at the end of the price range.
    Raises InvalidSwap for a zero amount or a limit on the wrong side of the price ('AS',
    'SPL'), StateWindowExceeded when the swap needs ticks beyond the pool's window.
    """
    limit = sqrt_price_limit_x96 or default_sqrt_price_limit(zero_for_one)
    _check_arguments(pool, zero_for_one, amount_specified, limit)
    exact_input = amount_specified > 0
    loop = _Loop(amount_specified, 0, pool.sqrt_price_x96, pool.tick, pool.liquidity)
    while loop.remaining != 0 and loop.sqrt_price_x96 != limit:
        _step(pool, loop, zero_for_one, exact_input, limit)
    used = amount_specified - loop.remaining
    amount0, amount1 = ((used, loop.calculated) if zero_for_one == exact_input
                        else (loop.calculated, used))
    return SwapResult(amount0, amount1, loop.sqrt_price_x96, loop.tick, loop.liquidity,
                      loop.crossed)


def _check_arguments(pool: V3Pool, zero_for_one: bool, amount_specified: int,
                     limit: int) -> None:
    if amount_specified == 0:
        raise InvalidSwap("amount_specified must not be zero (AS)")
    if not _MIN_INT256 <= amount_specified < 2**255:
        raise InvalidSwap(f"amount_specified {amount_specified} does not fit int256")
    valid = (MIN_SQRT_RATIO < limit < pool.sqrt_price_x96 if zero_for_one
             else pool.sqrt_price_x96 < limit < MAX_SQRT_RATIO)
    if not valid:
        side = "below" if zero_for_one else "above"
        raise InvalidSwap(f"price limit {limit} must be {side} the current price "
                          f"{pool.sqrt_price_x96} and inside (MIN_SQRT_RATIO, MAX_SQRT_RATIO) "
                          f"(SPL)")


def _step(pool: V3Pool, loop: _Loop, zero_for_one: bool, exact_input: bool, limit: int) -> None:
    """One pass of the contract's while loop: a step to the next tick, word edge or limit."""
    start = loop.sqrt_price_x96
    tick_next, initialized = pool.next_initialized_tick_within_one_word(loop.tick, zero_for_one)
    tick_next = min(max(tick_next, MIN_TICK), MAX_TICK)
    price_next = get_sqrt_ratio_at_tick(tick_next)
    beyond_limit = price_next < limit if zero_for_one else price_next > limit
    step = compute_swap_step(start, limit if beyond_limit else price_next, loop.liquidity,
                             loop.remaining, pool.fee_pips)
    _account(loop, step, exact_input)
    loop.sqrt_price_x96 = step.sqrt_price_next_x96
    if loop.sqrt_price_x96 == price_next:
        if initialized:
            net = pool.liquidity_net[tick_next]
            loop.liquidity = add_delta(loop.liquidity, -net if zero_for_one else net)
            loop.crossed += 1
        loop.tick = tick_next - 1 if zero_for_one else tick_next
    elif loop.sqrt_price_x96 != start:
        loop.tick = get_tick_at_sqrt_ratio(loop.sqrt_price_x96)


def _account(loop: _Loop, step: SwapStep, exact_input: bool) -> None:
    # The pool casts each step's amounts with SafeCast.toInt256 before adding them up.
    paid_in = to_int256(step.amount_in + step.fee_amount)
    paid_out = to_int256(step.amount_out)
    if exact_input:
        loop.remaining -= paid_in
        loop.calculated -= paid_out
    else:
        loop.remaining += paid_out
        loop.calculated += paid_in
