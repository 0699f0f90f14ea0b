"""The V3 swap loop over in-memory pools built from positions, against independent facts."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.uniswap.v3 import (
    MIN_SQRT_RATIO,
    InvalidPoolState,
    InvalidSwap,
    StateWindowExceeded,
    V3Pool,
    compute_swap_step,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    swap,
)

Position = tuple[int, int, int]  # (tick_lower, tick_upper, liquidity)


def _pool(positions: Sequence[Position], tick: int = 0, spacing: int = 60, fee: int = 3000,
          word_low: int = -(2**15), word_high: int = 2**15 - 1) -> V3Pool:
    net: dict[int, int] = {}
    for lower, upper, liquidity in positions:
        net[lower] = net.get(lower, 0) + liquidity
        net[upper] = net.get(upper, 0) - liquidity
    return V3Pool(get_sqrt_ratio_at_tick(tick), tick, _active(positions, tick), fee, spacing,
                  net, word_low, word_high)


def _active(positions: Sequence[Position], tick: int) -> int:
    return sum(liquidity for lower, upper, liquidity in positions if lower <= tick < upper)


ONE_RANGE = ((-600, 600, 10**20),)


def test_swap_when_crossing_empty_words_then_one_step_per_word_edge() -> None:
    # Spacing 1: words are 256 ticks. Down from tick 0 the loop stops at ticks 0 (a zero-size
    # step), -256 and -512 before the remainder, each step rounded on its own.
    pool = _pool(((-1024, 1024, 10**18),), spacing=1, fee=500)
    amount = 3 * 10**16
    result = swap(pool, True, amount)
    remaining, price, paid_out = amount, pool.sqrt_price_x96, 0
    for target_tick in (0, -256, -512, -768):
        step = compute_swap_step(price, get_sqrt_ratio_at_tick(target_tick), 10**18, remaining,
                                 500)
        remaining -= step.amount_in + step.fee_amount
        price, paid_out = step.sqrt_price_next_x96, paid_out + step.amount_out
        if remaining == 0:
            break
    assert -768 < result.tick_after < -512
    assert (result.amount0, result.amount1, result.sqrt_price_x96_after) == (
        amount, -paid_out, price)
    one_step = compute_swap_step(pool.sqrt_price_x96, get_sqrt_ratio_at_tick(-768), 10**18,
                                 amount, 500)
    assert one_step.sqrt_price_next_x96 != price  # a single step would round differently


def test_swap_when_leaving_the_last_range_then_liquidity_zero_and_the_default_limit() -> None:
    result = swap(_pool(ONE_RANGE), zero_for_one=True, amount_specified=10**30)
    assert result.liquidity_after == 0 and result.initialized_ticks_crossed == 1
    assert result.sqrt_price_x96_after == MIN_SQRT_RATIO + 1
    assert 0 < result.amount0 < 10**30  # a partial fill: the amounts show it


def test_swap_when_window_too_narrow_then_state_window_exceeded() -> None:
    with pytest.raises(StateWindowExceeded, match="outside the cached window"):
        swap(_pool(ONE_RANGE, word_low=-1, word_high=0), zero_for_one=True,
             amount_specified=10**30)


@pytest.mark.parametrize(("zero_for_one", "limit"), [
    (True, 2**97), (False, 2**95), (True, MIN_SQRT_RATIO), (True, 2**96)])
def test_swap_when_price_limit_on_the_wrong_side_then_invalid_swap(
    zero_for_one: bool, limit: int
) -> None:
    with pytest.raises(InvalidSwap, match="SPL"):
        swap(_pool(ONE_RANGE), zero_for_one, 10**18, limit)


@pytest.mark.parametrize("amount", [0, 2**255])
def test_swap_when_amount_zero_or_beyond_int256_then_invalid_swap(amount: int) -> None:
    with pytest.raises(InvalidSwap):
        swap(_pool(ONE_RANGE), True, amount)


@pytest.mark.parametrize(("field", "value"), [
    ("sqrt_price_x96", 0), ("liquidity", -1), ("fee_pips", 10**6), ("tick_spacing", 0)])
def test_v3_pool_when_a_field_is_out_of_range_then_invalid_pool_state(
    field: str, value: int
) -> None:
    values = {"sqrt_price_x96": 2**96, "tick": 0, "liquidity": 1, "fee_pips": 500,
              "tick_spacing": 10, "liquidity_net": {}, field: value}
    with pytest.raises(InvalidPoolState, match=field):
        V3Pool(**values)  # type: ignore[arg-type]


positions = st.lists(st.tuples(st.integers(-60, 59), st.integers(1, 60),
                               st.integers(10**15, 10**22)), min_size=1, max_size=8)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(raw=positions, zero_for_one=st.booleans(), exact_in=st.booleans(),
       amount=st.integers(1, 10**22), limit_ticks=st.none() | st.integers(1, 3000))
def test_swap_when_any_pool_then_amounts_limits_ticks_and_liquidity_agree(
    raw: list[tuple[int, int, int]], zero_for_one: bool, exact_in: bool, amount: int,
    limit_ticks: int | None,
) -> None:
    spacing = 60
    book = [(lo * spacing, (lo + width) * spacing, liq) for lo, width, liq in raw]
    pool = _pool(book, tick=7, spacing=spacing)
    limit = None
    if limit_ticks is not None:
        limit = get_sqrt_ratio_at_tick(7 - limit_ticks if zero_for_one else 7 + limit_ticks)
    result = swap(pool, zero_for_one, amount if exact_in else -amount, limit)
    paid_in, paid_out = ((result.amount0, -result.amount1) if zero_for_one
                         else (result.amount1, -result.amount0))
    assert paid_in >= 0 and paid_out >= 0
    assert (paid_in if exact_in else paid_out) <= amount
    if limit is not None and (paid_in if exact_in else paid_out) < amount:
        assert result.sqrt_price_x96_after == limit  # stopped by the limit, not before it
    # The tick is the price's, except just below a tick crossed downward, as the pool keeps it.
    tick_of_price = get_tick_at_sqrt_ratio(result.sqrt_price_x96_after)
    assert result.tick_after in (tick_of_price, tick_of_price - 1)
    # Liquidity and ticks crossed, recomputed from the positions themselves.
    assert result.liquidity_after == _active(book, result.tick_after)
    low, high = sorted((pool.tick, result.tick_after))
    crossed = {t for lo, up, _ in book for t in (lo, up) if low < t <= high}
    assert result.initialized_ticks_crossed == len(crossed)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(raw=positions, zero_for_one=st.booleans(), amount=st.integers(1, 10**21))
def test_swap_when_exact_output_of_an_exact_input_result_then_no_more_input_needed(
    raw: list[tuple[int, int, int]], zero_for_one: bool, amount: int
) -> None:
    book = [(lo * 60, (lo + width) * 60, liq) for lo, width, liq in raw]
    pool = _pool(book, tick=7)
    forward = swap(pool, zero_for_one, amount)
    out = -(forward.amount1 if zero_for_one else forward.amount0)
    if out == 0:
        return
    backward = swap(pool, zero_for_one, -out)
    needed = backward.amount0 if zero_for_one else backward.amount1
    assert needed <= (forward.amount0 if zero_for_one else forward.amount1)
