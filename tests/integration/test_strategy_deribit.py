"""Options packages end to end against simex's Deribit dialect through the real ccxt.deribit
client (DeribitVenue, under AliasedDeribitVenue's OMS symbols): an iron condor and a
delta-hedged straddle (perpetual hedge) execute as one leg group each, gated by the risk gate
with the margin engine; a leg that cannot fill unwinds the group to zero; and the margin
engine's view of the resulting positions equals a scenario margin computed here by hand with
numpy from DESIGN.md's parameters."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr  # type: ignore[import-untyped]

from connectors.cex import CexVenueConfig
from connectors.cex.deribit import DeribitVenue
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET
from connectors.simex.deribit import DeribitConfig, DeribitMakerConfig, DeribitServer
from engine.api import Engine, build_engine, risk_gate
from engine.journal import Journal, JournalConfig
from engine.legs import GroupState, LegSpec
from engine.model import OptionRight, Side
from engine.strategies import (
    DeribitSymbols,
    Listing,
    OptionSymbolGate,
    delta_hedged,
    format_expiry,
    iron_condor,
    leg_group_params,
    perpetual,
    price_package,
    send,
    straddle,
)
from engine.strategies._aliases import AliasedDeribitVenue
from engine.strategies._deribit import DeribitBoard
from engine.strategies._gating import instrument_specs, list_instruments, use_margin_engine
from risk.margin import (
    MarginEngine,
    MarginEngineConfig,
    MarketData,
    OptionPosition,
    Portfolio,
    PortfolioMarginConfig,
    SpotBalance,
)
from risk.margin import OptionRight as RiskRight

pytestmark = pytest.mark.integration
D = Decimal
ACCOUNT = Portfolio(spot=(SpotBalance("deribit", "BTC", D(10)),))
STRIKES = (80_000, 90_000, 95_000, 100_000, 110_000)


@pytest.fixture
async def server() -> AsyncIterator[DeribitServer]:
    async with DeribitServer(DeribitConfig(makers=DeribitMakerConfig(drift_bps=D(0)))) as s:
        yield s


def _expiry(server: DeribitServer) -> dt.datetime:
    expiries = sorted({i.expiry_ms for i in server.engine.instruments.values()
                       if i.is_option and i.currency == "BTC"})
    return dt.datetime.fromtimestamp(expiries[2] / 1000, tz=dt.UTC)


@pytest.fixture
async def stack(server: DeribitServer, tmp_path: Path
                ) -> AsyncIterator[tuple[Engine, AliasedDeribitVenue, DeribitBoard, str]]:
    when = _expiry(server)
    symbols = ("BTC/USD:BTC", *(f"BTC/USD:BTC-{when:%y%m%d}-{k}-{r}" for k in STRIKES
                                for r in "CP"))
    config = CexVenueConfig("deribit", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                            exchange_id="deribit", urls=server.ccxt_urls(), symbols=symbols,
                            fill_poll_s=0.5)
    async with DeribitVenue(config) as inner:
        venue, board = AliasedDeribitVenue(inner), DeribitBoard(inner.deribit.exchange)
        journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
        engine = build_engine(journal, [venue], [venue])
        gate = risk_gate([venue], "desk", "options", f"sqlite:///{tmp_path / 'lists.sqlite'}")
        list_instruments(gate, [venue], [DeribitSymbols()])
        now = time.time_ns()
        tickers = [await board.ticker(i) for i in await board.listing("BTC")]
        index = await board.index_price("BTC")
        use_margin_engine(gate, ACCOUNT, {"BTC": index},
                          instrument_specs(tickers, [perpetual("BTC")], now), 0.8)
        wrapped = OptionSymbolGate(gate, [DeribitSymbols()])
        engine.oms.gate = wrapped
        engine.oms.subscribe(wrapped.on_event)
        await engine.start(resume=False)
        try:
            yield engine, venue, board, format_expiry(int(when.timestamp()) * 1_000_000_000)
        finally:
            await engine.close()
            journal.close()


async def _positions(venue: AliasedDeribitVenue) -> dict[str, Decimal]:
    return {p.symbol: p.size for p in await venue.inner.positions() if p.size}


async def test_iron_condor_when_sent_through_ccxt_deribit_then_completed_and_margin_agrees(
        stack: tuple[Engine, AliasedDeribitVenue, DeribitBoard, str]) -> None:
    engine, venue, board, expiry = stack
    now = time.time_ns()
    listing = Listing(await board.listing("BTC"), now)
    condor = iron_condor("BTC", expiry, [D(80_000), D(90_000), D(100_000), D(110_000)], D(1),
                         listing)
    preview = await price_package(condor, board, ACCOUNT, now)
    report = await send(engine, "condor-sim-1", leg_group_params(preview, DeribitSymbols(),
                                                                 slippage_bps=200))
    assert report.state is GroupState.COMPLETED, report.failure
    assert report.residual == {} and report.leg_filled == (D(1), D(1), D(1), D(1))
    held = await _positions(venue)
    assert sorted(held.values()) == [D(-1), D(-1), D(1), D(1)]
    # the margin engine's view of the resulting positions, against a hand-built grid
    options = []
    for quote in preview.legs:
        ticker = await board.ticker(quote.leg.instrument)
        inner = venue.inner_symbol(DeribitSymbols().symbol(quote.leg.instrument))
        instrument = quote.leg.instrument
        assert instrument.strike is not None and instrument.expiry_ts_ns is not None
        days = D(instrument.expiry_ts_ns - now) / D(86_400 * 10**9)
        options.append(OptionPosition(
            "deribit", quote.leg.name, "BTC",
            RiskRight.CALL if instrument.right is OptionRight.CALL else RiskRight.PUT,
            instrument.strike, days, held[inner], ticker.mark_iv, ticker.forward))
    index = await board.index_price("BTC")
    config = MarginEngineConfig(portfolio=PortfolioMarginConfig(extended_moves=()))
    engine_view = MarginEngine(Portfolio(options=tuple(options)), MarketData({"BTC": index}),
                               config).portfolio_margin()
    assert engine_view.maintenance_margin == pytest.approx(_hand_margin(options, index),
                                                           rel=1e-9)
    assert engine_view.maintenance_margin > 0


def _b76(f: np.ndarray, k: float, years: float, vol: np.ndarray, call: bool) -> np.ndarray:
    std = vol * math.sqrt(years)
    d1 = np.log(f / k) / std + 0.5 * std
    w = 1.0 if call else -1.0
    return np.asarray(w * (f * ndtr(w * d1) - k * ndtr(w * (d1 - std))))


def _hand_margin(options: list[OptionPosition], index: Decimal) -> float:
    """DESIGN.md: 9 moves over +/-16% (BTC) x vol up 0.5 / same / down 0.25, scaled by
    (30/days)^0.3 under 30 days and ^0.13 beyond; maintenance = 0.8 x (worst loss + 1% delta
    shock + 0.5% roll shock per expiry x sqrt(days/365) + 1% contingency per net short)."""
    moves = np.linspace(-0.16, 0.16, 9)
    pnl = np.zeros((3, 9))
    delta = 0.0
    by_expiry: dict[float, float] = {}
    by_strike: dict[tuple[float, float], float] = {}
    s = float(index)
    for o in options:
        f, k, days = float(o.forward or index), float(o.strike), float(o.expiry_days)
        vol, q, call = float(o.vol), float(o.quantity), o.right is RiskRight.CALL
        years = days / 365.0
        scale = (30.0 / max(days, 1.0)) ** (0.3 if days < 30 else 0.13)
        base = _b76(np.array([f]), k, years, np.array([vol]), call)[0]
        for row, shocked in enumerate((vol * (1 + 0.5 * scale), vol,
                                       vol * max(1 - 0.25 * scale, 0.01))):
            pnl[row] += q * (_b76(f * (1 + moves), k, years, np.full(9, shocked), call) - base)
        std = vol * math.sqrt(years)
        d1 = math.log(f / k) / std + 0.5 * std
        option_delta = q * (float(ndtr(d1)) if call else float(ndtr(d1)) - 1.0)
        delta += option_delta
        by_expiry[days] = by_expiry.get(days, 0.0) + option_delta
        by_strike[(days, k)] = by_strike.get((days, k), 0.0) + q
    worst = max(0.0, -float(pnl.min()))
    roll = sum(math.sqrt(d / 365.0) * abs(v) for d, v in by_expiry.items())
    short = sum(-q for q in by_strike.values() if q < 0)
    return 0.8 * (worst + 0.01 * abs(delta) * s + 0.005 * roll * s + 0.01 * short * s)


async def test_delta_hedged_straddle_when_sent_then_options_and_perp_fill_as_one_group(
        stack: tuple[Engine, AliasedDeribitVenue, DeribitBoard, str]) -> None:
    engine, venue, board, expiry = stack
    now = time.time_ns()
    strad = straddle("BTC", expiry, D(95_000), D(2), Listing(await board.listing("BTC"), now))
    hedged = await delta_hedged(strad, board, now, perpetual("BTC"), D(10), contract_usd=D(10))
    hedge = hedged.hedge_leg
    assert hedge is not None and hedge.side is Side.SELL  # the forward is above 95k: long delta
    preview = await price_package(hedged, board, ACCOUNT, now)
    assert abs(preview.greeks.delta) * float(preview.index) < 10  # within one contract
    report = await send(engine, "strad-sim-1", leg_group_params(preview, DeribitSymbols(),
                                                                slippage_bps=200))
    assert report.state is GroupState.COMPLETED, report.failure
    assert report.residual == {}
    held = await _positions(venue)
    assert held["BTC/USD:BTC"] == -hedged.leg_qty(hedge)
    assert sorted(v for k, v in held.items() if k != "BTC/USD:BTC") == [D(2), D(2)]


async def test_condor_when_one_leg_cannot_fill_at_its_limit_then_unwound_to_zero_exposure(
        stack: tuple[Engine, AliasedDeribitVenue, DeribitBoard, str]) -> None:
    engine, venue, board, expiry = stack
    now = time.time_ns()
    condor = iron_condor("BTC", expiry, [D(80_000), D(90_000), D(100_000), D(110_000)], D(1),
                         Listing(await board.listing("BTC"), now))
    preview = await price_package(condor, board, ACCOUNT, now)
    params = leg_group_params(preview, DeribitSymbols(), slippage_bps=200)
    short_call = params.legs[2]  # sold at ten times its bid: nobody buys there
    assert short_call.side is Side.SELL and short_call.limit_price is not None
    stuck = LegSpec(venue=short_call.venue, symbol=short_call.symbol, side=Side.SELL,
                    ratio=short_call.ratio, limit_price=short_call.limit_price * 10)
    params = params.model_copy(update={"legs": (*params.legs[:2], stuck, params.legs[3])})
    report = await send(engine, "condor-sim-2", params)
    assert report.state is GroupState.UNWOUND and report.kept_units == 0
    assert report.residual == {}
    assert await _positions(venue) == {}  # every filled leg was traded back on the venue
