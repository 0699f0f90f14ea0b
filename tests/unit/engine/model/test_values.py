"""Money: no floats, exact base units, amounts that refuse other assets, directed rounding."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_UP, Decimal

import pytest

from engine.errors import AssetMismatch, InvalidValue
from engine.model import (
    Amount,
    from_base_units,
    quantize_down,
    quantize_up,
    to_base_units,
    to_decimal,
)


def test_to_decimal_when_float_then_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValue, match="price: must be a decimal string") as caught:
        to_decimal(0.1, "price")
    assert caught.value.field == "price"


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", True, None, [1]])
def test_to_decimal_when_not_a_finite_number_then_invalid_value(bad: object) -> None:
    with pytest.raises(InvalidValue):
        to_decimal(bad, "qty")


def test_to_decimal_when_string_or_int_then_exact() -> None:
    assert to_decimal("0.1") + to_decimal("0.2") == Decimal("0.3")
    assert to_decimal(10**30) == Decimal(10**30)


def test_to_base_units_when_exact_then_integer_units() -> None:
    assert to_base_units(Decimal("1.5"), 6) == 1_500_000
    # The amount a float slippage factor famously corrupts: exact here.
    assert to_base_units(Decimal("1328.788900753233521503"), 18) == 1328788900753233521503


def test_to_base_units_when_more_digits_than_default_precision_then_still_exact() -> None:
    amount = Decimal("123456789012345678901234567890.123456789012345678")
    assert to_base_units(amount, 18) == 123456789012345678901234567890123456789012345678


def test_to_base_units_when_finer_than_one_unit_then_refused_unless_rounding_given() -> None:
    with pytest.raises(InvalidValue, match="more than 6 decimals"):
        to_base_units(Decimal("0.0000001"), 6)
    assert to_base_units(Decimal("1.0000009"), 6, rounding=ROUND_DOWN) == 1_000_000
    assert to_base_units(Decimal("1.0000001"), 6, rounding=ROUND_UP) == 1_000_001


def test_to_base_units_when_rounding_mode_is_unknown_then_invalid_value() -> None:
    with pytest.raises(InvalidValue) as caught:
        to_base_units(Decimal("1.0000001"), 6, rounding="ROUND_SOMETIMES")
    assert caught.value.field == "rounding"


@pytest.mark.parametrize("decimals", [-1, 256, True])
def test_to_base_units_when_decimals_out_of_range_then_invalid_value(decimals: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        to_base_units(Decimal(1), decimals)
    assert caught.value.field == "decimals"


def test_from_base_units_when_round_trip_then_exact() -> None:
    assert from_base_units(1328788900753233521503, 18) == Decimal("1328.788900753233521503")
    with pytest.raises(InvalidValue, match="raw"):
        from_base_units(1.0, 18)  # type: ignore[arg-type]


def test_amount_when_adding_other_asset_or_scale_then_asset_mismatch() -> None:
    usdc = Amount("USDC", 6, 1_000_000)
    assert (usdc + Amount("USDC", 6, 5)).raw == 1_000_005
    assert (usdc - Amount("USDC", 6, 5)).raw == 999_995
    with pytest.raises(AssetMismatch):
        usdc + Amount("USDT", 6, 1)
    with pytest.raises(AssetMismatch):
        usdc - Amount("USDC", 18, 1)


def test_amount_when_compared_then_orders_by_raw_and_refuses_other_assets() -> None:
    one, two = Amount("DAI", 18, 10**18), Amount("DAI", 18, 2 * 10**18)
    assert one < two and two >= one and -one < one
    with pytest.raises(AssetMismatch):
        _ = one < Amount("USDC", 6, 1)


def test_amount_when_built_from_human_then_exact_and_refuses_dust() -> None:
    amount = Amount.from_human("USDC", 6, Decimal("2.5"))
    assert amount.raw == 2_500_000 and amount.human == Decimal("2.5")
    with pytest.raises(InvalidValue):
        Amount.from_human("USDC", 6, Decimal("2.5000001"))
    with pytest.raises(InvalidValue, match="raw"):
        Amount("USDC", 6, 1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "step", "down", "up"),
    [("3000.017", "0.01", "3000.01", "3000.02"), ("5", "0.3", "4.8", "5.1"),
     ("-1.5", "1", "-2", "-1"), ("3000.00", "0.01", "3000.00", "3000.00")],
)
def test_quantize_when_value_between_steps_then_rounds_in_the_stated_direction(
    value: str, step: str, down: str, up: str
) -> None:
    assert quantize_down(Decimal(value), Decimal(step)) == Decimal(down)
    assert quantize_up(Decimal(value), Decimal(step)) == Decimal(up)


def test_quantize_when_step_not_positive_or_value_float_then_invalid_value() -> None:
    with pytest.raises(InvalidValue, match="step"):
        quantize_down(Decimal(1), Decimal(0))
    with pytest.raises(InvalidValue, match="value"):
        quantize_up(1.5, Decimal("0.1"))  # type: ignore[arg-type]
