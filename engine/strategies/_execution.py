"""Sending a package: one leg group through the engine, gated as one post-trade state.

    params = leg_group_params(preview, symbols)   # LegGroupParams, limits from the preview
    report = await send(engine, "condor-1", params)   # LegGroupReport; residual {} at the end

Every leg goes out in one tranche (all or none): the OMS checks the whole group at the gate
before any leg is sent, and when a leg cannot fill (no liquidity at its limit, a venue
rejection, a timeout) the leg group unwinds what did fill, or hedges it, and reports the
residual exposure (zero when it ends).

The OMS and the router name what they trade by a "BASE/QUOTE" symbol. A `SymbolMap` says which
symbol a venue lists each instrument under, and back: `OptionSymbolGate` uses it so the risk
gate sees a leg as the option (or perpetual) it is, with its underlying, strike and expiry,
rather than as a spot pair.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Protocol

from engine.api import Engine
from engine.legs import LegGroupParams, LegGroupReport, LegPolicy, LegSpec, OnFailure
from engine.model import Instrument, InstrumentKind, Order, OrderEvent, Side
from engine.oms import Gate, GateDecision, GateLeg
from engine.strategies._builders import LegRole
from engine.strategies._errors import InvalidStrategy
from engine.strategies._names import deribit_name, from_deribit_name
from engine.strategies._pricing import PackagePreview

_BPS = Decimal(10_000)
_TICK, _TICK_ABOVE, _TICK_STEP = Decimal("0.0001"), Decimal("0.0005"), Decimal("0.005")
SECOND_NS = 1_000_000_000


class SymbolMap(Protocol):
    """Instrument <-> the BASE/QUOTE symbol a venue lists it under."""

    def symbol(self, instrument: Instrument) -> str: ...

    def instrument(self, symbol: str) -> Instrument | None: ...


class DeribitSymbols:
    """Deribit's instruments as OMS symbols: `BTC_27DEC26_90000_C/BTC` for an option (priced
    in the coin), `BTC_PERPETUAL/USD` for the perpetual; spot pairs are themselves."""

    def symbol(self, instrument: Instrument) -> str:
        if instrument.kind is InstrumentKind.SPOT:
            return str(instrument.id)
        name = deribit_name(instrument).replace("-", "_")
        quote = instrument.base if instrument.kind is InstrumentKind.OPTION else instrument.quote
        return f"{name}/{quote}"

    def instrument(self, symbol: str) -> Instrument | None:
        name, _, _ = symbol.partition("/")
        if name.endswith("_PERPETUAL"):
            return Instrument(base=name.removesuffix("_PERPETUAL"), quote="USD",
                              kind=InstrumentKind.PERPETUAL)
        if name.count("_") != 3:
            return None
        try:
            return from_deribit_name(name.replace("_", "-"))
        except InvalidStrategy:
            return None


def option_tick(price: Decimal) -> Decimal:
    """Deribit's option tick at `price` (coin): 0.0001 below 0.005, 0.0005 from there up
    (its instruments' `tick_size_steps`)."""
    return _TICK_ABOVE if price >= _TICK_STEP else _TICK


def limit_price(price: Decimal, side: Side, slippage_bps: int) -> Decimal:
    """The worst price a leg may trade at: `slippage_bps` beyond the previewed touch, on
    Deribit's option tick grid, rounded back towards the touch (never past the tolerance) but
    never inside the touch itself (the touch was quoted on the venue's own grid)."""
    if slippage_bps < 0:
        raise InvalidStrategy("slippage_bps", f"must not be negative, got {slippage_bps}")
    factor = _BPS + slippage_bps if side is Side.BUY else _BPS - slippage_bps
    worst = price * factor / _BPS
    tick = option_tick(worst)
    if side is Side.BUY:
        return max((worst / tick).to_integral_value(ROUND_DOWN) * tick, price)
    return min((worst / tick).to_integral_value(ROUND_UP) * tick, price)


def leg_group_params(preview: PackagePreview, symbols: SymbolMap, slippage_bps: int = 0,
                     on_failure: OnFailure = OnFailure.UNWIND,
                     leg_timeout_ns: int = 30 * SECOND_NS,
                     hedge_symbols: SymbolMap | None = None,
                     hedge_limit: Decimal | None = None) -> LegGroupParams:
    """The package as one all-or-none leg group: option legs limited at the previewed touch
    (plus `slippage_bps`); the hedge leg limited at `hedge_limit` (on the hedge venue's
    grid), or without one priced from its venue's book when it is sent."""
    if hedge_limit is not None and (not hedge_limit.is_finite() or hedge_limit <= 0):
        raise InvalidStrategy("hedge_limit", f"must be a positive decimal, got {hedge_limit}")
    strategy = preview.strategy
    legs = []
    for quote in preview.legs:
        leg = quote.leg
        hedge = leg.role is LegRole.HEDGE
        mapping = hedge_symbols if hedge and hedge_symbols is not None else symbols
        limit = hedge_limit if hedge else limit_price(quote.price, leg.side, slippage_bps)
        legs.append(LegSpec(venue=preview.venue_of(leg), symbol=mapping.symbol(leg.instrument),
                            side=leg.side, ratio=leg.ratio, limit_price=limit))
    return LegGroupParams(legs=tuple(legs), qty=strategy.qty, policy=LegPolicy.ALL_OR_NONE,
                          on_failure=on_failure, leg_timeout_ns=leg_timeout_ns)


async def send(engine: Engine, group_id: str, params: LegGroupParams) -> LegGroupReport:
    """Run the package as leg group `group_id` on the engine; its report when it ends."""
    handle = engine.run_group(group_id, params.model_dump(mode="json"))
    result = await handle.result()
    assert isinstance(result, LegGroupReport)
    return result


class OptionSymbolGate:
    """A Gate in front of another: each leg's order is shown to it as the instrument its
    symbol stands for (an option with underlying, strike and expiry; a perpetual), so the
    pre-trade checks and the margin engine value it as what it is. Symbols the maps do not
    know pass unchanged (spot pairs)."""

    def __init__(self, inner: Gate, symbols: Sequence[SymbolMap],
                 inverse_perpetuals: bool = True) -> None:
        self.inner = inner
        self.symbols = tuple(symbols)
        self.inverse_perpetuals = inverse_perpetuals

    def resolve(self, order: Order) -> Order:
        symbol = str(order.instrument.id)
        for mapping in self.symbols:
            found = mapping.instrument(symbol)
            if found is not None:
                return order.model_copy(update={"instrument": found})
        return order

    def check(self, legs: Sequence[GateLeg]) -> GateDecision:
        return self.inner.check([self._leg(leg) for leg in legs])

    def _leg(self, leg: GateLeg) -> GateLeg:
        order = self.resolve(leg.order)
        if order.instrument.kind is InstrumentKind.PERPETUAL and self.inverse_perpetuals:
            # Deribit's perpetual trades USD amounts; the margin engine counts coins
            order = order.model_copy(update={"qty": order.qty / leg.expected_price})
        return GateLeg(order, leg.expected_price)

    def on_event(self, event: OrderEvent, order: Order) -> None:
        """Forward the OMS's events to the inner gate (if it listens), orders resolved."""
        listener: Callable[[OrderEvent, Order], None] | None = getattr(
            self.inner, "on_event", None)
        if listener is not None:
            listener(event, self.resolve(order))

