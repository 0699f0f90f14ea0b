"""The Gate: every child leg, on any venue, passes compliance and pre-trade risk before it is
sent. One protocol; `RiskGate` implements it over `risk.pretrade.PreTradeGate` and
`risk.compliance.Screener` together, mapping their reason codes onto `DenialReason`.

Fail closed throughout: a venue the compliance address book does not know, a screening that
needs review, or any exception from either check denies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from engine.model import (
    DenialReason,
    InstrumentKind,
    Order,
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderStatus,
)
from risk import compliance, pretrade

_PRETRADE_REASONS: dict[pretrade.ReasonCode, DenialReason] = {
    pretrade.ReasonCode.UNKNOWN_ACCOUNT: DenialReason.UNKNOWN_ACCOUNT,
    pretrade.ReasonCode.UNKNOWN_VENUE: DenialReason.UNKNOWN_VENUE,
    pretrade.ReasonCode.UNKNOWN_INSTRUMENT: DenialReason.UNKNOWN_INSTRUMENT,
    pretrade.ReasonCode.KILL_SWITCH: DenialReason.TRADING_HALTED,
    pretrade.ReasonCode.RESTRICTED_VENUE: DenialReason.RESTRICTED,
    pretrade.ReasonCode.RESTRICTED_INSTRUMENT: DenialReason.RESTRICTED,
    pretrade.ReasonCode.NO_REFERENCE_PRICE: DenialReason.PRICE_OUT_OF_BAND,
    pretrade.ReasonCode.STALE_REFERENCE_PRICE: DenialReason.PRICE_OUT_OF_BAND,
    pretrade.ReasonCode.PRICE_COLLAR: DenialReason.PRICE_OUT_OF_BAND,
    pretrade.ReasonCode.MAX_ORDER_QTY: DenialReason.MAX_NOTIONAL,
    pretrade.ReasonCode.MAX_ORDER_NOTIONAL: DenialReason.MAX_NOTIONAL,
    pretrade.ReasonCode.TICK_SIZE: DenialReason.VENUE_FILTER,
    pretrade.ReasonCode.LOT_SIZE: DenialReason.VENUE_FILTER,
    pretrade.ReasonCode.MIN_QTY: DenialReason.VENUE_FILTER,
    pretrade.ReasonCode.MIN_NOTIONAL: DenialReason.VENUE_FILTER,
    pretrade.ReasonCode.MESSAGE_RATE: DenialReason.RATE_LIMITED,
    pretrade.ReasonCode.NOTIONAL_RATE: DenialReason.RATE_LIMITED,
    pretrade.ReasonCode.DUPLICATE_CLIENT_ORDER_ID: DenialReason.DUPLICATE_ORDER,
    pretrade.ReasonCode.DUPLICATE_ORDER: DenialReason.DUPLICATE_ORDER,
    pretrade.ReasonCode.SELF_TRADE: DenialReason.SELF_TRADE,
    pretrade.ReasonCode.MAX_NET_POSITION: DenialReason.MAX_POSITION,
    pretrade.ReasonCode.MAX_GROSS_POSITION: DenialReason.MAX_POSITION,
    pretrade.ReasonCode.MAX_NET_CONCENTRATION: DenialReason.MAX_POSITION,
    pretrade.ReasonCode.MAX_GROSS_CONCENTRATION: DenialReason.MAX_POSITION,
    pretrade.ReasonCode.MAX_DELTA: DenialReason.MAX_POSITION,
    pretrade.ReasonCode.MAX_GAMMA: DenialReason.MAX_POSITION,
    pretrade.ReasonCode.MAX_VEGA: DenialReason.MAX_POSITION,
    pretrade.ReasonCode.MARGIN_UTILISATION: DenialReason.INSUFFICIENT_MARGIN,
    pretrade.ReasonCode.LIQUIDATION_BUFFER: DenialReason.INSUFFICIENT_MARGIN,
    pretrade.ReasonCode.MARGIN_UNAVAILABLE: DenialReason.INSUFFICIENT_MARGIN,
}
_SANCTIONS = frozenset({compliance.ReasonCode.SANCTIONS_LIST_HIT,
                        compliance.ReasonCode.ORACLE_SANCTIONED,
                        compliance.ReasonCode.LOCAL_DENY_LIST,
                        compliance.ReasonCode.NO_SANCTIONS_LIST})
_KINDS = {InstrumentKind.SPOT: pretrade.InstrumentKind.SPOT,
          InstrumentKind.PERPETUAL: pretrade.InstrumentKind.PERPETUAL,
          InstrumentKind.FUTURE: pretrade.InstrumentKind.FUTURE,
          InstrumentKind.OPTION: pretrade.InstrumentKind.OPTION}


@dataclass(frozen=True, slots=True)
class GateLeg:
    """One order about to be sent, with the price its notional is measured at (its limit, or
    the router's expected average for a market order or swap)."""

    order: Order
    expected_price: Decimal

    @property
    def notional(self) -> Decimal:
        return self.order.qty * self.expected_price


@dataclass(frozen=True, slots=True)
class GateReason:
    code: DenialReason
    detail: str
    client_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class GateDecision:
    accepted: bool
    reasons: tuple[GateReason, ...] = ()

    @property
    def first(self) -> GateReason:
        return self.reasons[0]


ACCEPTED = GateDecision(True)


@runtime_checkable
class Gate(Protocol):
    """Accept or deny a group of legs, all or none."""

    def check(self, legs: Sequence[GateLeg]) -> GateDecision: ...


class RiskGate:
    """Pre-trade risk and compliance screening, both required.

    `addresses` is compliance's address book: per venue, the addresses a leg there touches
    (pool, router, deposit address...), with their roles. A venue absent from it is denied
    (fail closed); a venue mapped to `()` touches no on-chain address (a CEX trade inside the
    account) and is not screened. Legs map onto `risk.pretrade.LegIntent` with `account`,
    `strategy`, and `swap_venues` (legs there are AMM swaps).
    """

    def __init__(self, pretrade_gate: pretrade.PreTradeGate, screener: compliance.Screener,
                 addresses: Mapping[str, Sequence[tuple[str, compliance.AddressRole]]],
                 account: str, strategy: str, swap_venues: frozenset[str] = frozenset()) -> None:
        self.pretrade = pretrade_gate
        self.screener = screener
        self.addresses = dict(addresses)
        self.account = account
        self.strategy = strategy
        self.swap_venues = swap_venues

    def check(self, legs: Sequence[GateLeg]) -> GateDecision:
        reasons = [reason for leg in legs for reason in self._screen(leg)]
        if reasons:  # compliance first: a sanctioned leg never consumes risk throttles
            return GateDecision(False, tuple(reasons))
        try:
            decision = self.pretrade.check(self._intents(legs))
        except Exception as error:  # fail closed on anything the gate raises
            return GateDecision(False, (GateReason(DenialReason.TRADING_HALTED,
                                                   f"pre-trade gate failed: {error}"),))
        if decision.accepted:
            return ACCEPTED
        return GateDecision(False, tuple(
            GateReason(_PRETRADE_REASONS[r.code], str(r), r.client_order_id)
            for r in decision.reasons))

    def _screen(self, leg: GateLeg) -> list[GateReason]:
        order = leg.order
        subjects = self.addresses.get(order.venue)
        if subjects is None:
            return [GateReason(DenialReason.UNKNOWN_VENUE,
                               f"compliance has no address book for {order.venue}",
                               order.client_order_id)]
        if not subjects:
            return []
        try:
            request = compliance.ScreeningRequest.of(order.client_order_id, order.venue,
                                                     tuple(subjects))
            decision = self.screener.screen(request)
        except Exception as error:  # fail closed
            return [GateReason(DenialReason.SUSPICIOUS_PATTERN, f"screening failed: {error}",
                               order.client_order_id)]
        if decision.decision is compliance.Decision.ALLOW:
            return []
        codes = {r.code for v in decision.verdicts for r in v.reasons}
        code = (DenialReason.SANCTIONED_ADDRESS if codes & _SANCTIONS
                else DenialReason.SUSPICIOUS_PATTERN)
        text = "; ".join(sorted(c.value for c in codes)) or decision.decision.value
        return [GateReason(code, f"screening {decision.decision.value}: {text}",
                           order.client_order_id)]

    def _intents(self, legs: Sequence[GateLeg]) -> list[pretrade.LegIntent]:
        group = None
        if len(legs) > 1:
            group = legs[0].order.leg_group_id or f"g-{legs[0].order.client_order_id}"
        return [self._intent(leg, group) for leg in legs]

    def _intent(self, leg: GateLeg, group: str | None) -> pretrade.LegIntent:
        order = leg.order
        kind = (pretrade.InstrumentKind.SWAP if order.venue in self.swap_venues
                else _KINDS[order.instrument.kind])
        return pretrade.LegIntent(
            account=self.account, strategy=self.strategy, venue=order.venue,
            instrument=order.instrument.id, underlying=order.instrument.base, kind=kind,
            side=pretrade.Side(order.side.value), quantity=order.qty,
            limit_price=order.limit_price, notional=leg.notional,
            client_order_id=order.client_order_id, group_id=group)

    def on_event(self, event: OrderEvent, order: Order) -> None:
        """Keep the pre-trade gate's view of our book current (subscribe to the OMS):
        positions move with fills; resting limit orders are known for self-trade checks."""
        state = self.pretrade.state
        if isinstance(event, OrderFilled):
            signed = event.fill.qty * order.side.sign
            current = state.position(self.account, order.instrument.id)
            state.set_position(self.account, order.instrument.id, order.instrument.base,
                               current + signed)
        resting = order.limit_price is not None and order.status in (
            OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)
        known = order.client_order_id in {r.client_order_id for r in state.resting_orders()}
        if known and (not resting or isinstance(event, OrderFilled)):
            state.remove_resting(order.client_order_id)
            known = False
        if resting and not known and isinstance(event, OrderAccepted | OrderFilled):
            assert order.limit_price is not None
            state.add_resting(pretrade.RestingOrder(
                order.client_order_id, self.account, self.strategy, order.venue,
                order.instrument.id, pretrade.Side(order.side.value), order.limit_price,
                order.leaves_qty))


class SpotCashMargin:
    """The margin view for a cash spot desk: spot legs are paid in full, so they use no
    margin and cannot be liquidated; delta is the position. Any other instrument kind is
    refused (the gate then denies with margin_unavailable): this view cannot price it.
    Stands in until the margin engine (risk.margin) is wired as the gate's MarginView."""

    def __init__(self, state: pretrade.DeskState) -> None:
        self.state = state

    def greeks(self, account: str, underlying: str) -> pretrade.Greeks:
        net, _ = self.state.net_gross(account, underlying)
        return pretrade.Greeks(delta=float(net))

    def leg_greeks(self, legs: Sequence[pretrade.LegIntent]) -> Mapping[str, pretrade.Greeks]:
        changes: dict[str, pretrade.Greeks] = {}
        for leg in legs:
            self._spot_only(leg)
            change = pretrade.Greeks(delta=float(leg.signed_quantity))
            changes[leg.underlying] = changes.get(leg.underlying, pretrade.NO_GREEKS) + change
        return changes

    def margin_after(self, account: str,
                     legs: Sequence[pretrade.LegIntent]) -> pretrade.MarginImpact:
        for leg in legs:
            self._spot_only(leg)
        return pretrade.MarginImpact(0.0, float("inf"))

    @staticmethod
    def _spot_only(leg: pretrade.LegIntent) -> None:
        if leg.kind not in (pretrade.InstrumentKind.SPOT, pretrade.InstrumentKind.SWAP):
            raise ValueError(f"{leg.kind.value} is not a cash spot instrument")
