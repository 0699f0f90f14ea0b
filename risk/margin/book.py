"""A portfolio compiled once into float64 arrays: what every analytic (scenarios, standard
margin, VaR, liquidation search) revalues. Decimal ends here; floats start here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np
from numpy.typing import NDArray

from risk.margin.black76 import Float, black76, black76_price
from risk.margin.positions import (
    MarketData,
    OptionPosition,
    OptionRight,
    PerpetualPosition,
    Portfolio,
    SpotBalance,
    WalletBalance,
)

_CENT = Decimal("0.01")


def to_usd(value: float, rounding: str) -> Decimal:
    """A float analytic result as USD money at the API edge, rounded to the cent in the stated
    direction (margins up, equity down, so the desk is never shown safer than it is)."""
    return Decimal(repr(float(value))).quantize(_CENT, rounding=rounding)


class MarginTotals:
    """What every margin result says about money, from its `equity`, `initial_margin` and
    `maintenance_margin` (floats, USD): the same amounts as Decimal USD at the API edge, and
    the utilisation. Shared by scenario (portfolio) and standard margin."""

    __slots__ = ()
    equity: float

    @property
    def initial_margin(self) -> float:
        raise NotImplementedError

    @property
    def maintenance_margin(self) -> float:
        raise NotImplementedError

    @property
    def maintenance_margin_usd(self) -> Decimal:
        """Maintenance margin as money: USD, rounded up to the cent."""
        return to_usd(self.maintenance_margin, ROUND_CEILING)

    @property
    def initial_margin_usd(self) -> Decimal:
        """Initial margin as money: USD, rounded up to the cent."""
        return to_usd(self.initial_margin, ROUND_CEILING)

    @property
    def equity_usd(self) -> Decimal:
        """Equity as money: USD, rounded down to the cent (never overstated)."""
        return to_usd(self.equity, ROUND_FLOOR)

    @property
    def utilisation(self) -> float:
        """Maintenance margin over equity; infinite when equity is not positive."""
        if self.equity <= 0:
            return float("inf") if self.maintenance_margin > 0 or self.equity < 0 else 0.0
        return self.maintenance_margin / self.equity


@dataclass(frozen=True, slots=True)
class OptionArrays:
    """Options as columns; `underlying` indexes `Book.underlyings`."""

    underlying: NDArray[np.int64]
    forward: Float
    strike: Float
    days: Float
    vol: Float
    is_call: NDArray[np.bool_]
    quantity: Float

    @property
    def size(self) -> int:
        return int(self.forward.shape[0])


def compile_options(options: tuple[OptionPosition, ...], market: MarketData,
                    underlyings: tuple[str, ...]) -> OptionArrays:
    """Options as float arrays; the forward defaults to the underlying's index."""
    slot = {name: i for i, name in enumerate(underlyings)}
    return OptionArrays(
        underlying=np.array([slot[o.underlying] for o in options], dtype=np.int64),
        forward=np.array([float(o.forward if o.forward is not None
                                else market.index(o.underlying)) for o in options], dtype=float),
        strike=np.array([float(o.strike) for o in options], dtype=float),
        days=np.array([float(o.expiry_days) for o in options], dtype=float),
        vol=np.array([float(o.vol) for o in options], dtype=float),
        is_call=np.array([o.right is OptionRight.CALL for o in options], dtype=bool),
        quantity=np.array([float(o.quantity) for o in options], dtype=float),
    )


@dataclass(frozen=True, slots=True)
class Book:
    """The whole desk as arrays, per underlying where it is linear."""

    underlyings: tuple[str, ...]
    index: Float  # USD per underlying
    cash_usd: float
    spot_quantity: Float  # spot + wallet holdings per underlying
    perp_quantity: Float  # net perpetual quantity per underlying
    perp_cost: Float  # sum of quantity x entry price per underlying
    options: OptionArrays

    def slot(self, underlying: str) -> int:
        return self.underlyings.index(underlying)

    def option_values(self, moves: Float | None = None) -> Float:
        """Mark value (USD, signed by quantity) of each option, after proportional
        `moves` of each underlying (per underlying, fractions)."""
        o = self.options
        if o.size == 0:
            return np.zeros(0)
        forward = o.forward if moves is None else o.forward * (1.0 + moves[o.underlying])
        return o.quantity * black76_price(forward, o.strike, o.days, o.vol, o.is_call,
                                          check=False)

    def equity(self, moves: Float | None = None) -> float:
        """Desk equity in USD: cash, holdings, perpetual P&L and option marks."""
        price = self.index if moves is None else self.index * (1.0 + moves)
        linear = self.spot_quantity @ price + self.perp_quantity @ price - self.perp_cost.sum()
        return float(self.cash_usd + linear + self.option_values(moves).sum())


def compile_book(portfolio: Portfolio, market: MarketData) -> Book:
    """Compile a portfolio against its market; unknown assets and underlyings are refused."""
    underlyings = portfolio.underlyings(market)
    slot = {name: i for i, name in enumerate(underlyings)}
    index = np.array([float(market.index(u)) for u in underlyings], dtype=float)
    cash, spot = 0.0, np.zeros(len(underlyings))
    holdings: list[SpotBalance | WalletBalance] = [*portfolio.spot, *portfolio.wallets]
    for holding in holdings:
        asset = holding.asset if isinstance(holding, SpotBalance) else holding.token
        underlying = market.underlying_of(asset)
        if underlying is None:
            cash += float(holding.quantity)
        else:
            spot[slot[underlying]] += float(holding.quantity)
    perp_q, perp_cost = np.zeros(len(underlyings)), np.zeros(len(underlyings))
    perp: PerpetualPosition
    for perp in portfolio.perpetuals:
        market.index(perp.underlying)
        perp_q[slot[perp.underlying]] += float(perp.quantity)
        perp_cost[slot[perp.underlying]] += float(perp.quantity * perp.entry_price)
    return Book(underlyings, index, cash, spot, perp_q, perp_cost,
                compile_options(portfolio.options, market, underlyings))


@dataclass(frozen=True, slots=True)
class GreeksTotal:
    """Position Greeks of one underlying, in USD except delta and gamma (underlying units).

    Option delta is Deribit's: on the option's own forward. Spot, wallet and perpetual
    holdings add their quantity; scenarios move every forward in proportion to the index."""

    underlying: str
    index: float
    delta: float
    gamma: float
    vega: float  # USD per vol point
    theta: float  # USD per day
    rho: float  # USD per 1%

    @property
    def delta_usd(self) -> float:
        return self.delta * self.index


def greeks_totals(book: Book) -> tuple[GreeksTotal, ...]:
    """Delta (spot, perpetuals and options), gamma, vega, theta and rho per underlying."""
    n = len(book.underlyings)
    sums = {name: np.zeros(n) for name in ("delta", "gamma", "vega", "theta", "rho")}
    o = book.options
    if o.size:
        g = black76(o.forward, o.strike, o.days, o.vol, o.is_call)
        for name in sums:
            sums[name] = np.bincount(o.underlying, weights=o.quantity * getattr(g, name),
                                     minlength=n).astype(np.float64)
    delta = sums["delta"] + book.spot_quantity + book.perp_quantity
    return tuple(GreeksTotal(u, float(book.index[i]), float(delta[i]), float(sums["gamma"][i]),
                             float(sums["vega"][i]), float(sums["theta"][i]),
                             float(sums["rho"][i])) for i, u in enumerate(book.underlyings))
