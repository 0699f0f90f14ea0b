"""SwapMath.computeSwapStep: fee on input, caps, and rounding in the pool's favour."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from chain.uniswap.v3 import compute_swap_step, get_sqrt_ratio_at_tick

Q96 = 2**96
ticks = st.integers(-100_000, 100_000)
fees = st.sampled_from([100, 500, 3000, 10_000])


def _exact_amounts(current: int, after: int, liquidity: int) -> tuple[Fraction, Fraction]:
    """(input, output) of moving the price from `current` to `after`, in real numbers."""
    low, high = sorted((current, after))
    amount0 = Fraction(liquidity * Q96 * (high - low), low * high)
    amount1 = Fraction(liquidity * (high - low), Q96)
    return (amount0, amount1) if after <= current else (amount1, amount0)


@settings(max_examples=300, derandomize=True)
@given(tick_current=ticks, tick_target=ticks, liquidity=st.integers(1, 2**110),
       amount=st.integers(1, 2**100), exact_in=st.booleans(), fee=fees)
def test_compute_swap_step_when_any_step_then_bounded_and_rounded_for_the_pool(
    tick_current: int, tick_target: int, liquidity: int, amount: int, exact_in: bool, fee: int
) -> None:
    current, target = get_sqrt_ratio_at_tick(tick_current), get_sqrt_ratio_at_tick(tick_target)
    step = compute_swap_step(current, target, liquidity, amount if exact_in else -amount, fee)
    after = step.sqrt_price_next_x96
    assert min(current, target) <= after <= max(current, target)
    exact_in_amount, exact_out_amount = _exact_amounts(current, after, liquidity)
    assert step.amount_in >= exact_in_amount and step.amount_out <= exact_out_amount
    if exact_in:
        assert step.amount_in + step.fee_amount <= amount
        if after != target:  # stopped short: the whole input is used, the rest as fee
            assert step.amount_in + step.fee_amount == amount
    else:
        assert step.amount_out <= amount
        if after != target:
            assert step.amount_out == amount
    if step.amount_in and (exact_in is False or after == target):
        # The fee rounds up: at least fee/(1e6 - fee) of the input.
        assert step.fee_amount * (10**6 - fee) >= step.amount_in * fee


def test_compute_swap_step_when_exact_in_stops_short_then_the_remainder_is_fee() -> None:
    current, target = get_sqrt_ratio_at_tick(0), get_sqrt_ratio_at_tick(-1000)
    step = compute_swap_step(current, target, 10**20, 10**15, 3000)
    assert target < step.sqrt_price_next_x96 < current
    assert step.amount_in + step.fee_amount == 10**15
    assert step.fee_amount >= 10**15 * 3000 // 10**6


def test_compute_swap_step_when_exact_out_is_more_than_the_range_then_capped_at_target() -> None:
    current, target = get_sqrt_ratio_at_tick(0), get_sqrt_ratio_at_tick(10)
    step = compute_swap_step(current, target, 10**18, -(10**30), 500)
    assert step.sqrt_price_next_x96 == target
    _, exact_out = _exact_amounts(current, target, 10**18)
    assert step.amount_out == exact_out.__floor__()


def test_compute_swap_step_when_exact_out_then_input_rounds_up() -> None:
    # Buying 1 unit of token0 for token1 at price 1 costs more than 1 unit once rounded up.
    current, target = Q96, get_sqrt_ratio_at_tick(100)
    step = compute_swap_step(current, target, 10**18, -1, 0)
    assert step.amount_out == 1 and step.amount_in == 2 and step.fee_amount == 0
