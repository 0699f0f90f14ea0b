"""Ticks and square-root prices (TickMath.sol): price(tick) = 1.0001^tick, sqrt in Q64.96.

`get_sqrt_ratio_at_tick` multiplies the Q128.128 factors for each set bit of |tick|, exactly as
the contract does, so the result is bit-identical. `get_tick_at_sqrt_ratio` returns, as the
contract specifies, the greatest tick whose sqrt ratio is at most the given one; it is settled
against `get_sqrt_ratio_at_tick`, which makes it exact by construction.
"""

from __future__ import annotations

import math

from chain.uniswap.v3.full_math import MAX_UINT256, MathOverflow

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739  # get_sqrt_ratio_at_tick(MIN_TICK)
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342  # ...(MAX_TICK)

# Q128.128 values of 1/sqrt(1.0001)^(2^i) for bit i of |tick|; constants of TickMath.sol
# (Uniswap v3-core, getSqrtRatioAtTick).
_BIT_FACTORS = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)
_BIT0_FACTOR = 0xFFFCB933BD6FAD37AA2D162D1A594001


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """sqrt(1.0001^tick) in Q64.96, rounded up as the contract rounds (its last step)."""
    if not MIN_TICK <= tick <= MAX_TICK:
        raise MathOverflow(f"tick {tick} is outside [{MIN_TICK}, {MAX_TICK}]")
    abs_tick = abs(tick)
    ratio = _BIT0_FACTOR if abs_tick & 0x1 else 1 << 128
    for bit, factor in _BIT_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = MAX_UINT256 // ratio
    # Q128.128 -> Q128.96, rounding up so that get_tick_at_sqrt_ratio(result) == tick.
    return (ratio >> 32) + (1 if ratio % (1 << 32) else 0)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick whose sqrt ratio is <= `sqrt_price_x96` (MIN <= price < MAX).

    A float logarithm lands within a tick or two; the answer is then settled exactly against
    `get_sqrt_ratio_at_tick`, so the float never decides the result.
    """
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise MathOverflow(f"sqrt price {sqrt_price_x96} is outside [MIN, MAX)")
    estimate = math.floor(2 * (math.log(sqrt_price_x96) - _LOG_Q96) / _LOG_TICK_BASE)
    tick = min(max(estimate, MIN_TICK), MAX_TICK)
    while get_sqrt_ratio_at_tick(tick) > sqrt_price_x96:
        tick -= 1
    while tick < MAX_TICK and get_sqrt_ratio_at_tick(tick + 1) <= sqrt_price_x96:
        tick += 1
    return tick


_LOG_Q96 = math.log(2**96)
_LOG_TICK_BASE = math.log(1.0001)
