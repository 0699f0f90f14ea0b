"""What the strategy preview reads from an options venue: its listing and one ticker per leg.

    OptionBoard (Protocol)
        listing(underlying)      every listed option of the underlying
        ticker(instrument)       best bid/ask, mark (premium in coin), mark IV, forward, index
        index_price(underlying)  USD

`StaticBoard` is a board in memory (tests, and the CLI's paper venue from a TOML file); the
Deribit board reads the venue's public API through ccxt. Prices of a coin-settled option are in
the underlying coin per contract (one contract = one coin); the IV is a fraction (0.55).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from engine.model import Instrument
from engine.strategies._errors import InvalidStrategy, NotListed
from engine.strategies._names import deribit_name


@dataclass(frozen=True, slots=True)
class OptionTicker:
    """One option's market: prices in coin per contract, `mark_iv` a fraction, USD forward."""

    instrument: Instrument
    bid: Decimal | None  # best bid, None when the book has no bids
    ask: Decimal | None
    mark: Decimal
    mark_iv: Decimal
    forward: Decimal  # the underlying price of the option's expiry (Deribit `underlying_price`)
    index: Decimal

    def __post_init__(self) -> None:
        for field in ("mark", "mark_iv", "forward", "index"):
            value = getattr(self, field)
            if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
                raise InvalidStrategy(field, f"must be a positive decimal, got {value}")


@runtime_checkable
class OptionBoard(Protocol):
    """An options venue's market data, as the preview reads it."""

    async def listing(self, underlying: str) -> tuple[Instrument, ...]: ...

    async def ticker(self, instrument: Instrument) -> OptionTicker: ...

    async def index_price(self, underlying: str) -> Decimal: ...


@dataclass
class StaticBoard:
    """A board held in memory: tickers by Deribit name, index prices by underlying."""

    tickers: Mapping[str, OptionTicker]
    index_prices: Mapping[str, Decimal]

    @classmethod
    def of(cls, tickers: Sequence[OptionTicker],
           index_prices: Mapping[str, Decimal]) -> StaticBoard:
        return cls({deribit_name(t.instrument): t for t in tickers}, dict(index_prices))

    async def listing(self, underlying: str) -> tuple[Instrument, ...]:
        return tuple(t.instrument for t in self.tickers.values()
                     if t.instrument.base == underlying)

    async def ticker(self, instrument: Instrument) -> OptionTicker:
        name = deribit_name(instrument)
        found = self.tickers.get(name)
        if found is None:
            raise NotListed("instrument", f"{name} is not listed")
        return found

    async def index_price(self, underlying: str) -> Decimal:
        price = self.index_prices.get(underlying)
        if price is None:
            raise InvalidStrategy("underlying", f"no index price for {underlying}")
        return price
