"""The makers' ladders: around the surface mark, on ticks, wider in the wings and near
expiry (the pure `ladder` function, no server)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from connectors.simex.deribit.config import DeribitConfig, DeribitMakerConfig
from connectors.simex.deribit.engine import DerivativesEngine
from connectors.simex.deribit.makers import ladder

NOW_MS = int(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC).timestamp() * 1000)
CONFIG = DeribitConfig(makers=DeribitMakerConfig(enabled=False))
ENGINE = DerivativesEngine(CONFIG, lambda: NOW_MS)
BTC = CONFIG.currencies[0]


def relative_spread(name: str) -> D:
    instrument = ENGINE.instruments[name]
    levels = ladder(ENGINE, CONFIG.makers, BTC, instrument)
    bid = max(p for d, p, _ in levels if d == "buy")
    ask = min(p for d, p, _ in levels if d == "sell")
    return (ask - bid) / ENGINE.marks.mark(instrument)


def test_ladder_when_option_then_around_mark_on_ticks_with_configured_sizes() -> None:
    instrument = ENGINE.instruments["BTC-1JAN27-95000-C"]
    levels = ladder(ENGINE, CONFIG.makers, BTC, instrument)
    mark = ENGINE.marks.mark(instrument)
    bids = sorted((p for d, p, _ in levels if d == "buy"), reverse=True)
    asks = sorted(p for d, p, _ in levels if d == "sell")
    assert len(bids) == len(asks) == 3
    assert bids[0] < mark < asks[0]
    assert all(instrument.on_tick(p) for _, p, _ in levels)
    assert [a for d, _, a in levels if d == "sell"] == [D(5), D(10), D(25)]


def test_ladder_when_wing_or_short_expiry_then_wider_relative_spread() -> None:
    atm_month = relative_spread("BTC-1JAN27-95000-C")
    wing_month = relative_spread("BTC-1JAN27-125000-C")
    atm_week = relative_spread("BTC-4DEC26-95000-C")
    assert wing_month > atm_month
    assert atm_week > atm_month


def test_ladder_when_perpetual_then_a_few_bps_around_index_premium() -> None:
    instrument = ENGINE.instruments["BTC-PERPETUAL"]
    levels = ladder(ENGINE, CONFIG.makers, BTC, instrument)
    mark = ENGINE.marks.mark(instrument)
    assert mark == D(95000) * D("1.001")
    best_bid = max(p for d, p, _ in levels if d == "buy")
    best_ask = min(p for d, p, _ in levels if d == "sell")
    assert mark * D("0.999") < best_bid < mark < best_ask < mark * D("1.001")
    assert all(a % 10 == 0 for _, _, a in levels)  # whole 10 USD contracts
