"""The margin engine as the pre-trade gate sees it (`risk.pretrade.MarginView`).

The gate speaks in legs (`LegIntent`); the margin engine in positions. An `InstrumentBook`
says what each instrument id is (spot asset, perpetual, option with its strike and expiry), so
a leg becomes the signed position it would add. Greeks of new legs come from pricing only those
legs (`ScenarioBook.leg`), margin and the liquidation buffer from the engine's cached totals
plus the legs: nothing already in the book is priced again.

An instrument the book does not know raises `MissingMarketData`; the gate turns that into a
`margin_unavailable` denial (fail closed), never a guess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from risk.errors import MissingMarketData
from risk.margin.black76 import delta_gamma_vega
from risk.margin.desk import MarginEngine
from risk.margin.positions import (
    MarketData,
    OptionPosition,
    OptionRight,
    PerpetualPosition,
    Position,
    SpotBalance,
)
from risk.pretrade.legs import LegIntent
from risk.pretrade.margin_view import NO_GREEKS, Greeks, MarginImpact


@dataclass(frozen=True, slots=True)
class SpotSpec:
    """A spot pair (or a swap): `asset` is bought or sold for `quote`, which pays the leg's
    notional the other way. Without `quote`, only the asset side is counted (a transfer)."""

    asset: str  # the base asset bought or sold (WETH, BTC, ...)
    quote: str | None = None  # the asset the notional is paid in (USDC, ...)


@dataclass(frozen=True, slots=True)
class PerpetualSpec:
    symbol: str
    underlying: str


@dataclass(frozen=True, slots=True)
class OptionSpec:
    underlying: str
    right: OptionRight
    strike: Decimal
    expiry_days: Decimal
    vol: Decimal


InstrumentSpec = SpotSpec | PerpetualSpec | OptionSpec


class InstrumentBook:
    """Instrument id -> what it is, for turning legs into margin positions."""

    def __init__(self, specs: Mapping[str, InstrumentSpec]) -> None:
        self._specs = dict(specs)

    def positions(self, leg: LegIntent, market: MarketData) -> tuple[Position, ...]:
        """What the leg adds to the book if it fills: the instrument, and for spot the quote
        asset paid or received (so buying spot with cash does not look like new equity)."""
        spec = self._specs.get(leg.instrument)
        quantity = leg.signed_quantity
        if spec is None:
            raise MissingMarketData("instrument description", leg.instrument)
        if isinstance(spec, SpotSpec):
            bought = SpotBalance(leg.venue, spec.asset, quantity)
            if spec.quote is None:
                return (bought,)
            paid = leg.notional if quantity > 0 else -leg.notional
            return bought, SpotBalance(leg.venue, spec.quote, -paid)
        if isinstance(spec, PerpetualSpec):
            price = leg.limit_price or (leg.notional / leg.quantity)
            return (PerpetualPosition(leg.venue, spec.symbol, spec.underlying, quantity,
                                      price),)
        return (OptionPosition(leg.venue, leg.instrument, spec.underlying, spec.right,
                               spec.strike, spec.expiry_days, quantity, spec.vol,
                               market.index(spec.underlying)),)

    def add(self, instrument: str, spec: InstrumentSpec) -> None:
        """Describe one more instrument (a newly listed market)."""
        self._specs[instrument] = spec

    def __contains__(self, instrument: object) -> bool:
        return instrument in self._specs


class MarginEngineView:
    """`risk.pretrade.MarginView` over one MarginEngine per account."""

    def __init__(self, engines: Mapping[str, MarginEngine], instruments: InstrumentBook) -> None:
        self._engines = dict(engines)
        self._instruments = instruments
        self._now: dict[str, MarginImpact] = {}  # margin with no new leg, per account
        # The gate asks for a leg's Greeks and then its margin: the positions are made once.
        self._last: tuple[LegIntent, tuple[Position, ...]] | None = None

    def _engine(self, account: str) -> MarginEngine:
        engine = self._engines.get(account)
        if engine is None:
            raise MissingMarketData("margin engine", account)
        return engine

    @property
    def instruments(self) -> InstrumentBook:
        return self._instruments

    def engine(self, account: str) -> MarginEngine:
        """The account's margin engine now (`MissingMarketData` when there is none)."""
        return self._engine(account)

    def replace(self, account: str, engine: MarginEngine) -> None:
        """Swap in an account's engine after fills (the OMS keeps it current)."""
        self._engines[account] = engine
        self._now.pop(account, None)
        self._last = None  # its position was made at the old engine's index

    def _positions(self, leg: LegIntent, engine: MarginEngine) -> tuple[Position, ...]:
        last = self._last
        if last is not None and last[0] is leg:  # legs are frozen: the same object, same answer
            return last[1]
        positions = self._instruments.positions(leg, engine.market)
        self._last = (leg, positions)
        return positions

    def greeks(self, account: str, underlying: str) -> Greeks:
        for total in self._engine(account).greeks:
            if total.underlying == underlying:
                return Greeks(total.delta, total.gamma, total.vega)
        return NO_GREEKS

    def leg_greeks(self, legs: Sequence[LegIntent]) -> Mapping[str, Greeks]:
        out: dict[str, Greeks] = {}
        for leg in legs:
            engine = self._engine(leg.account)
            position = self._positions(leg, engine)[0]
            if isinstance(position, OptionPosition):
                index = engine.market.index(position.underlying)
                delta, gamma, vega = delta_gamma_vega(
                    float(position.forward or index), float(position.strike),
                    float(position.expiry_days), float(position.vol),
                    position.right is OptionRight.CALL)
                q = float(position.quantity)
                underlying: str | None = position.underlying
                greeks = Greeks(delta * q, gamma * q, vega * q)
            else:  # spot, wallet and perpetual holdings: delta is the quantity itself
                scenario = engine.scenario_book.leg(position)
                underlying = scenario.underlying
                greeks = Greeks(scenario.delta, 0.0, 0.0)
            if underlying is None:
                continue
            out[underlying] = out.get(underlying, NO_GREEKS) + greeks
        return out

    def margin_after(self, account: str, legs: Sequence[LegIntent]) -> MarginImpact:
        if not legs and account in self._now:  # asked on every check: the book has not moved
            return self._now[account]
        engine = self._engine(account)
        positions = tuple(p for leg in legs for p in self._positions(leg, engine))
        margin, buffer = engine.scenario_book.margin_and_buffer_with(*positions)
        impact = MarginImpact(margin.utilisation, math.inf if buffer is None else buffer)
        if not legs:
            self._now[account] = impact
        return impact
