"""Square-root price arithmetic (SqrtPriceMath.sol), with the contract's rounding directions.

The rule behind every rounding choice: the pool never gives away value to rounding. Prices move
so that the pool receives at least, and pays at most, the exact amounts.
"""

from __future__ import annotations

from chain.uniswap.v3.full_math import (
    MAX_UINT160,
    MAX_UINT256,
    Q96,
    MathOverflow,
    check_uint,
    div_rounding_up,
    mul_div,
    mul_div_rounding_up,
)


def get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_price_x96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Price after adding (or removing) `amount` of token0; always rounds up."""
    if amount == 0:
        return sqrt_price_x96
    numerator1 = liquidity << 96
    product = amount * sqrt_price_x96
    if add:
        # The contract uses the precise formula while amount * price and the denominator fit
        # in uint256, and falls back to a less precise one when they do not.
        if product <= MAX_UINT256 and numerator1 + product <= MAX_UINT256:
            return mul_div_rounding_up(numerator1, sqrt_price_x96, numerator1 + product)
        return div_rounding_up(numerator1, numerator1 // sqrt_price_x96 + amount)
    if product > MAX_UINT256 or numerator1 <= product:
        raise MathOverflow("removing more token0 than the liquidity holds at this price")
    return check_uint(mul_div_rounding_up(numerator1, sqrt_price_x96, numerator1 - product),
                      160, "next sqrt price")


def get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_price_x96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Price after adding (or removing) `amount` of token1; always rounds down."""
    if add:
        quotient = ((amount << 96) // liquidity if amount <= MAX_UINT160
                    else mul_div(amount, Q96, liquidity))
        return check_uint(sqrt_price_x96 + quotient, 160, "next sqrt price")
    quotient = (div_rounding_up(amount << 96, liquidity) if amount <= MAX_UINT160
                else mul_div_rounding_up(amount, Q96, liquidity))
    if sqrt_price_x96 <= quotient:
        raise MathOverflow("removing more token1 than the liquidity holds at this price")
    return sqrt_price_x96 - quotient


def get_next_sqrt_price_from_input(
    sqrt_price_x96: int, liquidity: int, amount_in: int, zero_for_one: bool
) -> int:
    """Price after swapping `amount_in` in; rounds so the price does not pass the target."""
    if sqrt_price_x96 <= 0 or liquidity <= 0:
        raise MathOverflow("price and liquidity must be positive")
    if zero_for_one:
        return get_next_sqrt_price_from_amount0_rounding_up(
            sqrt_price_x96, liquidity, amount_in, True)
    return get_next_sqrt_price_from_amount1_rounding_down(
        sqrt_price_x96, liquidity, amount_in, True)


def get_next_sqrt_price_from_output(
    sqrt_price_x96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    """Price after taking `amount_out` out; rounds so the price passes the target."""
    if sqrt_price_x96 <= 0 or liquidity <= 0:
        raise MathOverflow("price and liquidity must be positive")
    if zero_for_one:
        return get_next_sqrt_price_from_amount1_rounding_down(
            sqrt_price_x96, liquidity, amount_out, False)
    return get_next_sqrt_price_from_amount0_rounding_up(
        sqrt_price_x96, liquidity, amount_out, False)


def get_amount0_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token0 between two prices for `liquidity`: L * (sqrtB - sqrtA) / (sqrtA * sqrtB)."""
    low, high = sorted((sqrt_a_x96, sqrt_b_x96))
    if low <= 0:
        raise MathOverflow("sqrt price must be positive")
    numerator1, numerator2 = liquidity << 96, high - low
    if round_up:
        return div_rounding_up(mul_div_rounding_up(numerator1, numerator2, high), low)
    return mul_div(numerator1, numerator2, high) // low


def get_amount1_delta(sqrt_a_x96: int, sqrt_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token1 between two prices for `liquidity`: L * (sqrtB - sqrtA)."""
    low, high = sorted((sqrt_a_x96, sqrt_b_x96))
    if round_up:
        return mul_div_rounding_up(liquidity, high - low, Q96)
    return mul_div(liquidity, high - low, Q96)
