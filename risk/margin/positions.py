"""What the margin engine values: plain, frozen position types and the market they are marked
against. Quantities, prices and money are `Decimal` here, at the API edge; the analytics turn
them into float64 arrays once (`risk.margin.book`).

The engine maps its venues onto these types: a CEX spot balance, a perpetual, an option, an
on-chain wallet token balance. Signs: a quantity is positive when long (or held), negative when
short. Every underlying is priced in USD.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from risk.errors import InvalidRiskInput, MissingMarketData


class OptionRight(Enum):
    """Call or put."""

    CALL = "call"
    PUT = "put"


class Side(Enum):
    """Direction of a proposed trade."""

    BUY = "buy"
    SELL = "sell"


def _positive(name: str, value: Decimal) -> None:
    if not value.is_finite() or value <= 0:
        raise InvalidRiskInput(name, f"must be a positive finite number, got {value}")


def _finite(name: str, value: Decimal) -> None:
    if not value.is_finite():
        raise InvalidRiskInput(name, f"must be a finite number, got {value}")


@dataclass(frozen=True, slots=True)
class SpotBalance:
    """An asset held on a centralized exchange (cash or crypto)."""

    venue: str
    asset: str
    quantity: Decimal

    def __post_init__(self) -> None:
        _finite("quantity", self.quantity)


@dataclass(frozen=True, slots=True)
class WalletBalance:
    """A token balance in an on-chain wallet, already scaled to whole tokens."""

    chain_id: int
    address: str
    token: str
    quantity: Decimal

    def __post_init__(self) -> None:
        _finite("quantity", self.quantity)


@dataclass(frozen=True, slots=True)
class PerpetualPosition:
    """A linear (USD-margined) perpetual: signed quantity of the underlying, entry price.

    `isolated_margin` is the margin posted to an isolated position (None when cross)."""

    venue: str
    symbol: str
    underlying: str
    quantity: Decimal
    entry_price: Decimal
    isolated_margin: Decimal | None = None

    def __post_init__(self) -> None:
        _finite("quantity", self.quantity)
        _positive("entry_price", self.entry_price)
        if self.isolated_margin is not None and self.isolated_margin < 0:
            raise InvalidRiskInput("isolated_margin", "must not be negative")


@dataclass(frozen=True, slots=True)
class OptionPosition:
    """A European option on `underlying`, quantity in units of the underlying.

    `vol` is the mark implied volatility as a fraction; `forward` the forward of its expiry
    (the underlying's index when None)."""

    venue: str
    instrument: str
    underlying: str
    right: OptionRight
    strike: Decimal
    expiry_days: Decimal
    quantity: Decimal
    vol: Decimal
    forward: Decimal | None = None

    def __post_init__(self) -> None:
        _positive("strike", self.strike)
        _positive("expiry_days", self.expiry_days)
        _positive("vol", self.vol)
        _finite("quantity", self.quantity)
        if self.forward is not None:
            _positive("forward", self.forward)


Position = SpotBalance | WalletBalance | PerpetualPosition | OptionPosition


@dataclass(frozen=True, slots=True)
class MarketData:
    """Index prices (USD) per underlying, which held assets track which underlying, and which
    assets are USD cash. An asset in neither map is refused (fail closed)."""

    index_prices: Mapping[str, Decimal]
    asset_underlying: Mapping[str, str] = field(default_factory=dict)
    cash_assets: frozenset[str] = frozenset({"USD", "USDC", "USDT", "DAI"})

    def __post_init__(self) -> None:
        for name, price in self.index_prices.items():
            _positive(f"index_prices.{name}", price)

    def index(self, underlying: str) -> Decimal:
        """The index price of `underlying`; `MissingMarketData` when there is none."""
        price = self.index_prices.get(underlying)
        if price is None:
            raise MissingMarketData("index price", underlying)
        return price

    def underlying_of(self, asset: str) -> str | None:
        """The underlying an asset tracks, None for USD cash; refuses unknown assets."""
        if asset in self.cash_assets:
            return None
        underlying = self.asset_underlying.get(asset, asset)
        if underlying not in self.index_prices:
            raise MissingMarketData("index price", asset)
        return underlying


@dataclass(frozen=True, slots=True)
class Portfolio:
    """Every balance sheet of the desk in one place."""

    spot: tuple[SpotBalance, ...] = ()
    wallets: tuple[WalletBalance, ...] = ()
    perpetuals: tuple[PerpetualPosition, ...] = ()
    options: tuple[OptionPosition, ...] = ()

    def with_position(self, position: Position) -> Portfolio:
        """A copy of this portfolio with one more position."""
        if isinstance(position, SpotBalance):
            return Portfolio((*self.spot, position), self.wallets, self.perpetuals, self.options)
        if isinstance(position, WalletBalance):
            return Portfolio(self.spot, (*self.wallets, position), self.perpetuals, self.options)
        if isinstance(position, PerpetualPosition):
            return Portfolio(self.spot, self.wallets, (*self.perpetuals, position), self.options)
        return Portfolio(self.spot, self.wallets, self.perpetuals, (*self.options, position))

    def with_positions(self, *positions: Position) -> Portfolio:
        """A copy of this portfolio with these positions added."""
        portfolio = self
        for position in positions:
            portfolio = portfolio.with_position(position)
        return portfolio

    def underlyings(self, market: MarketData) -> tuple[str, ...]:
        """Every underlying the portfolio is exposed to, sorted."""
        names: set[str] = {p.underlying for p in self.perpetuals}
        names |= {o.underlying for o in self.options}
        for asset in (*(s.asset for s in self.spot), *(w.token for w in self.wallets)):
            underlying = market.underlying_of(asset)
            if underlying is not None:
                names.add(underlying)
        return tuple(sorted(names))
