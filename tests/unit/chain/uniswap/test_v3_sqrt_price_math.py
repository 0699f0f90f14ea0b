"""SqrtPriceMath: rounding directions against exact rationals, and its overflow branches."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.uniswap.v3 import (
    MathOverflow,
    get_amount0_delta,
    get_amount0_delta_signed,
    get_amount1_delta,
    get_amount1_delta_signed,
    get_next_sqrt_price_from_amount0_rounding_up,
    get_next_sqrt_price_from_amount1_rounding_down,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
    get_sqrt_ratio_at_tick,
)

Q96 = 2**96
MAX_UINT128 = 2**128 - 1
MAX_UINT160 = 2**160 - 1
MAX_UINT256 = 2**256 - 1
ONE = 10**18
prices = st.integers(get_sqrt_ratio_at_tick(-200_000), get_sqrt_ratio_at_tick(200_000))
liquidities = st.integers(1, 2**100)
amounts = st.integers(0, 2**100)


def test_amount_deltas_when_price_1_to_1_21_then_a_tenth_rounded_both_ways() -> None:
    # sqrt(1.21) = 1.1: L = 1e18 between prices 1 and 1.21 holds 0.1/1.1 token0, 0.1 token1
    # (a hair less, since sqrt price 1.1 in Q64.96 is rounded down).
    low, high = Q96, Q96 * 11 // 10
    assert get_amount0_delta(low, high, ONE, True) == 90909090909090910
    assert get_amount0_delta(high, low, ONE, False) == 90909090909090909
    assert get_amount1_delta(low, high, ONE, True) == 100000000000000000
    assert get_amount1_delta(high, low, ONE, False) == 99999999999999999


def test_signed_amount_deltas_when_adding_then_round_up_and_when_removing_round_down() -> None:
    low, high = Q96, Q96 * 11 // 10
    assert get_amount0_delta_signed(low, high, ONE) == 90909090909090910
    assert get_amount0_delta_signed(low, high, -ONE) == -90909090909090909
    assert get_amount1_delta_signed(high, low, -ONE) == -99999999999999999
    assert get_amount1_delta_signed(low, high, 0) == 0


@settings(max_examples=200, derandomize=True)
@given(price_a=prices, price_b=prices, liquidity=liquidities)
def test_amount_deltas_when_any_prices_then_floor_and_ceil_bracket_the_exact_amount(
    price_a: int, price_b: int, liquidity: int
) -> None:
    low, high = sorted((price_a, price_b))
    exact0 = Fraction(liquidity * Q96 * (high - low), high * low)
    exact1 = Fraction(liquidity * (high - low), Q96)
    # The contract rounds twice for token0, so the rounded-up amount may exceed the ceiling
    # by one; it never falls below the exact amount, and the rounded-down one never above.
    assert exact0.__ceil__() <= get_amount0_delta(low, high, liquidity, True) <= exact0 + 1
    assert exact0 - 1 <= get_amount0_delta(high, low, liquidity, False) <= exact0.__floor__()
    assert get_amount1_delta(low, high, liquidity, True) == exact1.__ceil__()
    assert get_amount1_delta(high, low, liquidity, False) == exact1.__floor__()


@settings(max_examples=200, derandomize=True)
@given(price=prices, liquidity=liquidities, amount=amounts, zero_for_one=st.booleans())
def test_next_price_from_input_when_any_amount_then_never_past_the_exact_price(
    price: int, liquidity: int, amount: int, zero_for_one: bool
) -> None:
    try:
        after = get_next_sqrt_price_from_input(price, liquidity, amount, zero_for_one)
    except MathOverflow:
        assert not zero_for_one  # only adding token1 can push the price past uint160
        return
    if zero_for_one:  # exact: L*P / (L + amount*P), the result rounds up toward P
        assert Fraction(liquidity * Q96 * price, liquidity * Q96 + amount * price) <= after <= price
    else:  # exact: P + amount/L, the result rounds down toward P
        assert price <= after <= price + Fraction(amount * Q96, liquidity)


@settings(max_examples=200, derandomize=True)
@given(price=prices, liquidity=liquidities, amount=amounts, zero_for_one=st.booleans())
def test_next_price_from_output_when_any_amount_then_at_least_the_exact_move_or_revert(
    price: int, liquidity: int, amount: int, zero_for_one: bool
) -> None:
    try:
        after = get_next_sqrt_price_from_output(price, liquidity, amount, zero_for_one)
    except MathOverflow:
        return  # the range does not hold that much of the output token
    if zero_for_one:  # token1 out: P - amount/L, rounded down (further from P)
        assert 0 < after <= price - Fraction(amount * Q96, liquidity)
    else:  # token0 out: L*P / (L - amount*P), rounded up (further from P)
        assert after >= Fraction(liquidity * Q96 * price, liquidity * Q96 - amount * price)


def test_next_price_from_input_when_a_tenth_in_at_price_one_then_known_prices() -> None:
    # 0.1 token1 into L = 1e18 at price 1: sqrt price 1.1 exactly; 0.1 token0: 1/1.1, rounded up.
    assert get_next_sqrt_price_from_input(Q96, ONE, ONE // 10, False) == Q96 * 11 // 10
    assert get_next_sqrt_price_from_input(Q96, ONE, ONE // 10, True) == -(-Q96 * 10 // 11)
    assert get_next_sqrt_price_from_input(Q96, ONE, 0, True) == Q96


def test_next_price_from_amount0_when_product_overflows_then_the_fallback_formula() -> None:
    # amount * P does not fit in uint256: the contract switches to L / (L/P + amount).
    assert get_next_sqrt_price_from_input(Q96, 1, MAX_UINT256 // 2, True) == 1
    # The largest amount the fallback's denominator can take returns the minimum price ...
    liquidity, price = MAX_UINT128, MAX_UINT160
    largest = MAX_UINT256 - (liquidity << 96) // price
    assert get_next_sqrt_price_from_input(price, liquidity, largest, True) == 1
    # ... and one more overflows the denominator, where the contract reverts.
    with pytest.raises(MathOverflow):
        get_next_sqrt_price_from_input(price, liquidity, largest + 1, True)


def test_next_price_from_amount0_when_product_fits_then_the_precise_formula() -> None:
    price, liquidity, amount = 2**96, 2**64, 2**100
    exact = Fraction((liquidity << 96) * price, (liquidity << 96) + amount * price)
    assert get_next_sqrt_price_from_amount0_rounding_up(price, liquidity, amount, True) \
        == exact.__ceil__()


def test_next_price_from_amount1_when_amount_above_uint160_then_mul_div_path() -> None:
    amount = MAX_UINT160 + 1
    assert get_next_sqrt_price_from_amount1_rounding_down(1, 2**200, amount, True) \
        == 1 + amount * Q96 // 2**200
    with pytest.raises(MathOverflow, match="uint160"):
        get_next_sqrt_price_from_amount1_rounding_down(MAX_UINT160, 1024, 1024, True)


@pytest.mark.parametrize(("zero_for_one", "amount"), [(True, 4 * ONE), (False, 2 * ONE)])
def test_next_price_from_output_when_more_than_the_range_holds_then_math_overflow(
    zero_for_one: bool, amount: int
) -> None:
    # L = 1e18 at price 1 holds at most 1e18 of either token.
    with pytest.raises(MathOverflow, match="more token"):
        get_next_sqrt_price_from_output(Q96, ONE, amount, zero_for_one)


@pytest.mark.parametrize(("price", "liquidity"), [(0, 1), (1, 0)])
def test_next_price_when_zero_price_or_liquidity_then_math_overflow(
    price: int, liquidity: int
) -> None:
    with pytest.raises(MathOverflow, match="positive"):
        get_next_sqrt_price_from_input(price, liquidity, 1, True)
    with pytest.raises(MathOverflow, match="positive"):
        get_next_sqrt_price_from_output(price, liquidity, 1, False)
