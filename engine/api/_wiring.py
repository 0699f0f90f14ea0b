"""Wiring for a running engine: venues, the risk + compliance gate, the OMS, the router."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connectors.venue import Venue
from engine.api._engine import Engine
from engine.api._kill import DeskRiskGate, OmsCanceller
from engine.api._margin import DeskMarginView, MarginSetup, instrument_book
from engine.journal import Journal
from engine.model import DenialReason
from engine.oms import (
    Clock,
    ExecutionVenue,
    GateDecision,
    GateLeg,
    GateReason,
    OmsConfig,
    OrderManager,
    RiskGate,
    check_request_timeout,
)
from engine.router import Router
from risk import compliance, pretrade
from risk.margin import MarginEngine, MarketData, Portfolio


class _CancelsOnceUsed:
    """The kill switch's canceller until `use_gate` installs the OMS's."""

    def cancel(self, orders: Sequence[pretrade.RestingOrder], reason: str) -> None:
        raise RuntimeError("the gate is not in front of an engine yet: nothing to cancel with")


_NO_CANCELS = _CancelsOnceUsed()


def risk_gate(venues: Sequence[Venue], account: str, strategy: str, list_store_url: str,
              addresses: Mapping[str, Sequence[tuple[str, compliance.AddressRole]]]
              | None = None, audit: compliance.AuditSink | None = None, *,
              margin: DeskMarginView | None = None,
              margin_setup: MarginSetup | None = None) -> RiskGate:
    """The pre-trade gate (every venue market listed with its filters, one account, the margin
    engine as its margin view) and the compliance screener over the list store, combined. CEX
    venues touch no address and are not screened unless `addresses` says otherwise.

    `margin` is the desk's margin view (`await desk_margin(venues, account, setup)`, which
    reads the venues' balances); without it the view holds no positions and no index prices,
    so any margin or Greeks limit denies (fail closed). `margin_setup`'s utilisation and
    liquidation-buffer limits are set on the account."""
    if margin is None:
        margin = DeskMarginView(account, MarginEngine(Portfolio(), MarketData({})),
                                instrument_book(venues, Portfolio()))
    checks = pretrade.PreTradeGate(margin, _NO_CANCELS)  # the OMS's, from use_gate
    checks.state.add_account(account)
    for venue in venues:
        for market in venue.markets():
            checks.state.set_filter(venue.name, market.symbol, pretrade.VenueFilter(
                market.tick_size, market.lot_size, market.min_qty, market.min_notional))
    if margin_setup is not None:
        checks.limits.set(pretrade.Scope(account=account),
                          max_margin_utilisation=margin_setup.max_margin_utilisation,
                          min_liquidation_buffer=margin_setup.min_liquidation_buffer)
    book: dict[str, tuple[tuple[str, compliance.AddressRole], ...]] = {
        venue.name: () for venue in venues}
    book.update({k: tuple(v) for k, v in (addresses or {}).items()})
    # `audit` (the engine's journal) records every screening decision with its list version
    screener = compliance.Screener(compliance.ListStore(list_store_url), audit=audit)
    return DeskRiskGate(checks, screener, book, account=account, strategy=strategy)


class _Halted:
    """The gate before the real one is known (venue filters come from the venues): denies."""

    def check(self, legs: Sequence[GateLeg]) -> GateDecision:
        return GateDecision(False, (GateReason(DenialReason.TRADING_HALTED,
                                               "the engine is starting"),))


def build_engine(journal: Journal, venues: Sequence[ExecutionVenue],
                 quote_venues: Sequence[Venue], clock: Clock | None = None,
                 config: OmsConfig | None = None) -> Engine:
    """An Engine with a halted gate, its OMS attached to the venues' fills.

    Then: start the venues, `use_gate(engine, risk_gate(...))`, `await engine.start()`.
    Attaching first means a fill the venue delivers while connecting is never missed.
    """
    config = config or OmsConfig()
    check_request_timeout(config.request_timeout_ns, venues)  # the venue resolves UNKNOWN first
    oms = OrderManager(journal, {v.name: v for v in venues}, _Halted(), clock, config)
    oms.attach()
    return Engine(oms, Router(quote_venues))


def use_gate(engine: Engine, gate: RiskGate) -> None:
    """Put `gate` in front of every order from now on, kept current from the OMS's events."""
    engine.oms.gate = gate
    engine.oms.subscribe(gate.on_event)
    gate.pretrade.kill_switch.canceller = OmsCanceller(engine.oms)
    margin = gate.pretrade.margin_view
    if isinstance(margin, DeskMarginView):  # the margin book moves with our fills
        engine.oms.subscribe(margin.on_event)
