"""Choosing a dialect, and the ccxt dialect's pure mappings from unified structures."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from ccxt.base.decimal_to_precision import DECIMAL_PLACES, SIGNIFICANT_DIGITS, TICK_SIZE

from connectors.cex import CexVenueConfig, Dialect, InvalidCexConfig
from connectors.cex.link import decimal_of
from connectors.cex.unified import report_of, step_of
from connectors.orders import VenueOrderStatus
from connectors.venue import Side


def config(**overrides: object) -> CexVenueConfig:
    settings: dict[str, object] = {"api_secret": "secret"}
    settings.update(overrides)
    return CexVenueConfig("x", "key", **settings)  # type: ignore[arg-type]


def test_dialect_defaults_to_binance_for_binance_and_ccxt_for_every_other_id() -> None:
    assert config().resolved_dialect is Dialect.BINANCE
    assert config(exchange_id="kraken").resolved_dialect is Dialect.CCXT
    assert config(exchange_id="binance", dialect="ccxt").resolved_dialect is Dialect.CCXT
    assert config(exchange_id="okx", dialect="binance").resolved_dialect is Dialect.BINANCE


@pytest.mark.parametrize(("overrides", "field"), [
    ({"dialect": "fix"}, "dialect"),
    ({"exchange_id": "no such"}, "exchange_id"),
    ({"weight_headroom": 0}, "weight_headroom"),
    ({"book_poll_s": 0}, "book_poll_s"),
    ({"max_attempts": 0}, "max_attempts"),
])
def test_config_refuses_bad_fields_by_name(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidCexConfig) as refused:
        config(**overrides)
    assert refused.value.field == field


def test_unknown_exchange_id_is_refused_when_the_venue_is_built() -> None:
    from connectors.cex import CexVenue
    with pytest.raises(InvalidCexConfig, match="no exchange 'nosuchexchange'"):
        CexVenue(config(exchange_id="nosuchexchange"))


def test_secret_stays_out_of_the_config_repr() -> None:
    assert "s3cr3t-value" not in repr(config(api_secret="s3cr3t-value"))


def test_ccxt_numbers_become_the_decimals_the_venue_sent() -> None:
    assert decimal_of(0.1) == D("0.1") and decimal_of(1e-05) == D("0.00001")
    assert decimal_of("3000.00000000") == D(3000) and decimal_of(None) == 0
    assert decimal_of(996998.71) == D("996998.71")


def test_precision_modes_become_steps() -> None:
    assert step_of(0.0001, TICK_SIZE) == D("0.0001")
    assert step_of(4, DECIMAL_PLACES) == D("0.0001")
    assert step_of(5, SIGNIFICANT_DIGITS) == 0 and step_of(None, TICK_SIZE) == 0


def order(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"id": "7", "clientOrderId": "c-1", "side": "buy",
                               "status": "open", "amount": 2.0, "filled": 0.0, "cost": 0.0}
    base.update(fields)
    return base


@pytest.mark.parametrize(("fields", "status"), [
    ({}, VenueOrderStatus.OPEN),
    ({"filled": 0.5, "cost": 1500.0}, VenueOrderStatus.PARTIALLY_FILLED),
    ({"status": "closed", "filled": 2.0, "cost": 6000.0}, VenueOrderStatus.FILLED),
    ({"status": "canceled", "filled": 0.5}, VenueOrderStatus.CANCELED),
    ({"status": "canceling"}, VenueOrderStatus.OPEN),
    ({"status": "expired"}, VenueOrderStatus.EXPIRED),
    ({"status": "rejected"}, VenueOrderStatus.REJECTED),
    ({"status": None}, VenueOrderStatus.UNKNOWN),
])
def test_unified_order_statuses_map_onto_ours(fields: dict[str, object],
                                              status: VenueOrderStatus) -> None:
    assert report_of("v", "WETH/USDC", order(**fields)).status is status


def test_report_keeps_amounts_and_prefers_the_client_id_we_asked_for() -> None:
    report = report_of("v", "WETH/USDC", order(status="canceled", filled=0.5, cost=1500.25,
                                               clientOrderId="cancel-req-9"), "c-1")
    assert (report.client_order_id, report.venue_order_id, report.side) == ("c-1", "7",
                                                                           Side.BUY)
    assert (report.qty, report.filled_qty, report.filled_quote) == (D(2), D("0.5"),
                                                                    D("1500.25"))
    # no cost in the answer: filled * average
    assert report_of("v", "WETH/USDC", order(filled=0.5, cost=None, average=3000.5)
                     ).filled_quote == D("1500.25")
