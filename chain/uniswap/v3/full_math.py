"""512-bit-safe multiply-then-divide, as FullMath.sol computes it, in Python integers.

Python never overflows, so the uint256 limits the contract enforces are checked explicitly:
a result the contract could not return raises `MathOverflow` instead of silently succeeding.
"""

from __future__ import annotations

from chain.errors import TerminalChainError

MAX_UINT256 = 2**256 - 1
MAX_UINT160 = 2**160 - 1
MAX_UINT128 = 2**128 - 1
Q96 = 2**96


class MathOverflow(TerminalChainError):
    """A value left the range its Solidity type holds: the contract would revert here."""


def check_uint(value: int, bits: int, name: str) -> int:
    """`value` if it fits an unsigned `bits`-bit integer, else MathOverflow naming it."""
    if not 0 <= value < 1 << bits:
        raise MathOverflow(f"{name} = {value} does not fit uint{bits}")
    return value


def mul_div(a: int, b: int, denominator: int) -> int:
    """floor(a * b / denominator); reverts (raises) on a zero denominator or a uint256 result."""
    if denominator == 0:
        raise MathOverflow("mul_div by zero")
    return check_uint(a * b // denominator, 256, "mul_div result")


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """ceil(a * b / denominator), with the same limits as `mul_div`."""
    if denominator == 0:
        raise MathOverflow("mul_div_rounding_up by zero")
    return check_uint(-(-(a * b) // denominator), 256, "mul_div_rounding_up result")


def div_rounding_up(x: int, y: int) -> int:
    """ceil(x / y) for unsigned x, y (UnsafeMath.divRoundingUp; y must not be zero)."""
    return -(-x // y)
