"""Ticks and square-root prices (TickMath.sol): price(tick) = 1.0001**tick, sqrt in Q64.96.

Both directions follow the contract's own fixed-point steps, so results are bit-identical to
it rather than to the real-number formula: `get_sqrt_ratio_at_tick` multiplies Q128.128
factors per set bit of |tick|; `get_tick_at_sqrt_ratio` takes a 14-bit-fraction binary log,
turns it into a two-tick bracket and settles the bracket with `get_sqrt_ratio_at_tick`.
"""

from __future__ import annotations

from chain.uniswap.v3.errors import MathOverflow
from chain.uniswap.v3.full_math import MAX_UINT256

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739  # get_sqrt_ratio_at_tick(MIN_TICK), TickMath.MIN_SQRT_RATIO
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342  # ...(MAX_TICK)

# Q128.128 values of 1/sqrt(1.0001)**(2**i) for bit i of |tick| (TickMath.getSqrtRatioAtTick).
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

# TickMath.getTickAtSqrtRatio: log base sqrt(1.0001) of 2 in Q128.128, and the error bounds
# that bracket the true tick between tick_low and tick_high.
_LOG_SQRT10001_OF_2_X128 = 255738958999603826347141
_TICK_LOW_ERROR_X128 = 3402992956809132418596140100660247210
_TICK_HIGH_ERROR_X128 = 291339464771989622907027621153398088495
_LOG2_FRACTION_BITS = 14


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """TickMath.getSqrtRatioAtTick: sqrt(1.0001**tick) * 2**96 as the contract computes it.

    The Q128.128 product is rounded down at each factor, and the final Q128.128 -> Q64.96 shift
    rounds up. Raises MathOverflow for |tick| > MAX_TICK (the contract reverts 'T').
    """
    if not MIN_TICK <= tick <= MAX_TICK:
        raise MathOverflow(f"tick {tick} is outside [{MIN_TICK}, {MAX_TICK}] (T)")
    abs_tick = abs(tick)
    ratio = _BIT0_FACTOR if abs_tick & 0x1 else 1 << 128
    for bit, factor in _BIT_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = MAX_UINT256 // ratio
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """TickMath.getTickAtSqrtRatio: the greatest tick whose sqrt ratio is <= `sqrt_price_x96`.

    Rounds toward minus infinity in tick space. Raises MathOverflow unless
    MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO (the contract reverts 'R').
    """
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise MathOverflow(f"sqrt price {sqrt_price_x96} is outside "
                           f"[MIN_SQRT_RATIO, MAX_SQRT_RATIO) (R)")
    log_sqrt10001 = _log2_x64(sqrt_price_x96 << 32) * _LOG_SQRT10001_OF_2_X128
    tick_low = (log_sqrt10001 - _TICK_LOW_ERROR_X128) >> 128
    tick_high = (log_sqrt10001 + _TICK_HIGH_ERROR_X128) >> 128
    if tick_low == tick_high or get_sqrt_ratio_at_tick(tick_high) > sqrt_price_x96:
        return tick_low
    return tick_high


def _log2_x64(ratio_x128: int) -> int:
    """log2 of a Q128.128 number as a signed Q64.64, rounded down, with only the first 14
    fraction bits computed (by repeated squaring), as the contract does."""
    msb = ratio_x128.bit_length() - 1
    log_2 = (msb - 128) << 64
    # Normalise to [2**127, 2**128): a Q1.127 mantissa in [1, 2).
    r = ratio_x128 >> (msb - 127) if msb >= 128 else ratio_x128 << (127 - msb)
    for shift in range(63, 63 - _LOG2_FRACTION_BITS, -1):
        r = (r * r) >> 127
        overflow_bit = r >> 128  # 1 when the square reached [2, 4)
        log_2 |= overflow_bit << shift
        r >>= overflow_bit
    return log_2
