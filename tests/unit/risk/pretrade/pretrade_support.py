"""Test doubles and builders for the pre-trade gate.

`LinearMarginView` is a small honest `MarginView` standing in for `risk.margin` (built by
another team at the same time; the lead wires the real engine in): Greeks are per-unit
constants per instrument (spot and perpetuals: delta 1), summed over positions; maintenance
margin is a fixed rate on the absolute delta notional of each underlying, and the liquidation
buffer is the adverse move of every underlying at once that would eat the equity above
maintenance. It keeps its own totals per (account, underlying), updated with the gate's
positions through `World.set_position`, so the gate and the view never disagree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from risk.pretrade import (
    NO_GREEKS,
    Greeks,
    InstrumentKind,
    LegIntent,
    MarginImpact,
    PreTradeGate,
    RestingOrder,
    Side,
    VenueFilter,
)


class ManualClock:
    """A clock the test moves by hand: no sleeps."""

    def __init__(self, now_ns: int = 1_000_000_000_000) -> None:
        self.now = now_ns

    def now_ns(self) -> int:
        return self.now

    def advance(self, ns: int) -> None:
        self.now += ns


class RecordingCanceller:
    """Stands in for the OMS's cancel path: records what it was asked to cancel."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[RestingOrder], str]] = []

    def cancel(self, orders: Sequence[RestingOrder], reason: str) -> None:
        self.calls.append((list(orders), reason))

    @property
    def cancelled_ids(self) -> set[str]:
        return {order.client_order_id for orders, _ in self.calls for order in orders}


@dataclass(frozen=True)
class InstrumentSpec:
    underlying: str
    kind: InstrumentKind
    greeks_per_unit: Greeks


SPOT_GREEKS = Greeks(delta=1.0)


class LinearMarginView:
    def __init__(self, specs: Mapping[str, InstrumentSpec], prices: Mapping[str, float],
                 maintenance_rate: float = 0.05) -> None:
        self.specs = dict(specs)
        self.prices = dict(prices)
        self.maintenance_rate = maintenance_rate
        self.equity: dict[str, float] = {}
        self._totals: dict[tuple[str, str], Greeks] = {}
        self._underlyings: dict[str, set[str]] = {}
        self._exposure: dict[str, float] = {}  # account -> sum |delta| x price, cached
        self.fail_with: Exception | None = None

    def apply(self, account: str, instrument: str, change: Decimal) -> None:
        spec = self.specs[instrument]
        key = (account, spec.underlying)
        unit, size = spec.greeks_per_unit, float(change)
        self._totals[key] = self._totals.get(key, NO_GREEKS) + Greeks(
            unit.delta * size, unit.gamma * size, unit.vega * size)
        self._underlyings.setdefault(account, set()).add(spec.underlying)
        self._exposure.pop(account, None)

    def greeks(self, account: str, underlying: str) -> Greeks:
        if self.fail_with is not None:
            raise self.fail_with
        return self._totals.get((account, underlying), NO_GREEKS)

    def leg_greeks(self, legs: Sequence[LegIntent]) -> Mapping[str, Greeks]:
        if self.fail_with is not None:
            raise self.fail_with
        changes: dict[str, Greeks] = {}
        for leg in legs:
            unit, size = self.specs[leg.instrument].greeks_per_unit, float(leg.signed_quantity)
            changes[leg.underlying] = changes.get(leg.underlying, NO_GREEKS) + Greeks(
                unit.delta * size, unit.gamma * size, unit.vega * size)
        return changes

    def margin_after(self, account: str, legs: Sequence[LegIntent]) -> MarginImpact:
        if self.fail_with is not None:
            raise self.fail_with
        equity = self.equity[account]  # unknown account: KeyError, and the gate fails closed
        exposure = self._exposure.get(account)
        if exposure is None:
            exposure = self._exposure[account] = sum(
                abs(self._totals[(account, u)].delta) * self.prices[u]
                for u in self._underlyings.get(account, ()))
        # only the underlyings the legs touch change: reprice those against the cached total
        for underlying, change in self.leg_greeks(legs).items():
            delta = self._totals.get((account, underlying), NO_GREEKS).delta
            exposure += (abs(delta + change.delta) - abs(delta)) * self.prices[underlying]
        maintenance = self.maintenance_rate * exposure
        buffer = math.inf if exposure == 0 else max(0.0, equity - maintenance) / exposure
        return MarginImpact(utilisation=maintenance / equity, liquidation_buffer=buffer)


SPECS = {
    "BTC/USDT": InstrumentSpec("BTC", InstrumentKind.SPOT, SPOT_GREEKS),
    "BTC-PERP": InstrumentSpec("BTC", InstrumentKind.PERPETUAL, SPOT_GREEKS),
    "BTC-C-60000": InstrumentSpec("BTC", InstrumentKind.OPTION,
                                  Greeks(delta=0.5, gamma=0.00004, vega=60.0)),
    "BTC-P-50000": InstrumentSpec("BTC", InstrumentKind.OPTION,
                                  Greeks(delta=-0.3, gamma=0.00003, vega=45.0)),
    "ETH/USDT": InstrumentSpec("ETH", InstrumentKind.SPOT, SPOT_GREEKS),
    "ETH-PERP": InstrumentSpec("ETH", InstrumentKind.PERPETUAL, SPOT_GREEKS),
    "WETH/USDC": InstrumentSpec("ETH", InstrumentKind.SWAP, SPOT_GREEKS),
}
PRICES = {"BTC": Decimal("60000"), "ETH": Decimal("3000")}
VENUE_OF = {"BTC/USDT": "binance", "BTC-PERP": "binance", "ETH/USDT": "binance",
            "ETH-PERP": "binance", "BTC-C-60000": "deribit", "BTC-P-50000": "deribit",
            "WETH/USDC": "uniswap"}
FILTERS = {
    "binance": VenueFilter(Decimal("0.1"), Decimal("0.001"), Decimal("0.001"), Decimal("5")),
    "deribit": VenueFilter(Decimal("0.0005"), Decimal("0.1"), Decimal("0.1"), Decimal("0")),
    "uniswap": VenueFilter(Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0")),
}
ACCOUNTS = ("acct-a", "acct-b")


class World:
    """A gate over a small desk: two accounts, three venues, seven instruments."""

    def __init__(self, equity: float = 1_000_000.0) -> None:
        self.clock = ManualClock()
        self.canceller = RecordingCanceller()
        self.view = LinearMarginView(SPECS, {u: float(p) for u, p in PRICES.items()})
        self.gate = PreTradeGate(self.view, self.canceller, self.clock)
        self._ids = itertools.count()
        for account in ACCOUNTS:
            self.gate.state.add_account(account)
            self.view.equity[account] = equity
        for instrument, venue in VENUE_OF.items():
            self.gate.state.set_filter(venue, instrument, FILTERS[venue])
        for underlying, price in PRICES.items():
            self.gate.state.set_underlying_price(underlying, price)

    def set_position(self, account: str, instrument: str, quantity: Decimal) -> None:
        old = self.gate.state.position(account, instrument)
        self.gate.state.set_position(account, instrument, SPECS[instrument].underlying,
                                     quantity)
        self.view.apply(account, instrument, quantity - old)

    def fill(self, leg: LegIntent) -> None:
        """Book a leg as filled in both the gate's state and the margin view."""
        self.set_position(leg.account, leg.instrument,
                          self.gate.state.position(leg.account, leg.instrument)
                          + leg.signed_quantity)

    def leg(self, instrument: str = "BTC-PERP", side: Side = Side.BUY,
            quantity: str | Decimal = "1", price: str | Decimal | None = "60000",
            **overrides: Any) -> LegIntent:
        qty = Decimal(quantity)
        limit = None if price is None else Decimal(price)
        fields: dict[str, Any] = {
            "account": "acct-a", "strategy": "basis", "venue": VENUE_OF[instrument],
            "instrument": instrument, "underlying": SPECS[instrument].underlying,
            "kind": SPECS[instrument].kind, "side": side, "quantity": qty, "limit_price": limit,
            "notional": qty * (limit if limit is not None else PRICES[
                SPECS[instrument].underlying]),
            "client_order_id": f"cid-{next(self._ids)}", "group_id": None,
        }
        fields.update(overrides)
        return LegIntent(**fields)

    def resting(self, instrument: str = "BTC-PERP", side: Side = Side.SELL,
                price: str = "60010", **overrides: Any) -> RestingOrder:
        fields: dict[str, Any] = {
            "client_order_id": f"rest-{next(self._ids)}", "account": "acct-a",
            "strategy": "basis", "venue": VENUE_OF[instrument], "instrument": instrument,
            "side": side, "price": Decimal(price), "remaining": Decimal("1"),
        }
        fields.update(overrides)
        order = RestingOrder(**fields)
        self.gate.state.add_resting(order)
        return order
