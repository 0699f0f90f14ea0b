"""One step of a swap within a single liquidity range (SwapMath.computeSwapStep)."""

from __future__ import annotations

from dataclasses import dataclass

from chain.uniswap.v3.full_math import mul_div, mul_div_rounding_up
from chain.uniswap.v3.sqrt_price_math import (
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)

FEE_DENOMINATOR_PIPS = 1_000_000


@dataclass(frozen=True)
class SwapStep:
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
    """Swap as far as `amount_remaining` (exact in if >= 0, exact out if < 0) allows, up to the
    target price. The fee is taken on the input; an exact-output step rounds its input up."""
    current, target = sqrt_price_current_x96, sqrt_price_target_x96
    zero_for_one = current >= target
    # Input is token0 when selling token0; the delta functions take their prices in any order.
    in_delta, out_delta = ((get_amount0_delta, get_amount1_delta) if zero_for_one
                           else (get_amount1_delta, get_amount0_delta))
    exact_in = amount_remaining >= 0
    amount_in = amount_out = 0
    if exact_in:
        less_fee = mul_div(amount_remaining, FEE_DENOMINATOR_PIPS - fee_pips, FEE_DENOMINATOR_PIPS)
        amount_in = in_delta(target, current, liquidity, True)
        next_price = target if less_fee >= amount_in else get_next_sqrt_price_from_input(
            current, liquidity, less_fee, zero_for_one)
    else:
        amount_out = out_delta(target, current, liquidity, False)
        next_price = target if -amount_remaining >= amount_out else get_next_sqrt_price_from_output(
            current, liquidity, -amount_remaining, zero_for_one)
    reached_target = next_price == target
    if not (reached_target and exact_in):
        amount_in = in_delta(next_price, current, liquidity, True)
    if not (reached_target and not exact_in):
        amount_out = out_delta(next_price, current, liquidity, False)
    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining  # never pay out more than was asked
    if exact_in and not reached_target:
        fee_amount = amount_remaining - amount_in  # the remainder of the input is all fee
    else:
        fee_amount = mul_div_rounding_up(amount_in, fee_pips, FEE_DENOMINATOR_PIPS - fee_pips)
    return SwapStep(next_price, amount_in, amount_out, fee_amount)
