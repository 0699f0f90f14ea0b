"""The margin side of the gate for a package: what the risk gate must know to value its legs.

The OMS names a leg by its venue symbol; `OptionSymbolGate` shows the gate the instrument it
stands for. This module tells the pre-trade gate about those instruments (each venue's filters
under the instrument's id) and gives it the margin engine as its `MarginView`, over the
account's portfolio, with an `InstrumentBook` that says what each id is (an option with its
strike, expiry and mark IV; a perpetual; a spot pair). The gate then checks the whole group as
one post-trade state before any leg is sent, and denies it (nothing sent) when the margin after
would break the account's limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from connectors.venue import Venue
from engine.model import Instrument, InstrumentKind, OptionRight
from engine.oms import RiskGate
from engine.strategies._board import OptionTicker
from engine.strategies._execution import SymbolMap
from engine.strategies._names import days_to_expiry
from risk import pretrade
from risk.margin import MarginEngine, MarginEngineConfig, MarketData, Portfolio
from risk.margin import OptionRight as RiskRight
from risk.margin.gate_view import (
    InstrumentBook,
    InstrumentSpec,
    MarginEngineView,
    OptionSpec,
    PerpetualSpec,
    SpotSpec,
)


def instrument_specs(tickers: Iterable[OptionTicker], hedges: Iterable[Instrument],
                     now_ns: int) -> dict[str, InstrumentSpec]:
    """What each instrument id is, for the margin engine: options at their mark IV."""
    specs: dict[str, InstrumentSpec] = {}
    for ticker in tickers:
        i = ticker.instrument
        assert i.strike is not None
        right = RiskRight.CALL if i.right is OptionRight.CALL else RiskRight.PUT
        specs[str(i.id)] = OptionSpec(i.base, right, i.strike, days_to_expiry(i, now_ns),
                                      ticker.mark_iv)
    for hedge in hedges:
        specs[str(hedge.id)] = (PerpetualSpec(str(hedge.id), hedge.base)
                                if hedge.kind is InstrumentKind.PERPETUAL else SpotSpec(hedge.base))
    return specs


def list_instruments(gate: RiskGate, venues: Sequence[Venue], symbols: Sequence[SymbolMap]
                     ) -> None:
    """Register each venue market's filters under the id of the instrument it stands for
    (a symbol no map knows, a spot pair, is its own id)."""
    state = gate.pretrade.state
    for venue in venues:
        for market in venue.markets():
            found = (mapping.instrument(market.symbol) for mapping in symbols)
            instrument = next((i for i in found if i is not None), None)
            if instrument is not None and instrument.kind is InstrumentKind.PERPETUAL:
                # an inverse perpetual's lot is USD; the gate sees its amount in coins
                state.set_filter(venue.name, str(instrument.id), pretrade.VenueFilter(
                    market.tick_size, Decimal(0), Decimal(0), Decimal(0)))
                continue
            state.set_filter(venue.name, market.symbol if instrument is None
                             else str(instrument.id), pretrade.VenueFilter(
                                 market.tick_size, market.lot_size, market.min_qty,
                                 market.min_notional))


def use_margin_engine(gate: RiskGate, portfolio: Portfolio, index_prices: Mapping[str, Decimal],
                      specs: Mapping[str, InstrumentSpec],
                      max_utilisation: float | None = None,
                      config: MarginEngineConfig | None = None) -> MarginEngineView:
    """Make the margin engine the gate's margin view for its account, with an optional
    maximum maintenance-margin utilisation (the group is denied above it)."""
    engine = MarginEngine(portfolio, MarketData(dict(index_prices)), config)
    view = MarginEngineView({gate.account: engine}, InstrumentBook(specs))
    gate.pretrade.margin_view = view
    for underlying, price in index_prices.items():
        gate.pretrade.state.set_underlying_price(underlying, price)
    if max_utilisation is not None:
        gate.pretrade.limits.set(pretrade.Scope(account=gate.account),
                                 max_margin_utilisation=max_utilisation)
    return view
