"""Assets, instruments and venue filters validate at construction and name the bad field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import InvalidValue
from engine.model import (
    Asset,
    ChainId,
    Instrument,
    InstrumentKind,
    OptionRight,
    Side,
    VenueFilters,
)

EXPIRY_NS = 1_798_185_600_000_000_000  # 2026-12-25T08:00:00Z
WETH_MAINNET = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"


def test_asset_when_addresses_lowercase_then_stored_checksummed_by_chain() -> None:
    weth = Asset(symbol="WETH", decimals=18, addresses={1: WETH_MAINNET.lower()})
    assert weth.addresses == {1: WETH_MAINNET}
    assert weth.address_on(ChainId(1)) == WETH_MAINNET
    with pytest.raises(InvalidValue, match="no address on chain 10"):
        weth.address_on(ChainId(10))


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"symbol": "", "decimals": 6}, "symbol"), ({"symbol": "USDC", "decimals": 256}, "decimals"),
     ({"symbol": "USDC", "decimals": 6, "addresses": {1: "0x12"}}, "addresses.1"),
     ({"symbol": "USDC", "decimals": 6, "addresses": {0: WETH_MAINNET}}, "addresses"),
     ({"symbol": "USDC", "decimals": 6, "colour": "blue"}, "colour")],
)
def test_asset_when_field_invalid_then_invalid_value_names_it(
    fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        Asset(**fields)
    assert caught.value.field == field


def test_instrument_when_option_then_id_carries_expiry_strike_and_right() -> None:
    option = Instrument(base="BTC", quote="USD", kind=InstrumentKind.OPTION,
                        expiry_ts_ns=EXPIRY_NS, strike=Decimal("90000"), right=OptionRight.CALL)
    assert option.id == "BTC/USD-20261225-90000-C"
    future = Instrument(base="BTC", quote="USD", kind=InstrumentKind.FUTURE,
                        expiry_ts_ns=EXPIRY_NS)
    assert future.id == "BTC/USD-20261225"
    assert Instrument(base="BTC", quote="USD", kind=InstrumentKind.PERPETUAL).id == "BTC/USD-PERP"
    assert Instrument(base="WETH", quote="USDC").id == "WETH/USDC"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": InstrumentKind.OPTION, "expiry_ts_ns": EXPIRY_NS}, "strike"),
        ({"kind": InstrumentKind.OPTION, "expiry_ts_ns": EXPIRY_NS, "strike": Decimal(1)},
         "right"),
        ({"kind": InstrumentKind.OPTION, "strike": Decimal(1), "right": OptionRight.PUT},
         "expiry_ts_ns"),
        ({"kind": InstrumentKind.SPOT, "strike": Decimal(1)}, "strike"),
        ({"kind": InstrumentKind.PERPETUAL, "right": OptionRight.PUT}, "right"),
        ({"kind": InstrumentKind.FUTURE}, "expiry_ts_ns"),
        ({"kind": InstrumentKind.SPOT, "expiry_ts_ns": EXPIRY_NS}, "expiry_ts_ns"),
        ({"kind": InstrumentKind.OPTION, "expiry_ts_ns": EXPIRY_NS, "strike": Decimal(-1),
          "right": OptionRight.PUT}, "strike"),
        ({"kind": InstrumentKind.OPTION, "expiry_ts_ns": EXPIRY_NS, "strike": 90000.0,
          "right": OptionRight.PUT}, "strike"),
    ],
)
def test_instrument_when_terms_do_not_fit_the_kind_then_invalid_value_names_the_term(
    fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        Instrument(base="BTC", quote="USD", **fields)
    assert caught.value.field == field


def test_venue_filters_when_quantising_then_never_worse_for_us() -> None:
    filters = VenueFilters(tick_size=Decimal("0.01"), lot_size=Decimal("0.001"))
    assert filters.quantize_price(Decimal("3000.017"), Side.BUY) == Decimal("3000.01")
    assert filters.quantize_price(Decimal("3000.011"), Side.SELL) == Decimal("3000.02")
    assert filters.quantize_qty(Decimal("1.23456")) == Decimal("1.234")


@pytest.mark.parametrize(
    ("qty", "price", "field"),
    [("1.23456", "3000", "qty"), ("1", "3000.001", "price"), ("0.001", "3000", "notional"),
     ("0.0001", "3000", "qty")],
)
def test_venue_filters_when_order_breaks_a_rule_then_names_it(
    qty: str, price: str, field: str
) -> None:
    filters = VenueFilters(tick_size=Decimal("0.01"), lot_size=Decimal("0.0001"),
                           min_qty=Decimal("0.001"), min_notional=Decimal("10"))
    with pytest.raises(InvalidValue) as caught:
        filters.check(Decimal(qty), Decimal(price))
    assert caught.value.field == field


def test_venue_filters_when_order_fits_then_check_passes_silently() -> None:
    filters = VenueFilters(tick_size=Decimal("0.01"), lot_size=Decimal("0.001"),
                           min_notional=Decimal("10"))
    assert filters.check(Decimal("0.004"), Decimal("3000.01")) is None


@pytest.mark.parametrize("field", ["tick_size", "lot_size"])
def test_venue_filters_when_step_not_positive_then_invalid_value(field: str) -> None:
    steps = {"tick_size": Decimal("0.01"), "lot_size": Decimal("0.001"), field: Decimal(0)}
    with pytest.raises(InvalidValue) as caught:
        VenueFilters(**steps)
    assert caught.value.field == field
