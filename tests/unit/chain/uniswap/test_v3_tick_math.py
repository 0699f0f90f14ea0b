"""TickMath against its published constants, the real-number formula and its own spec."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.uniswap.v3 import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    MathOverflow,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

ticks = st.integers(MIN_TICK, MAX_TICK)


def _greatest_tick_at_or_below(sqrt_price_x96: int) -> int:
    """The spec of getTickAtSqrtRatio, by bisection over get_sqrt_ratio_at_tick."""
    low, high = MIN_TICK, MAX_TICK
    while low < high:
        middle = (low + high + 1) // 2
        if get_sqrt_ratio_at_tick(middle) <= sqrt_price_x96:
            low = middle
        else:
            high = middle - 1
    return low


def test_get_sqrt_ratio_at_tick_when_bounds_and_zero_then_tick_math_constants() -> None:
    # MIN_SQRT_RATIO and MAX_SQRT_RATIO as TickMath.sol defines them.
    assert get_sqrt_ratio_at_tick(MIN_TICK) == 4295128739 == MIN_SQRT_RATIO
    assert get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
    assert MAX_SQRT_RATIO == 1461446703485210103287273052203988822378723970342
    assert get_sqrt_ratio_at_tick(0) == 2**96


@pytest.mark.parametrize("tick", [MIN_TICK - 1, MAX_TICK + 1])
def test_get_sqrt_ratio_at_tick_when_outside_the_range_then_math_overflow(tick: int) -> None:
    with pytest.raises(MathOverflow, match=r"\(T\)"):
        get_sqrt_ratio_at_tick(tick)


@pytest.mark.parametrize("price", [MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO, 0])
def test_get_tick_at_sqrt_ratio_when_outside_the_range_then_math_overflow(price: int) -> None:
    with pytest.raises(MathOverflow, match=r"\(R\)"):
        get_tick_at_sqrt_ratio(price)


def test_get_tick_at_sqrt_ratio_when_at_the_bounds_then_extreme_ticks() -> None:
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO) == MIN_TICK
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO + 1) == MIN_TICK
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1
    assert get_tick_at_sqrt_ratio(2**96) == 0 and get_tick_at_sqrt_ratio(2**96 - 1) == -1


@settings(max_examples=300, derandomize=True, deadline=None)
@given(tick=ticks)
def test_tick_round_trip_when_any_tick_then_exact_and_strictly_increasing(tick: int) -> None:
    ratio = get_sqrt_ratio_at_tick(tick)
    if tick < MAX_TICK:
        assert get_tick_at_sqrt_ratio(ratio) == tick
        assert get_sqrt_ratio_at_tick(tick + 1) > ratio
        assert get_tick_at_sqrt_ratio(get_sqrt_ratio_at_tick(tick + 1) - 1) == tick


@settings(max_examples=200, derandomize=True, deadline=None)
@given(tick=ticks)
def test_get_sqrt_ratio_at_tick_when_any_tick_then_close_to_the_real_formula(tick: int) -> None:
    # Independent of the contract's constants: sqrt(1.0001**tick) * 2**96 in 80 digits. The
    # contract's Q128.128 steps stay within 1e-15 relative, plus one unit of Q64.96 rounding.
    with localcontext() as wide:
        wide.prec = 80
        exact = (Decimal("1.0001") ** tick).sqrt() * 2**96
        assert abs(Decimal(get_sqrt_ratio_at_tick(tick)) - exact) <= exact * Decimal("1e-15") + 1


# Prices anywhere, near 1.0, and one unit either side of a tick's own price, where the
# contract's two-tick bracket has to be settled.
_near_tick_prices = st.builds(lambda tick, offset: get_sqrt_ratio_at_tick(tick) + offset,
                              st.integers(MIN_TICK + 1, MAX_TICK - 1), st.integers(-1, 1))


@settings(max_examples=400, derandomize=True, deadline=None)
@given(price=st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)
       | st.integers(2**96 - 2**70, 2**96 + 2**70) | _near_tick_prices)
def test_get_tick_at_sqrt_ratio_when_any_price_then_the_greatest_tick_not_above_it(
    price: int,
) -> None:
    assert get_tick_at_sqrt_ratio(price) == _greatest_tick_at_or_below(price)
