"""The whole V3 swap loop over an in-memory pool (UniswapV3Pool.swap, amounts only).

The loop is the contract's: step to the next initialized tick *or the edge of the current
256-tick bitmap word*, whichever comes first, round each step on its own, cross initialized
ticks by adding their liquidityNet. Fee growth and the oracle do not change amounts and are
left out. A pool's state is known only for a window of bitmap words; a swap that would need a
word outside it raises `StateWindowExceeded` rather than quietly assuming no liquidity there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chain.errors import TerminalChainError
from chain.uniswap.v3.full_math import MAX_UINT128, MathOverflow
from chain.uniswap.v3.swap_math import compute_swap_step
from chain.uniswap.v3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)


class StateWindowExceeded(TerminalChainError):
    """The swap reaches ticks outside the bitmap words the cached state covers."""


class InvalidSwap(TerminalChainError):
    """The pool would revert this swap (zero amount, price limit on the wrong side, ...)."""


@dataclass(frozen=True)
class V3Pool:
    """What a V3 swap depends on: price, tick, active liquidity, fee, spacing, and the
    initialized ticks (tick -> liquidityNet) of bitmap words `word_low..word_high`."""

    sqrt_price_x96: int
    tick: int
    liquidity: int
    fee_pips: int
    tick_spacing: int
    liquidity_net: Mapping[int, int]
    word_low: int = -(2**15)
    word_high: int = 2**15 - 1
    _bitmap: dict[int, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for tick in self.liquidity_net:
            compressed = tick // self.tick_spacing
            self._bitmap[compressed >> 8] = self._bitmap.get(compressed >> 8, 0) | (
                1 << (compressed % 256))

    def next_initialized_tick_within_one_word(self, tick: int, lte: bool) -> tuple[int, bool]:
        """TickBitmap.nextInitializedTickWithinOneWord: the next initialized tick in the same
        word, or the word's edge (not initialized) when there is none."""
        compressed = tick // self.tick_spacing  # floor: rounds toward minus infinity
        if not lte:
            compressed += 1
        word, bit = compressed >> 8, compressed % 256
        if not self.word_low <= word <= self.word_high:
            raise StateWindowExceeded(f"the swap reaches bitmap word {word}, outside the "
                                      f"cached window [{self.word_low}, {self.word_high}]")
        bits = self._bitmap.get(word, 0)
        if lte:
            masked = bits & ((1 << (bit + 1)) - 1)
            offset = masked.bit_length() - 1 - bit if masked else -bit
        else:
            masked = bits & ~((1 << bit) - 1)
            offset = (masked & -masked).bit_length() - 1 - bit if masked else 255 - bit
        return (compressed + offset) * self.tick_spacing, masked != 0


@dataclass(frozen=True)
class SwapResult:
    """Signed amounts as the pool reports them (positive: paid in, negative: paid out)."""

    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    initialized_ticks_crossed: int


def _check_limit(pool: V3Pool, zero_for_one: bool, limit: int) -> None:
    valid = (MIN_SQRT_RATIO < limit < pool.sqrt_price_x96 if zero_for_one
             else pool.sqrt_price_x96 < limit < MAX_SQRT_RATIO)
    if not valid:
        side = "below" if zero_for_one else "above"
        raise InvalidSwap(f"price limit {limit} must be {side} the current price "
                          f"{pool.sqrt_price_x96} and inside the valid range")


def swap(pool: V3Pool, zero_for_one: bool, amount_specified: int,
         sqrt_price_limit_x96: int | None = None) -> SwapResult:
    """Simulate a swap: exact input if `amount_specified` > 0, exact output if < 0."""
    if amount_specified == 0:
        raise InvalidSwap("amount_specified must not be zero")
    limit = sqrt_price_limit_x96 or (MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1)
    _check_limit(pool, zero_for_one, limit)
    exact_input = amount_specified > 0
    remaining, calculated = amount_specified, 0
    price, tick, liquidity, crossed = pool.sqrt_price_x96, pool.tick, pool.liquidity, 0
    while remaining != 0 and price != limit:
        start = price
        tick_next, initialized = pool.next_initialized_tick_within_one_word(tick, zero_for_one)
        tick_next = min(max(tick_next, MIN_TICK), MAX_TICK)
        price_next = get_sqrt_ratio_at_tick(tick_next)
        beyond = price_next < limit if zero_for_one else price_next > limit
        step = compute_swap_step(price, limit if beyond else price_next, liquidity, remaining,
                                 pool.fee_pips)
        price = step.sqrt_price_next_x96
        if exact_input:
            remaining -= step.amount_in + step.fee_amount
            calculated -= step.amount_out
        else:
            remaining += step.amount_out
            calculated += step.amount_in + step.fee_amount
        if price == price_next:
            if initialized:
                net = pool.liquidity_net[tick_next]
                liquidity = _add_delta(liquidity, -net if zero_for_one else net)
                crossed += 1
            tick = tick_next - 1 if zero_for_one else tick_next
        elif price != start:
            tick = get_tick_at_sqrt_ratio(price)
    specified_used = amount_specified - remaining
    amount0, amount1 = ((specified_used, calculated) if zero_for_one == exact_input
                        else (calculated, specified_used))
    return SwapResult(amount0, amount1, price, tick, liquidity, crossed)


def _add_delta(liquidity: int, delta: int) -> int:
    """LiquidityMath.addDelta: reverts when liquidity would leave uint128."""
    result = liquidity + delta
    if not 0 <= result <= MAX_UINT128:
        raise MathOverflow(f"liquidity {liquidity} + {delta} leaves uint128")
    return result
