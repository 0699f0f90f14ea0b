"""V3 math against the contracts' published constants and exact rational arithmetic."""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.uniswap.v3 import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    InvalidSwap,
    MathOverflow,
    StateWindowExceeded,
    V3Pool,
    compute_swap_step,
    get_amount0_delta,
    get_amount1_delta,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    mul_div,
    mul_div_rounding_up,
    swap,
)

ticks = st.integers(MIN_TICK, MAX_TICK)
uint256 = st.integers(0, 2**256 - 1)


def test_get_sqrt_ratio_at_tick_when_bounds_then_tick_math_constants() -> None:
    # MIN_SQRT_RATIO / MAX_SQRT_RATIO as defined in TickMath.sol.
    assert get_sqrt_ratio_at_tick(MIN_TICK) == 4295128739
    assert get_sqrt_ratio_at_tick(MAX_TICK) == 1461446703485210103287273052203988822378723970342
    assert get_sqrt_ratio_at_tick(0) == 2**96
    with pytest.raises(MathOverflow):
        get_sqrt_ratio_at_tick(MAX_TICK + 1)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(tick=ticks)
def test_tick_round_trip_when_any_tick_then_exact_and_monotonic(tick: int) -> None:
    ratio = get_sqrt_ratio_at_tick(tick)
    if tick < MAX_TICK:
        assert get_tick_at_sqrt_ratio(ratio) == tick
        assert get_sqrt_ratio_at_tick(tick + 1) > ratio
        assert get_tick_at_sqrt_ratio(get_sqrt_ratio_at_tick(tick + 1) - 1) == tick
    # Close to the real sqrt(1.0001^tick) * 2^96: within 1e-15 relative plus the one-unit
    # resolution of the integer result (a loose, independent check).
    with localcontext() as wide:
        wide.prec = 80
        exact = (Decimal("1.0001") ** tick).sqrt() * 2**96
        assert abs(Decimal(ratio) - exact) <= exact * Decimal("1e-15") + 1


@settings(max_examples=300, derandomize=True)
@given(a=uint256, b=uint256, d=st.integers(1, 2**256 - 1))
def test_mul_div_when_result_fits_then_floor_and_ceil_of_the_exact_quotient(
    a: int, b: int, d: int
) -> None:
    exact = Fraction(a * b, d)
    if exact >= 2**256:
        with pytest.raises(MathOverflow):
            mul_div(a, b, d)
        return
    assert mul_div(a, b, d) == exact.__floor__()
    if exact.__ceil__() < 2**256:
        assert mul_div_rounding_up(a, b, d) == exact.__ceil__()


def test_amount_deltas_when_rounding_up_then_at_least_the_exact_amount() -> None:
    low, high, liquidity = get_sqrt_ratio_at_tick(-600), get_sqrt_ratio_at_tick(600), 10**18
    exact0 = Fraction(liquidity * 2**96 * (high - low), high * low)
    assert get_amount0_delta(low, high, liquidity, True) == exact0.__ceil__()
    assert get_amount0_delta(low, high, liquidity, False) == exact0.__floor__()
    exact1 = Fraction(liquidity * (high - low), 2**96)
    assert get_amount1_delta(high, low, liquidity, True) == exact1.__ceil__()


def test_compute_swap_step_when_exact_in_does_not_reach_target_then_fee_is_the_remainder() -> None:
    current, target = get_sqrt_ratio_at_tick(0), get_sqrt_ratio_at_tick(-1000)
    step = compute_swap_step(current, target, 10**20, 10**15, 3000)
    assert step.sqrt_price_next_x96 > target
    assert step.amount_in + step.fee_amount == 10**15


def _pool(word_low: int = -5, word_high: int = 5) -> V3Pool:
    # One position over ticks [-600, 600] with spacing 60 and liquidity 10^20.
    return V3Pool(sqrt_price_x96=2**96, tick=0, liquidity=10**20, fee_pips=3000,
                  tick_spacing=60, liquidity_net={-600: 10**20, 600: -10**20},
                  word_low=word_low, word_high=word_high)


def test_next_initialized_tick_when_negative_tick_then_compression_rounds_down() -> None:
    pool = _pool()
    assert pool.next_initialized_tick_within_one_word(-1, lte=True) == (-600, True)
    assert pool.next_initialized_tick_within_one_word(0, lte=False) == (600, True)
    # No initialized tick left in the word: the word's edge, not initialized.
    assert pool.next_initialized_tick_within_one_word(-601, lte=True) == (-256 * 60, False)


def test_swap_when_leaving_the_last_range_then_liquidity_drops_to_zero_at_the_edge() -> None:
    whole_range = _pool(word_low=-(2**15), word_high=2**15 - 1)
    result = swap(whole_range, zero_for_one=True, amount_specified=10**30)
    assert result.liquidity == 0 and result.initialized_ticks_crossed == 1
    assert result.sqrt_price_x96 == MIN_SQRT_RATIO + 1  # ran to the default limit


def test_swap_when_window_is_too_narrow_then_state_window_exceeded() -> None:
    with pytest.raises(StateWindowExceeded, match="outside the cached window"):
        swap(_pool(word_low=-1, word_high=0), zero_for_one=True, amount_specified=10**30)


@pytest.mark.parametrize(("zero_for_one", "limit"), [(True, 2**97), (False, 2**95),
                                                     (True, MIN_SQRT_RATIO)])
def test_swap_when_price_limit_on_the_wrong_side_then_invalid_swap(
    zero_for_one: bool, limit: int
) -> None:
    with pytest.raises(InvalidSwap, match="price limit"):
        swap(_pool(), zero_for_one, 10**18, limit)


def test_swap_when_amount_zero_then_invalid_swap() -> None:
    with pytest.raises(InvalidSwap, match="zero"):
        swap(_pool(), True, 0)
    assert MAX_SQRT_RATIO > MIN_SQRT_RATIO


@settings(max_examples=300, derandomize=True)
@given(price=st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1))
def test_get_tick_at_sqrt_ratio_when_any_price_then_greatest_tick_not_above_it(price: int) -> None:
    tick = get_tick_at_sqrt_ratio(price)
    assert get_sqrt_ratio_at_tick(tick) <= price
    assert tick == MAX_TICK or get_sqrt_ratio_at_tick(tick + 1) > price
