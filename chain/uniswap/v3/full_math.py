"""Multiply-then-divide at full precision (FullMath.sol) and rounding-up division (UnsafeMath).

The contract keeps a 512-bit product and reverts when the quotient does not fit in uint256;
Python integers never overflow, so that limit is checked explicitly and raises `MathOverflow`
exactly where the contract would revert.
"""

from __future__ import annotations

from chain.uniswap.v3.errors import MathOverflow

MAX_UINT128 = 2**128 - 1
MAX_UINT160 = 2**160 - 1
MAX_UINT256 = 2**256 - 1
MAX_INT256 = 2**255 - 1
Q96 = 2**96


def check_uint(value: int, bits: int, name: str) -> int:
    """Return `value` if it fits an unsigned `bits`-bit integer, else raise MathOverflow."""
    if not 0 <= value < 1 << bits:
        raise MathOverflow(f"{name} = {value} does not fit uint{bits}")
    return value


def to_int256(value: int) -> int:
    """SafeCast.toInt256: a uint256 as int256; the contract reverts at 2**255 and above."""
    if value > MAX_INT256:
        raise MathOverflow(f"{value} does not fit int256")
    return value


def mul_div(a: int, b: int, denominator: int) -> int:
    """FullMath.mulDiv: floor(a * b / denominator) for uint256 a, b, denominator.

    Rounds down. Raises MathOverflow where the contract reverts: a zero denominator or a
    quotient of 2**256 or more.
    """
    if denominator == 0:
        raise MathOverflow("mul_div by a zero denominator")
    return check_uint(a * b // denominator, 256, "mul_div result")


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """FullMath.mulDivRoundingUp: ceil(a * b / denominator) for uint256 inputs.

    Rounds up. Raises MathOverflow where the contract reverts: a zero denominator, or a
    rounded-up quotient of 2**256 or more.
    """
    if denominator == 0:
        raise MathOverflow("mul_div_rounding_up by a zero denominator")
    return check_uint(-(-(a * b) // denominator), 256, "mul_div_rounding_up result")


def div_rounding_up(x: int, y: int) -> int:
    """UnsafeMath.divRoundingUp: ceil(x / y) for uint256 x, y.

    Rounds up. With y == 0 it returns 0 and does not revert, as the EVM's DIV and MOD do.
    """
    if y == 0:
        return 0
    return -(-x // y)
