"""In-memory venues for router tests: an order book and a constant-product pool, exact in Decimal.

These stand in for real venues only where a test needs thousands of random, fully controlled
instances (the optimality property test); the real AMM venues and the simex CEX venue are
routed in the integration tests. Both implement `connectors.venue.Venue` completely and pass
the shared conformance suite.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, localcontext

from connectors.errors import InvalidQuoteRequest
from connectors.venue import (
    DepthCurve,
    DepthPoint,
    Market,
    QtyBasis,
    Side,
    StateStamp,
    VenueKind,
    VenueQuote,
    require_positive,
)

ONE = Decimal(1)


def _check(symbol: str, market: Market, qty: Decimal) -> None:
    if symbol != market.symbol:
        raise InvalidQuoteRequest("symbol", f"{symbol} is not traded on {market.venue}")
    require_positive("qty", qty)


@dataclass
class BookVenue:
    """A CEX-like book: asks and bids as (price, size), best first; fee on notional."""

    venue_name: str
    asks: list[tuple[Decimal, Decimal]]
    bids: list[tuple[Decimal, Decimal]]
    fee: Decimal = Decimal("0.001")
    lot: Decimal = Decimal("0.001")
    min_notional: Decimal = Decimal(0)
    symbol: str = "WETH/USDC"
    observed_ns: int = field(default_factory=time.time_ns)

    @property
    def name(self) -> str:
        return self.venue_name

    @property
    def kind(self) -> VenueKind:
        return VenueKind.CEX

    def markets(self) -> tuple[Market, ...]:
        base, quote = self.symbol.split("/")
        return (Market(self.venue_name, VenueKind.CEX, self.symbol, base, quote, self.lot,
                       Decimal("0.01"), self.lot, self.min_notional, self.fee,
                       Decimal("0.000001")),)

    def _levels(self, side: Side) -> list[tuple[Decimal, Decimal]]:
        sign = 1 if side is Side.BUY else -1
        return [(p * (1 + sign * self.fee), s) for p, s in (self.asks if side is Side.BUY
                                                            else self.bids)]

    async def quote(self, symbol: str, side: Side, qty: Decimal,
                    basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        _check(symbol, self.markets()[0], qty)
        base = quote = Decimal(0)
        marginal = Decimal(0)
        left = qty
        for price, size in self._levels(side):
            marginal = price
            take = min(size, left if basis is QtyBasis.BASE else left / price)
            base += take
            quote += take * price
            left -= take if basis is QtyBasis.BASE else take * price
            if left <= 0:
                break
        if base == 0:
            raise InvalidQuoteRequest("qty", "the book is empty")
        gross = quote / (1 + (1 if side is Side.BUY else -1) * self.fee)
        return VenueQuote(self.venue_name, symbol, side, base, quote, quote / base, marginal,
                          abs(quote - gross), Decimal(0), left > 0,
                          StateStamp(self.observed_ns, sequence=1))

    async def depth(self, symbol: str, side: Side, max_base: Decimal,
                    points: int = 32) -> DepthCurve:
        _check(symbol, self.markets()[0], max_base)
        curve: list[DepthPoint] = []
        base = quote = Decimal(0)
        for price, size in self._levels(side):
            take = min(size, max_base - base)
            if take <= 0:
                break
            base += take
            quote += take * price
            curve.append(DepthPoint(base, quote, quote / base, price))
        return DepthCurve(self.venue_name, symbol, side, tuple(curve), Decimal(0),
                          StateStamp(self.observed_ns, sequence=1))


@dataclass
class PoolVenue:
    """A constant-product pool (x·y = k, fee on input, as Uniswap V2) with a gas fixed cost."""

    venue_name: str
    reserve_base: Decimal
    reserve_quote: Decimal
    gas: Decimal
    fee: Decimal = Decimal("0.003")
    symbol: str = "WETH/USDC"
    observed_ns: int = field(default_factory=time.time_ns)

    @property
    def name(self) -> str:
        return self.venue_name

    @property
    def kind(self) -> VenueKind:
        return VenueKind.AMM

    def markets(self) -> tuple[Market, ...]:
        base, quote = self.symbol.split("/")
        return (Market(self.venue_name, VenueKind.AMM, self.symbol, base, quote,
                       Decimal("1e-18"), Decimal(0), Decimal("1e-18"), Decimal(0), self.fee,
                       Decimal("1e-6")),)

    def _amounts(self, side: Side, qty: Decimal, basis: QtyBasis) -> tuple[Decimal, Decimal, bool]:
        """(base, quote, partial) for the request, exact to 40 digits."""
        x, y, g = self.reserve_base, self.reserve_quote, 1 - self.fee
        partial = False
        if side is Side.BUY and basis is QtyBasis.BASE:
            if qty >= x:
                qty, partial = x * Decimal("0.999999"), True
            return qty, y * qty / ((x - qty) * g), partial
        if side is Side.BUY:
            return x * qty * g / (y + qty * g), qty, False
        if basis is QtyBasis.BASE:
            return qty, y * qty * g / (x + qty * g), False
        if qty >= y:
            qty, partial = y * Decimal("0.999999"), True
        return x * qty / ((y - qty) * g), qty, partial

    def _marginal(self, side: Side, base: Decimal) -> Decimal:
        x, y, g = self.reserve_base, self.reserve_quote, 1 - self.fee
        if side is Side.BUY:
            return x * y / ((x - base) ** 2 * g)
        return g * x * y / ((x + g * base) ** 2)

    async def quote(self, symbol: str, side: Side, qty: Decimal,
                    basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        _check(symbol, self.markets()[0], qty)
        with localcontext() as ctx:
            ctx.prec = 40
            base, quote, partial = self._amounts(side, qty, basis)
            base = base.quantize(Decimal("1e-18"), rounding=ROUND_DOWN)
            return VenueQuote(self.venue_name, symbol, side, base, quote, quote / base,
                              self._marginal(side, base), quote * self.fee, self.gas, partial,
                              StateStamp(self.observed_ns, block=1))

    async def depth(self, symbol: str, side: Side, max_base: Decimal,
                    points: int = 32) -> DepthCurve:
        _check(symbol, self.markets()[0], max_base)
        curve = []
        for i in range(1, points + 1):
            size = (max_base * i / points).quantize(Decimal("1e-18"), rounding=ROUND_DOWN)
            q = await self.quote(symbol, side, size)
            curve.append(DepthPoint(q.base_qty, q.quote_qty, q.avg_price, q.marginal_price))
            if q.partial:
                break
        return DepthCurve(self.venue_name, symbol, side, tuple(curve), self.gas,
                          StateStamp(self.observed_ns, block=1))
