"""The one Venue protocol: what the router and the OMS may ask of any venue, CEX or AMM.

`connectors` may not import `engine` (imports point engine -> connectors -> chain), so the
boundary types live here and the engine maps its domain model onto them. They are deliberately
small: a symbol is the venue-neutral "BASE/QUOTE" string, amounts are `Decimal` in human units
of the asset, and every answer says when the state behind it was observed.

A quote answers "what would I get if I traded this now": for a buy, the base received and the
quote spent; for a sell, the base given and the quote received. `fee` is the venue's trading
fee in the quote asset and is already inside `quote_qty`; `fixed_cost` (gas for a swap leg,
zero on a CEX) is not, because it does not scale with size and the router treats it apart.

    Venue (Protocol)
        name, markets()
        quote(symbol, side, qty, basis) -> VenueQuote
        depth(symbol, side, max_base, points) -> DepthCurve
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from connectors.errors import InvalidQuoteRequest


class Side(StrEnum):
    """The taker's side: buy receives base and pays quote; sell gives base, receives quote."""

    BUY = "buy"
    SELL = "sell"


class QtyBasis(StrEnum):
    """Which asset a requested quantity is counted in."""

    BASE = "base"
    QUOTE = "quote"


class VenueKind(StrEnum):
    CEX = "cex"
    AMM = "amm"


def split_symbol(symbol: str) -> tuple[str, str]:
    """Split "BASE/QUOTE" into its two assets, refusing anything else by name."""
    base, sep, quote = symbol.partition("/")
    if not sep or not base or not quote or "/" in quote:
        raise InvalidQuoteRequest("symbol", f"{symbol!r} is not of the form BASE/QUOTE")
    return base, quote


def require_positive(field: str, value: Decimal) -> Decimal:
    """Refuse a non-Decimal, non-finite, zero or negative quantity, naming the field."""
    if not isinstance(value, Decimal):
        raise InvalidQuoteRequest(field, f"must be a Decimal, got {type(value).__name__}")
    if not value.is_finite() or value <= 0:
        raise InvalidQuoteRequest(field, f"must be a positive finite amount, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class StateStamp:
    """When the state behind an answer was observed: a block for chains, a venue time for books.

    `observed_ns` is our wall clock (UTC ns) when the state was read; `age_ns()` is how stale
    it is now. `block` is set for on-chain state, `sequence` for an order book's update id.
    """

    observed_ns: int
    block: int | None = None
    sequence: int | None = None

    def age_ns(self, now_ns: int | None = None) -> int:
        return max(0, (time.time_ns() if now_ns is None else now_ns) - self.observed_ns)


@dataclass(frozen=True, slots=True)
class Market:
    """What a venue trades under one symbol, with the filters an order must pass there."""

    venue: str
    kind: VenueKind
    symbol: str
    base: str
    quote: str
    lot_size: Decimal  # quantity step, in base
    tick_size: Decimal  # price step, in quote per base (0 on an AMM: any price)
    min_qty: Decimal
    min_notional: Decimal  # in quote
    taker_fee: Decimal  # fraction of notional, e.g. 0.001
    quote_step: Decimal = Decimal("1e-8")  # smallest quote amount (for orders by quote amount)


@dataclass(frozen=True, slots=True)
class VenueQuote:
    """An executable answer for one size on one venue.

    `base_qty`/`quote_qty` are what actually trades (less than asked when `partial`); the
    quote amount includes the venue fee. `avg_price` = quote_qty / base_qty, fees included.
    `marginal_price` is the price of the next unit after this trade, fees included.
    """

    venue: str
    symbol: str
    side: Side
    base_qty: Decimal
    quote_qty: Decimal
    avg_price: Decimal
    marginal_price: Decimal
    fee: Decimal  # in quote, inside quote_qty
    fixed_cost: Decimal  # in quote, not inside quote_qty (gas for a swap leg)
    partial: bool
    stamp: StateStamp
    detail: str = ""  # venue-specific, readable: the pool and ticks crossed, levels consumed

    def to_json(self) -> dict[str, object]:
        return {
            "venue": self.venue, "symbol": self.symbol, "side": self.side.value,
            "base_qty": str(self.base_qty), "quote_qty": str(self.quote_qty),
            "avg_price": str(self.avg_price), "marginal_price": str(self.marginal_price),
            "fee": str(self.fee), "fixed_cost": str(self.fixed_cost), "partial": self.partial,
            "block": self.stamp.block, "sequence": self.stamp.sequence,
            "observed_ns": self.stamp.observed_ns, "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class DepthPoint:
    """One point of a depth curve: trading `base_qty` in total costs (or yields) `quote_qty`."""

    base_qty: Decimal
    quote_qty: Decimal  # cumulative, fees included
    avg_price: Decimal
    marginal_price: Decimal  # the price of the next unit at this point, fees included


@dataclass(frozen=True, slots=True)
class DepthCurve:
    """Cumulative size against average and marginal price, from one consistent state.

    Points are ordered by `base_qty`, strictly increasing; for a buy prices rise along the
    curve, for a sell they fall. The curve ends where the venue runs out of liquidity (or at
    the size asked for). `fixed_cost` is the per-use cost not included in any point.
    """

    venue: str
    symbol: str
    side: Side
    points: tuple[DepthPoint, ...]
    fixed_cost: Decimal
    stamp: StateStamp

    @property
    def max_base(self) -> Decimal:
        return self.points[-1].base_qty if self.points else Decimal(0)


@runtime_checkable
class Venue(Protocol):
    """What every venue, CEX or AMM, answers. Quotes never trade; they may read the network."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> VenueKind: ...

    def markets(self) -> tuple[Market, ...]: ...

    async def quote(
        self, symbol: str, side: Side, qty: Decimal, basis: QtyBasis = QtyBasis.BASE,
    ) -> VenueQuote: ...

    async def depth(
        self, symbol: str, side: Side, max_base: Decimal, points: int = 32,
    ) -> DepthCurve: ...


def market_for(venue: Venue, symbol: str) -> Market:
    """The venue's market for `symbol`, or a typed refusal naming the symbol and the venue."""
    for market in venue.markets():
        if market.symbol == symbol:
            return market
    raise InvalidQuoteRequest("symbol", f"{symbol} is not traded on {venue.name}")
