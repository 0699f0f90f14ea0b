"""A delta-hedged ETH straddle as ONE leg group over two real venues: the options on simex's
Deribit dialect (DeribitServer, through ccxt.deribit / DeribitVenue) and the spot hedge on a
simex Binance-dialect exchange (SimexServer, CexVenue through ccxt.binance) trading WETH/USDC,
with ETH mapped to WETH explicitly. The risk gate (margin engine) checks the whole group,
both venues, before anything is sent; when the hedge cannot fill, the options are unwound
and nothing is left at either venue."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.cex import CexVenue, CexVenueConfig
from connectors.cex.deribit import DeribitVenue
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    MakerConfig,
    SimexConfig,
    SimexServer,
)
from connectors.simex.config import SymbolConfig
from connectors.simex.deribit import DeribitConfig, DeribitMakerConfig, DeribitServer
from engine.api import Engine, build_engine, risk_gate
from engine.journal import Journal, JournalConfig
from engine.legs import GroupState
from engine.model import Side
from engine.oms import GateDecision, GateLeg
from engine.strategies import (
    DeribitSymbols,
    HedgeAssets,
    InvalidStrategy,
    Listing,
    OptionSymbolGate,
    PackagePreview,
    Strategy,
    UnmappedUnderlying,
    delta_hedged,
    format_expiry,
    leg_group_params,
    price_package,
    send,
    spot,
    straddle,
)
from engine.strategies._aliases import AliasedDeribitVenue
from engine.strategies._deribit import DeribitBoard
from engine.strategies._gating import instrument_specs, list_instruments, use_margin_engine
from risk.margin import Portfolio, SpotBalance

pytestmark = pytest.mark.integration
D = Decimal
ASSETS = HedgeAssets({"ETH": ("WETH/USDC", "WETH")})
ACCOUNT = Portfolio(spot=(SpotBalance("deribit", "ETH", D(100)),
                          SpotBalance("simex", "USDC", D(1_000_000)),
                          SpotBalance("simex", "WETH", D(100))))
STRIKE = D(3400)  # below the ETH forward: a long straddle is long delta, hedged by selling WETH


@dataclass
class Desk:
    engine: Engine
    options: AliasedDeribitVenue
    hedge: CexVenue
    board: DeribitBoard
    expiry: str
    groups: list[list[str]]


def _expiry(server: DeribitServer) -> dt.datetime:
    expiries = sorted({i.expiry_ms for i in server.engine.instruments.values()
                       if i.is_option and i.currency == "ETH"})
    return dt.datetime.fromtimestamp(expiries[2] / 1000, tz=dt.UTC)


async def _desk(tmp_path: Path, makers: bool, max_use: float = 0.8) -> AsyncIterator[Desk]:
    simex_config = SimexConfig(
        symbols=(SymbolConfig(base="WETH", quote="USDC", reference_price=D(3500)),),
        makers=MakerConfig(enabled=makers, refresh_ms=100, drift_bps=D(0)))
    async with DeribitServer(DeribitConfig(makers=DeribitMakerConfig(drift_bps=D(0)))) as dsrv, \
            SimexServer(simex_config) as ssrv:
        when = _expiry(dsrv)
        symbols = tuple(f"ETH/USD:ETH-{when:%y%m%d}-{STRIKE}-{r}" for r in "CP")
        dconfig = CexVenueConfig("deribit", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                 exchange_id="deribit", urls=dsrv.ccxt_urls(), symbols=symbols,
                                 fill_poll_s=0.5)
        sconfig = CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                 urls=ssrv.ccxt_urls(), symbols=("WETH/USDC",),
                                 request_timeout_s=2.0, fill_poll_s=0.5)
        async with DeribitVenue(dconfig) as inner, CexVenue(sconfig) as hedge:
            options, board = AliasedDeribitVenue(inner), DeribitBoard(inner.deribit.exchange)
            journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
            engine = build_engine(journal, [options, hedge], [options, hedge])
            gate = risk_gate([options, hedge], "desk", "options",
                             f"sqlite:///{tmp_path / 'lists.sqlite'}")
            list_instruments(gate, [options, hedge], [DeribitSymbols()])
            now = time.time_ns()
            tickers = [await board.ticker(i) for i in await board.listing("ETH")]
            index = await board.index_price("ETH")
            use_margin_engine(gate, ACCOUNT, {"ETH": index, "WETH": index},
                              instrument_specs(tickers, [ASSETS.hedge("ETH")], now), max_use)
            groups: list[list[str]] = []
            inner_check = gate.check

            def spy(legs: Sequence[GateLeg]) -> GateDecision:
                groups.append([str(leg.order.instrument.id) for leg in legs])
                return inner_check(legs)

            gate.check = spy  # type: ignore[method-assign]
            wrapped = OptionSymbolGate(gate, [DeribitSymbols()])
            engine.oms.gate = wrapped
            engine.oms.subscribe(wrapped.on_event)
            await engine.start(resume=False)
            try:
                yield Desk(engine, options, hedge, board,
                           format_expiry(int(when.timestamp()) * 1_000_000_000), groups)
            finally:
                await engine.close()
                journal.close()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in _desk(tmp_path, makers=True):
        yield d


@pytest.fixture
async def empty_desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in _desk(tmp_path, makers=False):  # no simex makers: WETH/USDC's book is empty
        yield d


@pytest.fixture
async def tight_desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in _desk(tmp_path, makers=True, max_use=1e-6):  # any margin breaks the limit
        yield d


async def _option_positions(desk: Desk) -> dict[str, Decimal]:
    return {p.symbol: p.size for p in await desk.options.inner.positions() if p.size}


async def _weth(desk: Desk) -> Decimal:
    balance = (await desk.hedge.balances())["WETH"]
    return balance.free + balance.locked


def _lot(desk: Desk) -> Decimal:
    return next(m.lot_size for m in desk.hedge.markets() if m.symbol == "WETH/USDC")


async def _hedged(desk: Desk, qty: Decimal, side: Side = Side.BUY
                  ) -> tuple[Strategy, PackagePreview]:
    now = time.time_ns()
    strad = straddle("ETH", desk.expiry, STRIKE, qty, Listing(await desk.board.listing("ETH"),
                                                              now), side)
    hedged = await delta_hedged(strad, desk.board, now, ASSETS.hedge("ETH"), _lot(desk),
                                assets=ASSETS)
    preview = await price_package(hedged, desk.board, ACCOUNT, now, venue="deribit",
                                  hedge_venue="simex")
    return hedged, preview


async def test_eth_straddle_hedged_with_weth_on_binance_dialect_when_sent_then_one_group(
        desk: Desk) -> None:
    weth_before = await _weth(desk)
    hedged, preview = await _hedged(desk, D(2))
    hedge = hedged.hedge_leg
    assert hedge is not None and hedge.side is Side.SELL
    assert str(hedge.instrument.id) == "WETH/USDC"
    hedge_qty = hedged.leg_qty(hedge)
    lot = _lot(desk)
    assert hedge_qty > 0 and hedge_qty % lot == 0  # simex's WETH lot
    assert abs(preview.greeks.delta) <= float(lot) / 2  # flat to within half a lot
    report = await send(desk.engine, "eth-strad-1",
                        leg_group_params(preview, DeribitSymbols(), slippage_bps=300))
    assert report.state is GroupState.COMPLETED, report.failure
    assert report.residual == {}
    # the gate saw the whole group, both venues' legs, in one check before sending
    assert len(desk.groups[0]) == 3 and desk.groups[0][-1] == "WETH/USDC"
    assert sorted((await _option_positions(desk)).values()) == [D(2), D(2)]
    assert await _weth(desk) == weth_before - hedge_qty


async def test_eth_straddle_when_the_weth_book_is_empty_then_options_unwound_to_zero(
        empty_desk: Desk) -> None:
    desk = empty_desk
    weth_before = await _weth(desk)
    hedged, preview = await _hedged(desk, D(2))
    hedge = hedged.hedge_leg
    assert hedge is not None and hedge.side is Side.SELL
    # nobody bids for WETH on simex (no makers); the hedge sells no lower than 1% under index
    limit = (preview.index * D("0.99")).quantize(D("0.01"))
    report = await send(desk.engine, "eth-strad-2",
                        leg_group_params(preview, DeribitSymbols(), slippage_bps=300,
                                         leg_timeout_ns=5_000_000_000, hedge_limit=limit))
    assert report.state is GroupState.UNWOUND, (report.state, report.failure)
    assert report.residual == {} and report.kept_units == 0
    assert await _option_positions(desk) == {}  # the straddle was traded back on Deribit
    assert await _weth(desk) == weth_before


async def test_hedge_asset_map_when_underlying_unmapped_then_typed_refusal_naming_it(
        desk: Desk) -> None:
    now = time.time_ns()
    strad = straddle("ETH", desk.expiry, STRIKE, D(1), Listing(await desk.board.listing("ETH"),
                                                               now))
    btc_only = HedgeAssets({"BTC": ("WBTC/USDC", "WBTC")})
    with pytest.raises(UnmappedUnderlying, match="ETH"):
        await delta_hedged(strad, desk.board, now, spot("WETH", "USDC"), D("0.0001"),
                           assets=btc_only)
    with pytest.raises(UnmappedUnderlying, match="ETH"):
        btc_only.hedge("ETH")
    with pytest.raises(InvalidStrategy, match="base"):
        HedgeAssets({"ETH": ("WETH/USDC", "ETH")})
    with pytest.raises(InvalidStrategy, match="pair"):
        HedgeAssets({"ETH": ("WETHUSDC", "WETH")})


async def test_eth_straddle_when_group_margin_breaks_the_limit_then_denied_at_both_venues(
        tight_desk: Desk) -> None:
    desk = tight_desk
    weth_before = await _weth(desk)
    hedged, preview = await _hedged(desk, D(2), Side.SELL)  # short options: margin > 0
    assert hedged.hedge_leg is not None and hedged.hedge_leg.side is Side.BUY
    assert preview.margin_after.maintenance_usd > 0
    report = await send(desk.engine, "eth-strad-3",
                        leg_group_params(preview, DeribitSymbols(), slippage_bps=300))
    assert report.state is GroupState.UNWOUND and "denied" in (report.failure or "")
    assert report.residual == {} and report.leg_filled == (D(0), D(0), D(0))
    # one check over the whole group, the WETH leg on simex included, before anything was sent
    assert desk.groups == [[desk.groups[0][0], desk.groups[0][1], "WETH/USDC"]]
    assert await _option_positions(desk) == {}
    assert await _weth(desk) == weth_before
