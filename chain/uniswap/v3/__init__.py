"""Uniswap V3 math in Python integers, bit-exact with the deployed v3-core contracts."""

from chain.uniswap.v3.full_math import MathOverflow, mul_div, mul_div_rounding_up
from chain.uniswap.v3.sqrt_price_math import (
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)
from chain.uniswap.v3.swap import InvalidSwap, StateWindowExceeded, SwapResult, V3Pool, swap
from chain.uniswap.v3.swap_math import SwapStep, compute_swap_step
from chain.uniswap.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

__all__ = [
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "InvalidSwap",
    "MathOverflow",
    "StateWindowExceeded",
    "SwapResult",
    "SwapStep",
    "V3Pool",
    "compute_swap_step",
    "get_amount0_delta",
    "get_amount1_delta",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "mul_div",
    "mul_div_rounding_up",
    "swap",
]
