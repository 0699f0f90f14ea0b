"""One step of a swap inside a single liquidity range (SwapMath.computeSwapStep)."""

from __future__ import annotations

from dataclasses import dataclass

from chain.uniswap.v3.full_math import mul_div, mul_div_rounding_up
from chain.uniswap.v3.sqrt_price_math import (
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)

FEE_DENOMINATOR_PIPS = 1_000_000  # fees are in hundredths of a basis point


@dataclass(frozen=True)
class SwapStep:
    """What one step moves: the price it ends at and unsigned amounts in, out and fee."""

    sqrt_price_next_x96: int
    amount_in: int
    amount_out: int
    fee_amount: int


def compute_swap_step(
    sqrt_price_current_x96: int,
    sqrt_price_target_x96: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> SwapStep:
    """SwapMath.computeSwapStep: swap from the current price toward the target, as far as
    `amount_remaining` allows (exact input if >= 0, exact output of -amount_remaining if < 0).

    The direction is token0 -> token1 when the target is at or below the current price. The
    fee is taken on the input. Rounding favours the pool: the input (and, for an exact-output
    step, the input that buys it) rounds up, the output rounds down and is capped at the amount
    asked for; the fee rounds up, and when an exact-input step stops short of the target, every
    unit of the input not swapped is fee.
    """
    current, target = sqrt_price_current_x96, sqrt_price_target_x96
    zero_for_one = current >= target
    exact_in = amount_remaining >= 0
    amount_in = amount_out = 0
    if exact_in:
        less_fee = mul_div(amount_remaining, FEE_DENOMINATOR_PIPS - fee_pips, FEE_DENOMINATOR_PIPS)
        amount_in = _amount_in(current, target, liquidity, zero_for_one)
        next_price = target if less_fee >= amount_in else get_next_sqrt_price_from_input(
            current, liquidity, less_fee, zero_for_one)
    else:
        amount_out = _amount_out(current, target, liquidity, zero_for_one)
        next_price = target if -amount_remaining >= amount_out else get_next_sqrt_price_from_output(
            current, liquidity, -amount_remaining, zero_for_one)
    reached_target = next_price == target
    if not (reached_target and exact_in):
        amount_in = _amount_in(current, next_price, liquidity, zero_for_one)
    if not (reached_target and not exact_in):
        amount_out = _amount_out(current, next_price, liquidity, zero_for_one)
    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining
    if exact_in and not reached_target:
        fee_amount = amount_remaining - amount_in
    else:
        fee_amount = mul_div_rounding_up(amount_in, fee_pips, FEE_DENOMINATOR_PIPS - fee_pips)
    return SwapStep(next_price, amount_in, amount_out, fee_amount)


def _amount_in(current: int, next_price: int, liquidity: int, zero_for_one: bool) -> int:
    """The input to move the price from `current` to `next_price`, rounded up."""
    if zero_for_one:
        return get_amount0_delta(next_price, current, liquidity, True)
    return get_amount1_delta(current, next_price, liquidity, True)


def _amount_out(current: int, next_price: int, liquidity: int, zero_for_one: bool) -> int:
    """The output of moving the price from `current` to `next_price`, rounded down."""
    if zero_for_one:
        return get_amount1_delta(next_price, current, liquidity, False)
    return get_amount0_delta(current, next_price, liquidity, False)
