"""A V3 pool's state as far as a swap depends on it, frozen and checked on construction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chain.uniswap.v3.errors import InvalidPoolState, StateWindowExceeded
from chain.uniswap.v3.full_math import MAX_UINT128
from chain.uniswap.v3.swap_math import FEE_DENOMINATOR_PIPS
from chain.uniswap.v3.tick_bitmap import (
    bitmap_from_ticks,
    compress,
    next_initialized_tick_within_one_word,
    position,
)
from chain.uniswap.v3.tick_math import MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK

MIN_WORD = -(2**15)  # the bitmap is keyed by int16 words
MAX_WORD = 2**15 - 1
_MAX_INT128 = 2**127 - 1


@dataclass(frozen=True)
class V3Pool:
    """Price (slot0.sqrtPriceX96, slot0.tick), active liquidity, fee in pips, tick spacing,
    and every initialized tick of bitmap words `word_low..word_high` with its liquidityNet.

    Keep initialized ticks whose liquidityNet is 0: they still end a swap step (and so change
    rounding) and count as crossed. Outside the window nothing is known, and a swap that needs
    it raises StateWindowExceeded; the default window is the whole tick range.
    """

    sqrt_price_x96: int
    tick: int
    liquidity: int
    fee_pips: int
    tick_spacing: int
    liquidity_net: Mapping[int, int]
    word_low: int = MIN_WORD
    word_high: int = MAX_WORD
    bitmap: Mapping[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_range("sqrt_price_x96", self.sqrt_price_x96, MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)
        _check_range("tick", self.tick, MIN_TICK, MAX_TICK)
        _check_range("liquidity", self.liquidity, 0, MAX_UINT128)
        _check_range("fee_pips", self.fee_pips, 0, FEE_DENOMINATOR_PIPS - 1)
        _check_range("tick_spacing", self.tick_spacing, 1, 16383)
        _check_range("word_low", self.word_low, MIN_WORD, self.word_high)
        _check_range("word_high", self.word_high, self.word_low, MAX_WORD)
        for tick, net in self.liquidity_net.items():
            _check_range("initialized tick", tick, MIN_TICK, MAX_TICK)
            _check_range(f"liquidityNet of tick {tick}", net, -_MAX_INT128 - 1, _MAX_INT128)
            if not self.word_low <= position(compress(tick, self.tick_spacing))[0] \
                    <= self.word_high:
                raise InvalidPoolState(f"initialized tick {tick} lies outside the window")
        object.__setattr__(self, "bitmap", bitmap_from_ticks(self.liquidity_net,
                                                             self.tick_spacing))

    def next_initialized_tick_within_one_word(self, tick: int, lte: bool) -> tuple[int, bool]:
        """TickBitmap.nextInitializedTickWithinOneWord over this pool's bitmap; raises
        StateWindowExceeded when the word searched lies outside the window."""
        word = position(compress(tick, self.tick_spacing) + (0 if lte else 1))[0]
        if not self.word_low <= word <= self.word_high:
            raise StateWindowExceeded(f"the swap reaches bitmap word {word}, outside the "
                                      f"cached window [{self.word_low}, {self.word_high}]")
        return next_initialized_tick_within_one_word(self.bitmap, tick, self.tick_spacing, lte)


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidPoolState(f"{name} = {value} is outside [{low}, {high}]")
