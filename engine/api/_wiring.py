"""Wiring for a running engine: venues, the risk + compliance gate, the OMS, the router."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connectors.venue import Venue
from engine.api._engine import Engine
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
    SpotCashMargin,
)
from engine.router import Router
from risk import compliance, pretrade


class _NoKillCancels:
    """The kill switch's cancel path; the OMS cancels through the engine instead (not wired
    to the kill switch yet), so a kill switch here only blocks new orders."""

    def cancel(self, orders: Sequence[pretrade.RestingOrder], reason: str) -> None:
        return None


def risk_gate(venues: Sequence[Venue], account: str, strategy: str, list_store_url: str,
              addresses: Mapping[str, Sequence[tuple[str, compliance.AddressRole]]]
              | None = None, audit: compliance.AuditSink | None = None) -> RiskGate:
    """The pre-trade gate (every venue market listed with its filters, one account, cash spot
    margin) and the compliance screener over the list store, combined. CEX venues touch no
    address and are not screened unless `addresses` says otherwise."""
    checks = pretrade.PreTradeGate(_margin_placeholder(), _NoKillCancels())
    checks.margin_view = SpotCashMargin(checks.state)  # the gate's own desk state
    checks.state.add_account(account)
    for venue in venues:
        for market in venue.markets():
            checks.state.set_filter(venue.name, market.symbol, pretrade.VenueFilter(
                market.tick_size, market.lot_size, market.min_qty, market.min_notional))
    book: dict[str, tuple[tuple[str, compliance.AddressRole], ...]] = {
        venue.name: () for venue in venues}
    book.update({k: tuple(v) for k, v in (addresses or {}).items()})
    # `audit` (the engine's journal) records every screening decision with its list version
    screener = compliance.Screener(compliance.ListStore(list_store_url), audit=audit)
    return RiskGate(checks, screener, book, account=account, strategy=strategy)


def _margin_placeholder() -> pretrade.MarginView:
    state = pretrade.DeskState(pretrade.MonotonicClock())
    return SpotCashMargin(state)


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
    oms = OrderManager(journal, {v.name: v for v in venues}, _Halted(), clock, config)
    oms.attach()
    return Engine(oms, Router(quote_venues))


def use_gate(engine: Engine, gate: RiskGate) -> None:
    """Put `gate` in front of every order from now on, kept current from the OMS's events."""
    engine.oms.gate = gate
    engine.oms.subscribe(gate.on_event)
