"""Sending packages as one leg group through the engine, over PaperVenues (engine.oms, in
memory; the simex Deribit dialect through ccxt.deribit is in tests/integration): the real
risk gate with the margin engine as its margin view checks the whole group before any leg is
sent, and a leg that cannot fill or is rejected leaves zero residual exposure."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from engine.api import Engine
from engine.legs import GroupState, OnFailure
from engine.model import Side
from engine.oms import Fault, GateDecision, GateLeg, ManualClock, PaperVenue, RiskGate
from engine.router import Router
from engine.strategies import (
    DeribitSymbols,
    OptionSymbolGate,
    PackagePreview,
    StaticBoard,
    Strategy,
    delta_hedged,
    iron_condor,
    leg_group_params,
    limit_price,
    price_package,
    send,
    spot,
    straddle,
)
from engine.strategies._gating import instrument_specs, list_instruments, use_margin_engine
from risk import compliance, pretrade
from risk.margin import Portfolio, SpotBalance

from oms_support import journal_at, started_oms
from strategy_support import INDEX, NOW_NS, board, listing, option_venue, spot_venue

D = Decimal
CONDOR = [D(80_000), D(90_000), D(110_000), D(120_000)]
ACCOUNT = Portfolio(spot=(SpotBalance("deribit", "BTC", D(10)),
                          SpotBalance("binance", "USDT", D(500_000))))


class _NoCancels:
    def cancel(self, orders: object, reason: str) -> None:
        return None


class _Counting:
    """Records every group the real gate is asked about (and its answer)."""

    def __init__(self, inner: OptionSymbolGate) -> None:
        self.inner = inner
        self.groups: list[tuple[list[str], bool]] = []

    def check(self, legs: list[GateLeg]) -> GateDecision:
        decision = self.inner.check(legs)
        self.groups.append(([str(self.inner.resolve(leg.order).instrument.id) for leg in legs],
                            decision.accepted))
        return decision


class _FlatMargin:
    """The gate's margin view until `use_margin_engine` puts the margin engine in."""

    def greeks(self, account: str, underlying: str) -> pretrade.Greeks:
        return pretrade.NO_GREEKS

    def leg_greeks(self, legs: object) -> dict[str, pretrade.Greeks]:
        return {}

    def margin_after(self, account: str, legs: object) -> pretrade.MarginImpact:
        return pretrade.MarginImpact(0.0, float("inf"))


async def _stack(tmp_path: Path, b: StaticBoard, max_utilisation: float | None = None
                 ) -> tuple[Engine, PaperVenue, PaperVenue, _Counting]:
    options, hedge = option_venue(b), spot_venue()
    checks = pretrade.PreTradeGate(_FlatMargin(), _NoCancels())  # replaced just below
    checks.state.add_account("desk")
    store = compliance.ListStore(f"sqlite:///{tmp_path / 'lists.sqlite'}")
    risk = RiskGate(checks, compliance.Screener(store), {"deribit": (), "binance": ()},
                    account="desk", strategy="options")
    symbols = DeribitSymbols()
    list_instruments(risk, [options, hedge], [symbols])
    use_margin_engine(risk, ACCOUNT, {"BTC": INDEX},
                      instrument_specs(b.tickers.values(), [spot("BTC")], NOW_NS),
                      max_utilisation)
    gate = _Counting(OptionSymbolGate(risk, [symbols]))
    oms = await started_oms(journal_at(tmp_path), [options, hedge], gate,  # type: ignore[arg-type]
                            ManualClock())
    oms.subscribe(gate.inner.on_event)
    return Engine(oms, Router([options, hedge], refine_points=0)), options, hedge, gate


async def _preview(strategy: Strategy, b: StaticBoard) -> PackagePreview:
    return await price_package(strategy, b, ACCOUNT, NOW_NS, hedge_venue="binance",
                               hedge_book=(INDEX - 1, INDEX + 1))


def _positions(venue: PaperVenue) -> dict[str, Decimal]:
    found = {symbol: venue.position(symbol) for symbol in {f.symbol for f in venue.fills}}
    return {symbol: qty for symbol, qty in found.items() if qty}


async def test_iron_condor_when_sent_then_four_legs_fill_as_one_group_with_zero_residual(
        tmp_path: Path) -> None:
    b = board()
    engine, options, _, gate = await _stack(tmp_path, b, max_utilisation=0.5)
    condor = iron_condor("BTC", "27DEC26", CONDOR, D(2), await listing(b))
    preview = await _preview(condor, b)
    report = await send(engine, "condor-1", leg_group_params(preview, DeribitSymbols()))
    assert report.state is GroupState.COMPLETED and report.residual == {}
    assert report.leg_filled == (D(2), D(2), D(2), D(2))
    assert _positions(options) == {"BTC_27DEC26_80000_P/BTC": D(2),
                                   "BTC_27DEC26_90000_P/BTC": D(-2),
                                   "BTC_27DEC26_110000_C/BTC": D(-2),
                                   "BTC_27DEC26_120000_C/BTC": D(2)}
    # one gate check for the whole group, seen as options, accepted: then the four sends
    assert gate.groups == [(["BTC/USD-20261227-80000-P", "BTC/USD-20261227-90000-P",
                             "BTC/USD-20261227-110000-C", "BTC/USD-20261227-120000-C"], True)]
    assert options.place_calls == 4
    # filled at the previewed touch: the premium received is the preview's
    received = sum((f.qty * f.price * (1 if f.side.value == "sell" else -1)
                    for f in options.fills), D(0))
    assert received == -preview.net_premium_coin > 0


async def test_package_when_margin_after_breaks_the_limit_then_denied_and_nothing_sent(
        tmp_path: Path) -> None:
    b = board()
    short = straddle("BTC", "27DEC26", D(100_000), D(40), await listing(b), Side.SELL)
    preview = await _preview(short, b)
    assert preview.margin_after.utilisation > 0.3 > preview.margin_before.utilisation
    engine, options, _, gate = await _stack(tmp_path, b, max_utilisation=0.3)
    report = await send(engine, "short-1", leg_group_params(preview, DeribitSymbols()))
    assert report.state is GroupState.UNWOUND and "denied" in (report.failure or "")
    assert "max_margin_utilisation" in (report.failure or "")
    assert options.place_calls == 0 and report.residual == {}
    assert gate.groups == [(["BTC/USD-20261227-100000-C", "BTC/USD-20261227-100000-P"], False)]


async def test_delta_hedged_straddle_when_sent_then_options_and_spot_hedge_fill_together(
        tmp_path: Path) -> None:
    b = board()
    engine, options, hedge, gate = await _stack(tmp_path, b, max_utilisation=0.5)
    strad = straddle("BTC", "27DEC26", D(110_000), D(3), await listing(b))
    hedged = await delta_hedged(strad, b, NOW_NS, spot("BTC"), D("0.001"))
    hedge_leg = hedged.hedge_leg
    assert hedge_leg is not None and hedge_leg.side is Side.BUY
    preview = await _preview(hedged, b)
    report = await send(engine, "hedged-1", leg_group_params(preview, DeribitSymbols()))
    assert report.state is GroupState.COMPLETED and report.residual == {}
    assert _positions(options) == {"BTC_27DEC26_110000_C/BTC": D(3),
                                   "BTC_27DEC26_110000_P/BTC": D(3)}
    assert _positions(hedge) == {"BTC/USDT": hedged.leg_qty(hedge_leg)}
    assert len(gate.groups) == 1 and gate.groups[0][0][-1] == "BTC/USDT"
    assert abs(preview.greeks.delta) < 0.001


async def test_condor_when_one_leg_has_no_liquidity_at_its_limit_then_unwound_to_zero(
        tmp_path: Path) -> None:
    b = board()
    engine, options, _, _ = await _stack(tmp_path, b)
    condor = iron_condor("BTC", "27DEC26", CONDOR, D(1), await listing(b))
    preview = await _preview(condor, b)
    # the 110k call's bid leaves after the preview: nothing to sell into at the limit
    symbol = "BTC_27DEC26_110000_C/BTC"
    asks, bids = options.books[symbol]
    options.set_book(symbol, asks, [(bids[0][0] / 2, D(50))])
    report = await send(engine, "condor-2", leg_group_params(preview, DeribitSymbols()))
    assert report.state is GroupState.UNWOUND and report.kept_units == 0
    assert report.residual == {}
    assert _positions(options) == {}  # every filled leg was traded back on the venue
    assert engine.oms.orders("condor-2.remedy")  # by remedy orders, journaled


async def test_hedged_straddle_when_the_hedge_venue_rejects_then_options_unwound_to_zero(
        tmp_path: Path) -> None:
    b = board()
    engine, options, hedge, _ = await _stack(tmp_path, b)
    strad = straddle("BTC", "27DEC26", D(110_000), D(1), await listing(b))
    hedged = await delta_hedged(strad, b, NOW_NS, spot("BTC"), D("0.001"))
    preview = await _preview(hedged, b)
    hedge.faults.append(Fault.REJECT)
    report = await send(engine, "hedged-2", leg_group_params(preview, DeribitSymbols()))
    assert report.state is GroupState.UNWOUND and "rejected" in (report.failure or "")
    assert report.residual == {}
    assert _positions(options) == {} and _positions(hedge) == {}


async def test_package_when_a_leg_fails_and_policy_is_hedge_then_residual_zero(
        tmp_path: Path) -> None:
    b = board()
    engine, options, _, _ = await _stack(tmp_path, b)
    strad = straddle("BTC", "27DEC26", D(100_000), D(1), await listing(b))
    preview = await _preview(strad, b)
    options.faults.extend([Fault.REJECT])  # the call is rejected, the put fills
    params = leg_group_params(preview, DeribitSymbols(), on_failure=OnFailure.HEDGE)
    report = await send(engine, "strad-3", params)
    assert report.state is GroupState.UNWOUND and report.residual == {}
    assert _positions(options) == {}


def test_limit_price_when_slippage_allowed_then_on_deribit_ticks_and_never_inside_touch(
) -> None:
    assert limit_price(D("0.0123"), Side.BUY, 0) == D("0.0123")
    assert limit_price(D("0.0120"), Side.BUY, 100) == D("0.0120")  # 0.01212 -> tick 0.0005
    assert limit_price(D("0.0500"), Side.BUY, 100) == D("0.0505")
    assert limit_price(D("0.0500"), Side.SELL, 100) == D("0.0495")
    assert limit_price(D("0.0031"), Side.SELL, 100) == D("0.0031")  # 0.003069 -> up: 0.0031
