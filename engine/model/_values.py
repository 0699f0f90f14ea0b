"""Money: Decimal prices and quantities (never from floats) and integer on-chain base units."""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import total_ordering
from typing import Annotated, Any

from pydantic import BeforeValidator

from engine.errors import AssetMismatch, InvalidValue

_EXACT_DIGITS = 120
# ERC-20 `decimals()` is a uint8.
MAX_DECIMALS = 255
_ROUNDING_MODES = frozenset({
    decimal.ROUND_DOWN, decimal.ROUND_UP, decimal.ROUND_FLOOR, decimal.ROUND_CEILING,
    decimal.ROUND_HALF_UP, decimal.ROUND_HALF_DOWN, decimal.ROUND_HALF_EVEN, decimal.ROUND_05UP,
})


def to_decimal(value: object, field: str = "value") -> Decimal:
    """A finite Decimal from a str, int or Decimal; floats are refused: they are not money."""
    if isinstance(value, bool | float):
        raise InvalidValue(field, f"must be a decimal string, int or Decimal, not {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation as error:
            raise InvalidValue(field, f"{value!r} is not a decimal number") from error
    else:
        raise InvalidValue(field, f"must be a decimal, got {type(value).__name__}")
    if not result.is_finite():
        raise InvalidValue(field, "must be finite")
    return result


def _strict_decimal(value: Any) -> Decimal:
    # Raised as ValueError so pydantic reports it under the field's own name.
    try:
        return to_decimal(value)
    except InvalidValue as error:
        raise ValueError(error.reason) from None


# A Decimal field that refuses floats, for every pydantic model in the domain.
Money = Annotated[Decimal, BeforeValidator(_strict_decimal)]


def check_decimals(decimals: object, field: str = "decimals") -> int:
    """`decimals` if it is a valid token scale (an int in 0..255), else InvalidValue."""
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise InvalidValue(field, f"must be an int, got {type(decimals).__name__}")
    if not 0 <= decimals <= MAX_DECIMALS:
        raise InvalidValue(field, f"must be between 0 and {MAX_DECIMALS}")
    return decimals


def to_base_units(amount: Decimal, decimals: int, rounding: str | None = None) -> int:
    """Integer base units of a human amount (e.g. 1.5 USDC with 6 decimals -> 1_500_000).

    Refuses amounts finer than one base unit unless `rounding` (decimal.ROUND_DOWN, ROUND_UP,
    ...) says which way to go: silently dropping dust is how balances drift.
    """
    with _exact("amount"):
        scaled = to_decimal(amount, "amount").scaleb(check_decimals(decimals))
    integral = scaled.to_integral_value(rounding=decimal.ROUND_DOWN)
    if scaled != integral:
        if rounding is None:
            raise InvalidValue("amount", f"{amount} has more than {decimals} decimals")
        if rounding not in _ROUNDING_MODES:
            raise InvalidValue("rounding", f"{rounding!r} is not a decimal rounding mode")
        integral = scaled.to_integral_value(rounding=rounding)
    return int(integral)


def from_base_units(raw: int, decimals: int) -> Decimal:
    """The human amount of `raw` base units, exact."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidValue("raw", f"base units must be an int, got {type(raw).__name__}")
    with _exact("raw"):
        return Decimal(raw).scaleb(-check_decimals(decimals))


@total_ordering
@dataclass(frozen=True)
class Amount:
    """A token amount in integer base units, tied to its asset and scale.

    Adding, subtracting or comparing amounts of another symbol or scale raises AssetMismatch:
    1 USDC (6 decimals) and 1 DAI (18) are not interchangeable numbers.
    """

    symbol: str
    decimals: int
    raw: int

    def __post_init__(self) -> None:
        if not self.symbol:
            raise InvalidValue("symbol", "must not be empty")
        check_decimals(self.decimals)
        if isinstance(self.raw, bool) or not isinstance(self.raw, int):
            raise InvalidValue("raw", f"base units must be an int, got {type(self.raw).__name__}")

    @classmethod
    def from_human(
        cls, symbol: str, decimals: int, amount: Decimal, rounding: str | None = None
    ) -> Amount:
        """The amount of `amount` whole tokens; see `to_base_units` for `rounding`."""
        return cls(symbol, decimals, to_base_units(amount, decimals, rounding))

    @property
    def human(self) -> Decimal:
        """The amount in whole tokens, exact."""
        return from_base_units(self.raw, self.decimals)

    def _same_asset(self, other: Amount) -> None:
        if not isinstance(other, Amount):
            raise AssetMismatch(f"cannot combine {self.symbol} with {type(other).__name__}")
        if (self.symbol, self.decimals) != (other.symbol, other.decimals):
            raise AssetMismatch(
                f"cannot combine {self.symbol}/{self.decimals} with {other.symbol}/{other.decimals}"
            )

    def __add__(self, other: Amount) -> Amount:
        self._same_asset(other)
        return Amount(self.symbol, self.decimals, self.raw + other.raw)

    def __sub__(self, other: Amount) -> Amount:
        self._same_asset(other)
        return Amount(self.symbol, self.decimals, self.raw - other.raw)

    def __neg__(self) -> Amount:
        return Amount(self.symbol, self.decimals, -self.raw)

    def __lt__(self, other: Amount) -> bool:
        self._same_asset(other)
        return self.raw < other.raw


@contextmanager
def _exact(field: str) -> Iterator[None]:
    # The default context keeps 28 digits and rounds silently; 18-decimal tokens in the
    # billions need more. Any rounding left is an error, not a quiet change of amount.
    with decimal.localcontext() as context:
        context.prec = _EXACT_DIGITS
        context.traps[decimal.Inexact] = True
        try:
            yield
        except decimal.Inexact as error:
            raise InvalidValue(field, f"needs more than {_EXACT_DIGITS} digits") from error


def _multiples(value: Decimal, step: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(value, step, remainder) with value = k * step + remainder, |remainder| < step."""
    value, step = to_decimal(value, "value"), to_decimal(step, "step")
    if step <= 0:
        raise InvalidValue("step", "must be > 0")
    with _exact("value"):
        return value, step, value % step  # the remainder takes the sign of `value`


def plain(value: Decimal) -> str:
    """`value` without trailing zeros and never in exponent form: 25.000 -> "25", 1E+2 -> "100"."""
    return format(value.normalize(), "f")


def quantize_down(value: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of `step` at most `value` (rounds toward minus infinity)."""
    value, step, remainder = _multiples(value, step)
    with _exact("value"):
        floor = value - remainder - (step if remainder < 0 else 0)
        return (floor / step).to_integral_value() * step  # carries the step's exponent


def quantize_up(value: Decimal, step: Decimal) -> Decimal:
    """The smallest multiple of `step` at least `value` (rounds toward plus infinity)."""
    value, step, remainder = _multiples(value, step)
    with _exact("value"):
        ceiling = value - remainder + (step if remainder > 0 else 0)
        return (ceiling / step).to_integral_value() * step
