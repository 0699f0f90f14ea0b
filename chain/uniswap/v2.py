"""Uniswap V2 pair pricing: the constant-product rule with the pair's 0.3% input fee.

The pair itself only checks `(x + 0.997·dx)·(y - dy) ≥ x·y` in thousandths; these are the
largest output for an input (rounded down), and an input for an output that always passes it
(floor plus one, as the V2 library computes it, even when the division is exact).
"""

from __future__ import annotations

from chain.errors import TerminalChainError

# The pair charges 3 per 1000 of the input (UniswapV2Pair.swap: balance * 1000 - amountIn * 3).
_FEE_DENOMINATOR = 1000
_FEE_KEPT = 997


class InsufficientLiquidity(TerminalChainError):
    """The pair cannot pay out the requested amount."""


def _check_positive(**amounts: int) -> None:
    for name, amount in amounts.items():
        if amount <= 0:
            raise ValueError(f"{name} must be a positive integer of base units, got {amount}")


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """The output a V2 pair pays for `amount_in`, rounded down."""
    _check_positive(amount_in=amount_in, reserve_in=reserve_in, reserve_out=reserve_out)
    amount_in_with_fee = amount_in * _FEE_KEPT
    return (amount_in_with_fee * reserve_out) // (
        reserve_in * _FEE_DENOMINATOR + amount_in_with_fee
    )


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    """The input a V2 pair needs to pay out `amount_out`: floor plus one, as UniswapV2Library."""
    _check_positive(amount_out=amount_out, reserve_in=reserve_in, reserve_out=reserve_out)
    if amount_out >= reserve_out:
        raise InsufficientLiquidity(
            f"amount_out {amount_out} needs more than the pair's reserve {reserve_out}"
        )
    numerator = reserve_in * amount_out * _FEE_DENOMINATOR
    denominator = (reserve_out - amount_out) * _FEE_KEPT
    return numerator // denominator + 1

