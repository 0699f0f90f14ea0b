"""Uniswap V3 math in Python integers, bit-exact with the deployed v3-core contracts.

Modules mirror the contract libraries (full_math, tick_math, sqrt_price_math, swap_math,
tick_bitmap, liquidity_math); `pool` holds the frozen state a swap needs and `swap` the loop.
"""

from chain.uniswap.v3.errors import (
    InvalidPoolState,
    InvalidSwap,
    MathOverflow,
    StateWindowExceeded,
    UniswapV3Error,
)
from chain.uniswap.v3.full_math import div_rounding_up, mul_div, mul_div_rounding_up
from chain.uniswap.v3.liquidity_math import add_delta
from chain.uniswap.v3.pool import V3Pool
from chain.uniswap.v3.sqrt_price_math import (
    get_amount0_delta,
    get_amount0_delta_signed,
    get_amount1_delta,
    get_amount1_delta_signed,
    get_next_sqrt_price_from_amount0_rounding_up,
    get_next_sqrt_price_from_amount1_rounding_down,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)
from chain.uniswap.v3.swap import SwapResult, default_sqrt_price_limit, swap
from chain.uniswap.v3.swap_math import FEE_DENOMINATOR_PIPS, SwapStep, compute_swap_step
from chain.uniswap.v3.tick_bitmap import (
    bitmap_from_ticks,
    count_initialized_ticks_crossed,
    next_initialized_tick_within_one_word,
)
from chain.uniswap.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

__all__ = [
    "FEE_DENOMINATOR_PIPS",
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "InvalidPoolState",
    "InvalidSwap",
    "MathOverflow",
    "StateWindowExceeded",
    "SwapResult",
    "SwapStep",
    "UniswapV3Error",
    "V3Pool",
    "add_delta",
    "bitmap_from_ticks",
    "compute_swap_step",
    "count_initialized_ticks_crossed",
    "default_sqrt_price_limit",
    "div_rounding_up",
    "get_amount0_delta",
    "get_amount0_delta_signed",
    "get_amount1_delta",
    "get_amount1_delta_signed",
    "get_next_sqrt_price_from_amount0_rounding_up",
    "get_next_sqrt_price_from_amount1_rounding_down",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "mul_div",
    "mul_div_rounding_up",
    "next_initialized_tick_within_one_word",
    "swap",
]
