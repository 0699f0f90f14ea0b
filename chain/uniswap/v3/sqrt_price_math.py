"""Square-root price arithmetic (SqrtPriceMath.sol), with the contract's rounding directions.

The rule behind every rounding choice: the pool never gives value away to rounding. Prices
move so that the pool receives at least, and pays at most, the exact amounts. Where the
contract detects uint256 overflow and switches formula (or reverts), the same bound is
checked explicitly here, because Python integers never overflow on their own.
"""

from __future__ import annotations

from chain.uniswap.v3.errors import MathOverflow
from chain.uniswap.v3.full_math import (
    MAX_UINT160,
    MAX_UINT256,
    Q96,
    check_uint,
    div_rounding_up,
    mul_div,
    mul_div_rounding_up,
    to_int256,
)


def get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_price_x96: int, liquidity: int, amount: int, add: bool
) -> int:
    """SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp: the price after adding (or
    removing) `amount` of token0, L * P / (L +- amount * P).

    Always rounds up. Uses the contract's cheaper, less precise formula
    L / (L / P + amount) when amount * P or the denominator does not fit in uint256.
    Raises MathOverflow when removing that much token0 would make the price infinite.
    """
    if amount == 0:
        return sqrt_price_x96
    numerator1 = liquidity << 96
    product = amount * sqrt_price_x96
    if add:
        if product <= MAX_UINT256 and numerator1 + product <= MAX_UINT256:
            return mul_div_rounding_up(numerator1, sqrt_price_x96, numerator1 + product)
        if sqrt_price_x96 == 0:
            raise MathOverflow("division by a zero sqrt price")
        denominator = check_uint(numerator1 // sqrt_price_x96 + amount, 256, "L / P + amount")
        return div_rounding_up(numerator1, denominator)
    if product > MAX_UINT256 or numerator1 <= product:
        raise MathOverflow("removing more token0 than the liquidity holds at this price")
    next_price = mul_div_rounding_up(numerator1, sqrt_price_x96, numerator1 - product)
    return check_uint(next_price, 160, "next sqrt price")


def get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_price_x96: int, liquidity: int, amount: int, add: bool
) -> int:
    """SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown: the price after adding (or
    removing) `amount` of token1, P +- amount / L.

    Always rounds down (the quotient is rounded down when adding, up when removing). Raises
    MathOverflow when the price leaves uint160 or removing would take it to zero or below.
    """
    if add:
        if liquidity == 0:
            raise MathOverflow("division by zero liquidity")
        quotient = ((amount << 96) // liquidity if amount <= MAX_UINT160
                    else mul_div(amount, Q96, liquidity))
        return check_uint(sqrt_price_x96 + quotient, 160, "next sqrt price")
    quotient = (div_rounding_up(amount << 96, liquidity) if amount <= MAX_UINT160
                else mul_div_rounding_up(amount, Q96, liquidity))
    if sqrt_price_x96 <= quotient:
        raise MathOverflow("removing more token1 than the liquidity holds at this price")
    return sqrt_price_x96 - quotient


def _check_price_and_liquidity(sqrt_price_x96: int, liquidity: int) -> None:
    if sqrt_price_x96 <= 0 or liquidity <= 0:
        raise MathOverflow(f"sqrt price {sqrt_price_x96} and liquidity {liquidity} must be "
                           f"positive")


def get_next_sqrt_price_from_input(
    sqrt_price_x96: int, liquidity: int, amount_in: int, zero_for_one: bool
) -> int:
    """SqrtPriceMath.getNextSqrtPriceFromInput: the price after `amount_in` goes in.

    Rounds so the price moves no further than the exact one (the pool is not short-changed).
    """
    _check_price_and_liquidity(sqrt_price_x96, liquidity)
    if zero_for_one:
        return get_next_sqrt_price_from_amount0_rounding_up(
            sqrt_price_x96, liquidity, amount_in, True)
    return get_next_sqrt_price_from_amount1_rounding_down(
        sqrt_price_x96, liquidity, amount_in, True)


def get_next_sqrt_price_from_output(
    sqrt_price_x96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    """SqrtPriceMath.getNextSqrtPriceFromOutput: the price after `amount_out` comes out.

    Rounds so the price moves at least as far as the exact one (the output is fully paid for).
    """
    _check_price_and_liquidity(sqrt_price_x96, liquidity)
    if zero_for_one:
        return get_next_sqrt_price_from_amount1_rounding_down(
            sqrt_price_x96, liquidity, amount_out, False)
    return get_next_sqrt_price_from_amount0_rounding_up(
        sqrt_price_x96, liquidity, amount_out, False)


def get_amount0_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """SqrtPriceMath.getAmount0Delta: token0 between two prices (either order) for
    `liquidity`, L * (sqrtB - sqrtA) / (sqrtA * sqrtB).

    Rounds up if `round_up` (each of the two divisions), else down.
    """
    low, high = (sqrt_a_x96, sqrt_b_x96) if sqrt_a_x96 <= sqrt_b_x96 else (sqrt_b_x96, sqrt_a_x96)
    if low <= 0:
        raise MathOverflow("sqrt price must be positive")
    numerator1, numerator2 = liquidity << 96, high - low
    if round_up:
        return div_rounding_up(mul_div_rounding_up(numerator1, numerator2, high), low)
    return mul_div(numerator1, numerator2, high) // low


def get_amount1_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """SqrtPriceMath.getAmount1Delta: token1 between two prices (either order) for
    `liquidity`, L * (sqrtB - sqrtA).

    Rounds up if `round_up`, else down.
    """
    difference = abs(sqrt_b_x96 - sqrt_a_x96)
    if round_up:
        return mul_div_rounding_up(liquidity, difference, Q96)
    return mul_div(liquidity, difference, Q96)


def get_amount0_delta_signed(sqrt_a_x96: int, sqrt_b_x96: int, liquidity_delta: int) -> int:
    """The int128-liquidity overload of SqrtPriceMath.getAmount0Delta: token0 owed to the pool
    when adding liquidity (positive), owed by it when removing (negative).

    Rounds up when adding and down when removing, so the pool's side always wins.
    """
    if liquidity_delta < 0:
        return -to_int256(get_amount0_delta(sqrt_a_x96, sqrt_b_x96, -liquidity_delta, False))
    return to_int256(get_amount0_delta(sqrt_a_x96, sqrt_b_x96, liquidity_delta, True))


def get_amount1_delta_signed(sqrt_a_x96: int, sqrt_b_x96: int, liquidity_delta: int) -> int:
    """The int128-liquidity overload of SqrtPriceMath.getAmount1Delta (see
    `get_amount0_delta_signed`); rounds up when adding, down when removing."""
    if liquidity_delta < 0:
        return -to_int256(get_amount1_delta(sqrt_a_x96, sqrt_b_x96, -liquidity_delta, False))
    return to_int256(get_amount1_delta(sqrt_a_x96, sqrt_b_x96, liquidity_delta, True))
