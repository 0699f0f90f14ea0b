"""The simulator's own Black-76 against the risk package's (independent code, same model),
the surface, Deribit's naming and tick rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from connectors.simex.deribit.config import DeribitConfig
from connectors.simex.deribit.instruments import (
    expiry_code,
    friday_expiry,
    list_instruments,
)
from connectors.simex.deribit.pricing import black76, implied_vol, smile_vol
from risk.margin.black76 import black76 as risk_black76

START_MS = int(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC).timestamp() * 1000)


@pytest.mark.parametrize(("strike", "days", "vol", "is_call"), [
    (95000.0, 30.0, 0.55, True), (80000.0, 7.0, 0.7, False), (120000.0, 182.0, 0.5, True),
    (3000.0, 91.0, 0.65, False)])
def test_black76_when_priced_then_matches_the_risk_package(strike: float, days: float,
                                                           vol: float, is_call: bool) -> None:
    forward = 95500.0 if strike > 10000 else 3510.0
    ours = black76(forward, strike, days / 365.0, vol, is_call)
    theirs = risk_black76(forward, strike, days, vol, is_call)
    for mine, reference in ((ours.price, theirs.price), (ours.delta, theirs.delta),
                            (ours.gamma, theirs.gamma), (ours.vega, theirs.vega),
                            (ours.theta, theirs.theta)):
        assert mine == pytest.approx(float(reference), rel=1e-9, abs=1e-12)


def test_black76_when_call_and_put_then_parity_holds_on_the_forward() -> None:
    call = black76(100.0, 90.0, 0.25, 0.6, True).price
    put = black76(100.0, 90.0, 0.25, 0.6, False).price
    assert call - put == pytest.approx(100.0 - 90.0, abs=1e-9)


def test_implied_vol_when_given_a_black76_price_then_recovers_the_vol() -> None:
    price = black76(95000.0, 100000.0, 0.1, 0.62, True).price
    assert implied_vol(price, 95000.0, 100000.0, 0.1, True) == pytest.approx(0.62, abs=1e-9)
    assert implied_vol(0.0, 95000.0, 100000.0, 0.1, True) is None


def test_smile_vol_when_strike_away_from_forward_then_skew_and_smile_apply() -> None:
    atm = smile_vol(0.5, -0.1, 0.4, 100.0, 100.0)
    low, high = smile_vol(0.5, -0.1, 0.4, 100.0, 80.0), smile_vol(0.5, -0.1, 0.4, 100.0, 125.0)
    assert atm == pytest.approx(0.5)
    # ln(0.8) = -ln(1.25): at the same distance the smile term is equal, the skew is not
    assert low - high == pytest.approx(2 * 0.1 * 0.22314355131, rel=1e-9)
    assert smile_vol(0.5, -0.1, 0.4, 100.0, 200.0) > atm  # far wings rise: a smile
    assert smile_vol(0.06, -5.0, 0.0, 100.0, 300.0) == 0.05  # the floor


def test_expiry_names_when_listed_then_deribit_style_on_fridays_at_eight() -> None:
    start = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)  # a Wednesday
    expiry = friday_expiry(start, 7)
    assert (expiry.weekday(), expiry.hour, expiry_code(expiry)) == (4, 8, "4DEC26")
    assert expiry_code(friday_expiry(start, 35)) == "1JAN27"  # no leading zero


def test_listing_when_default_config_then_options_perps_and_futures_by_deribit_names() -> None:
    listed = {i.name: i for i in list_instruments(DeribitConfig(), START_MS)}
    perp = listed["BTC-PERPETUAL"]
    assert (perp.contract_size, perp.tick, perp.perpetual) == (D(10), D("0.5"), True)
    assert listed["ETH-PERPETUAL"].contract_size == D(1)
    assert "BTC-4DEC26" in listed and "ETH-28MAY27" in listed
    option = listed["BTC-4DEC26-95000-C"]
    assert (option.strike, option.is_call, option.contract_size, option.min_amount) == (
        D(95000), True, D(1), D("0.1"))
    assert "BTC-4DEC26-95000-P" in listed
    strikes = sorted(i.strike for i in listed.values() if i.strike is not None
                     and i.name.startswith("BTC-4DEC26") and i.is_call)
    assert strikes[0] < D(95000) < strikes[-1] and len(strikes) == 13


def test_option_tick_when_price_above_0_005_then_0_0005_else_0_0001() -> None:
    option = next(i for i in list_instruments(DeribitConfig(), START_MS) if i.is_option)
    assert option.on_tick(D("0.0042")) and not option.on_tick(D("0.0052"))
    assert option.on_tick(D("0.0055"))
    assert option.round_price(D("0.00523"), up=True) == D("0.0055")
    assert option.round_price(D("0.00523"), up=False) == D("0.005")
    assert option.round_price(D("0.00001"), up=False) == D("0.0001")  # never below a tick
