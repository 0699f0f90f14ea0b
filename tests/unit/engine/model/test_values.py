"""Money and ids: no floats, exact base units, venue-safe deterministic client order ids."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

import pytest

from engine.errors import AssetMismatch, InvalidValue
from engine.model import (
    Amount,
    Side,
    VenueFilters,
    client_order_id,
    from_base_units,
    to_base_units,
    to_decimal,
    validate_client_order_id,
)


def test_to_decimal_when_float_then_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValue, match="price: must be a decimal string"):
        to_decimal(0.1, "price")


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity"])
def test_to_decimal_when_not_a_finite_number_then_invalid_value(bad: str) -> None:
    with pytest.raises(InvalidValue):
        to_decimal(bad, "qty")


def test_to_base_units_when_exact_then_integer_units() -> None:
    assert to_base_units(Decimal("1.5"), 6) == 1_500_000
    assert to_base_units(Decimal("1328.788900753233521503"), 18) == 1328788900753233521503


def test_to_base_units_when_finer_than_one_unit_then_refused_unless_rounding_given() -> None:
    with pytest.raises(InvalidValue, match="more than 6 decimals"):
        to_base_units(Decimal("0.0000001"), 6)
    assert to_base_units(Decimal("1.0000009"), 6, rounding=ROUND_DOWN) == 1_000_000


def test_from_base_units_when_round_trip_then_exact() -> None:
    assert from_base_units(1328788900753233521503, 18) == Decimal("1328.788900753233521503")
    with pytest.raises(InvalidValue, match="raw"):
        from_base_units(1.0, 18)  # type: ignore[arg-type]


def test_amount_when_adding_other_asset_or_scale_then_asset_mismatch() -> None:
    usdc = Amount("USDC", 6, 1_000_000)
    assert (usdc + Amount("USDC", 6, 5)).raw == 1_000_005
    with pytest.raises(AssetMismatch):
        usdc + Amount("USDT", 6, 1)
    with pytest.raises(AssetMismatch):
        usdc - Amount("USDC", 18, 1)


def test_venue_filters_when_quantising_then_never_worse_for_us() -> None:
    filters = VenueFilters(tick_size=Decimal("0.01"), lot_size=Decimal("0.001"))
    assert filters.quantize_price(Decimal("3000.017"), Side.BUY) == Decimal("3000.01")
    assert filters.quantize_price(Decimal("3000.011"), Side.SELL) == Decimal("3000.02")
    assert filters.quantize_qty(Decimal("1.23456")) == Decimal("1.234")


@pytest.mark.parametrize(
    ("qty", "price", "field"),
    [("1.2345", "3000", "qty"), ("1", "3000.001", "price"), ("0.001", "3000", "notional")],
)
def test_venue_filters_when_order_breaks_a_rule_then_names_it(
    qty: str, price: str, field: str
) -> None:
    filters = VenueFilters(tick_size=Decimal("0.01"), lot_size=Decimal("0.001"),
                           min_notional=Decimal("10"))
    with pytest.raises(InvalidValue) as caught:
        filters.check(Decimal(qty), Decimal(price))
    assert caught.value.field == field


def test_client_order_id_when_same_inputs_then_same_id_within_binance_rules() -> None:
    first = client_order_id("parent-42", 7)
    assert first == client_order_id("parent-42", 7)
    assert first != client_order_id("parent-42", 8)
    assert first != client_order_id("parent-43", 7)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,36}", first)
    assert validate_client_order_id(first) == first


@pytest.mark.parametrize(("parent", "sequence"), [("", 0), ("p", -1), ("p", 36**8)])
def test_client_order_id_when_inputs_invalid_then_invalid_value(parent: str, sequence: int) -> None:
    with pytest.raises(InvalidValue):
        client_order_id(parent, sequence)


def test_validate_client_order_id_when_too_long_or_bad_chars_then_refused() -> None:
    with pytest.raises(InvalidValue, match="client_order_id"):
        validate_client_order_id("x" * 37)
    with pytest.raises(InvalidValue, match="client_order_id"):
        validate_client_order_id("has space")
