"""FullMath, UnsafeMath and LiquidityMath against exact rational arithmetic."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.errors import TerminalChainError
from chain.uniswap.v3 import (
    MathOverflow,
    add_delta,
    div_rounding_up,
    mul_div,
    mul_div_rounding_up,
)

MAX_UINT256 = 2**256 - 1
uint256 = st.integers(0, MAX_UINT256)


@settings(max_examples=300, derandomize=True)
@given(a=uint256, b=uint256, d=st.integers(1, MAX_UINT256))
def test_mul_div_when_any_uint256_then_floor_and_ceil_of_the_exact_quotient_or_overflow(
    a: int, b: int, d: int
) -> None:
    exact = Fraction(a * b, d)
    if exact.__floor__() > MAX_UINT256:
        with pytest.raises(MathOverflow):
            mul_div(a, b, d)
    else:
        assert mul_div(a, b, d) == exact.__floor__()
    if exact.__ceil__() > MAX_UINT256:
        with pytest.raises(MathOverflow):
            mul_div_rounding_up(a, b, d)
    else:
        assert mul_div_rounding_up(a, b, d) == exact.__ceil__()


def test_mul_div_rounding_up_when_floor_is_max_uint256_with_remainder_then_overflow() -> None:
    # FullMath.mulDivRoundingUp: the floor fits but rounding it up would not.
    a, b, d = MAX_UINT256, MAX_UINT256, MAX_UINT256 - 1
    assert mul_div(MAX_UINT256, MAX_UINT256, MAX_UINT256) == MAX_UINT256
    with pytest.raises(MathOverflow):
        mul_div_rounding_up(a, b, d)


def test_mul_div_when_zero_denominator_then_typed_terminal_error() -> None:
    with pytest.raises(MathOverflow) as raised:
        mul_div(1, 1, 0)
    assert isinstance(raised.value, TerminalChainError)
    with pytest.raises(MathOverflow):
        mul_div_rounding_up(1, 1, 0)


def test_div_rounding_up_when_divisor_zero_then_zero_as_the_evm_divides() -> None:
    assert div_rounding_up(7, 2) == 4 and div_rounding_up(8, 2) == 4
    assert div_rounding_up(5, 0) == 0


@pytest.mark.parametrize(("liquidity", "delta", "expected"),
                         [(1, 0, 1), (1, -1, 0), (0, 2**128 - 1, 2**128 - 1), (5, -2, 3)])
def test_add_delta_when_in_range_then_sum(liquidity: int, delta: int, expected: int) -> None:
    assert add_delta(liquidity, delta) == expected


@pytest.mark.parametrize(("liquidity", "delta", "code"), [(1, -2, "LS"), (2**128 - 1, 1, "LA")])
def test_add_delta_when_result_leaves_uint128_then_math_overflow(
    liquidity: int, delta: int, code: str
) -> None:
    with pytest.raises(MathOverflow, match=code):
        add_delta(liquidity, delta)
