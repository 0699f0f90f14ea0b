"""The initialized-tick bitmap (TickBitmap.sol), as a plain mapping word -> 256-bit word.

Ticks are compressed by the spacing (rounding toward minus infinity, so tick -1 at spacing 60
is compressed -1, not 0) and stored one bit per compressed tick: word = compressed >> 8,
bit = compressed mod 256. A swap searches one word at a time, which is why its loop stops at
every word edge even where no tick is initialized.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chain.uniswap.v3.errors import InvalidPoolState
from chain.uniswap.v3.full_math import MAX_UINT256


def compress(tick: int, tick_spacing: int) -> int:
    """The tick divided by the spacing, rounded toward minus infinity (as the swap does)."""
    return tick // tick_spacing


def position(compressed: int) -> tuple[int, int]:
    """TickBitmap.position: (word, bit) of a compressed tick; bit is in [0, 255]."""
    return compressed >> 8, compressed & 0xFF


def bitmap_from_ticks(ticks: Iterable[int], tick_spacing: int) -> dict[int, int]:
    """The bitmap with exactly `ticks` initialized (TickBitmap.flipTick once for each)."""
    bitmap: dict[int, int] = {}
    for tick in ticks:
        if tick % tick_spacing:
            raise InvalidPoolState(f"tick {tick} is not a multiple of the spacing {tick_spacing}")
        word, bit = position(tick // tick_spacing)
        bitmap[word] = bitmap.get(word, 0) ^ (1 << bit)
    return bitmap


def next_initialized_tick_within_one_word(
    bitmap: Mapping[int, int], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """TickBitmap.nextInitializedTickWithinOneWord: the next initialized tick at or below
    `tick` (lte) or above it, searching only the one bitmap word that holds the start.

    Returns (tick, True) when one is found, else (the word's last tick in the search
    direction, False). The start is compressed toward minus infinity.
    """
    compressed = compress(tick, tick_spacing)
    if lte:
        word, bit = position(compressed)
        masked = bitmap.get(word, 0) & ((2 << bit) - 1)  # bits at or right of `bit`
        offset = masked.bit_length() - 1 - bit if masked else -bit
        return (compressed + offset) * tick_spacing, masked != 0
    word, bit = position(compressed + 1)
    masked = bitmap.get(word, 0) & (MAX_UINT256 ^ ((1 << bit) - 1))  # bits at or left of `bit`
    offset = _lowest_bit(masked) - bit if masked else 255 - bit
    return (compressed + 1 + offset) * tick_spacing, masked != 0


def _lowest_bit(value: int) -> int:
    return (value & -value).bit_length() - 1


def count_initialized_ticks_crossed(
    bitmap: Mapping[int, int], tick_spacing: int, tick_before: int, tick_after: int
) -> int:
    """PoolTicksCounter.countInitializedTicksCrossed (v3-periphery): the `initializedTicksCrossed`
    QuoterV2 reports for a swap that moved the pool's tick from `tick_before` to `tick_after`.

    This is the periphery's gas estimate, not the swap loop's count: it compresses by
    truncating toward zero and counts the initialized ticks between the two ticks, leaving out
    the starting tick when going up and the final tick when going down, if initialized.
    """
    before, after = _truncating_position(tick_before, tick_spacing), _truncating_position(
        tick_after, tick_spacing)
    after_excluded = (_is_set(bitmap, after) and tick_after % tick_spacing == 0
                      and tick_before > tick_after)
    before_excluded = (_is_set(bitmap, before) and tick_before % tick_spacing == 0
                       and tick_before < tick_after)
    (word_low, bit_low), (word_high, bit_high) = sorted((before, after))
    count = 0
    for word in range(word_low, word_high + 1):
        mask = MAX_UINT256 if word != word_low else (MAX_UINT256 << bit_low) & MAX_UINT256
        if word == word_high:
            mask &= MAX_UINT256 >> (255 - bit_high)
        count += (bitmap.get(word, 0) & mask).bit_count()
    return count - after_excluded - before_excluded


def _truncating_position(tick: int, tick_spacing: int) -> tuple[int, int]:
    # Solidity's signed division truncates toward zero; PoolTicksCounter uses it as is.
    quotient = abs(tick) // abs(tick_spacing)
    return position(quotient if (tick < 0) == (tick_spacing < 0) else -quotient)


def _is_set(bitmap: Mapping[int, int], word_bit: tuple[int, int]) -> bool:
    word, bit = word_bit
    return bool(bitmap.get(word, 0) >> bit & 1)
