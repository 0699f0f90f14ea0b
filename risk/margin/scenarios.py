"""Deribit-style scenario (portfolio) margin with additive per-instrument scenario vectors.

Source: Deribit Knowledge Base, "Portfolio Margin" (segregated model): the portfolio is revalued
under `price_moves` evenly spaced moves over +/- the underlying's range (zero included), each
under vol up / same / down, plus an extended table of large moves under vol up only, counted at
a fraction of their P&L and relieved by a dampener; the worst scenario sets the margin, and
DESIGN.md fixes maintenance = 0.8 x (worst loss + delta shock + roll shock + contingency).

Every position owns a scenario vector: its raw P&L (USD) in each scenario of its underlying's
grid. P&L is linear in quantity, so vectors add up; the book keeps their total per underlying
(plus the net delta, delta per expiry and net option quantity per strike the add-ons need), and
a new leg is checked by pricing that leg alone and adding it to the cached totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from risk.margin.black76 import (
    DAYS_PER_YEAR,
    Float,
    black76,
    black76_price,
    price_from_log_moneyness,
)
from risk.margin.book import OptionArrays, compile_book, compile_options
from risk.margin.config import PortfolioMarginConfig
from risk.margin.positions import (
    MarketData,
    OptionPosition,
    PerpetualPosition,
    Portfolio,
    Position,
    SpotBalance,
)

StrikeKey = tuple[float, float]  # (expiry days, strike)


@dataclass(frozen=True, slots=True)
class ScenarioGrid:
    """The scenarios of one price range: `moves` (fractions) and `vol_state` (+1 up, 0 same,
    -1 down) per scenario; `weight` is 1 on the main grid, range/|move| on the extended one."""

    moves: Float
    vol_state: Float
    weight: Float
    extended: NDArray[np.bool_]

    @property
    def size(self) -> int:
        return int(self.moves.shape[0])

    def label(self, i: int) -> str:
        vol = {1.0: "vol up", 0.0: "vol same", -1.0: "vol down"}[float(self.vol_state[i])]
        kind = "extended " if self.extended[i] else ""
        return f"{kind}{self.moves[i]:+.2%} {vol}"


def scenario_grid(price_range: float, config: PortfolioMarginConfig) -> ScenarioGrid:
    """Main grid (move-major, vol up/same/down within a move), then the extended moves."""
    main = np.linspace(-price_range, price_range, config.price_moves)
    moves = np.concatenate([np.repeat(main, 3), np.asarray(config.extended_moves)])
    vol_state = np.concatenate([np.tile([1.0, 0.0, -1.0], main.size),
                                np.ones(len(config.extended_moves))])
    extended = np.arange(moves.size) >= main.size * 3
    weight = np.where(extended, price_range / np.maximum(np.abs(moves), 1e-12), 1.0)
    return ScenarioGrid(moves, vol_state, weight, extended)


def vol_shock_scale(days: Float, config: PortfolioMarginConfig) -> Float:
    """(30/days)^power, power short under 30 days and long beyond; days floored at min_days."""
    d = np.maximum(days, config.min_days)
    power = np.where(d < config.vol_reference_days, config.short_vol_power,
                     config.long_vol_power)
    return np.asarray((config.vol_reference_days / d) ** power, dtype=np.float64)


def shocked_vols(vol: Float, days: Float, config: PortfolioMarginConfig) -> Float:
    """Vol up, same and down (rows) of each option: relative shocks, floored at 1% of vol."""
    scale = vol_shock_scale(days, config)
    up = vol * (1.0 + config.vol_up * scale)
    down = vol * np.maximum(1.0 - config.vol_down * scale, 0.01)
    return np.stack([up, vol, down])


_VOL_ROW = {1.0: 0, 0.0: 1, -1.0: 2}


def option_scenario_pnl(options: OptionArrays, grids: list[ScenarioGrid],
                        config: PortfolioMarginConfig) -> Float:
    """P&L (USD) of each option (columns) in each scenario of its underlying (rows).

    One pass per scenario row, each over all options: the row's temporaries stay in cache and
    ln(F(1+m)/K) is ln(F/K) + ln(1+m), so no logarithm is taken per scenario."""
    years = options.days / DAYS_PER_YEAR
    sqrt_t = np.sqrt(years)
    std_rows = shocked_vols(options.vol, options.days, config) * sqrt_t
    sign = options.is_call * 2.0 - 1.0
    log_fk = np.log(options.forward / options.strike)
    base = price_from_log_moneyness(log_fk, options.forward, options.strike, std_rows[1], sign)
    grid = grids[0]
    single = len(grids) == 1 or bool(np.all(options.underlying == options.underlying[0]))
    if single:
        grid = grids[int(options.underlying[0])] if options.size else grid
    pnl = np.empty((grid.size, options.size))
    moves_by_u = np.stack([g.moves for g in grids])  # every grid has the same shape
    for row in range(grid.size):
        if single:
            move: Float | float = float(grid.moves[row])
        else:
            move = moves_by_u[options.underlying, row]
        vol_row = std_rows[_VOL_ROW[float(grid.vol_state[row])]]
        price = price_from_log_moneyness(log_fk + np.log1p(move), options.forward * (1.0 + move),
                                         options.strike, vol_row, sign)
        price -= base
        np.multiply(price, options.quantity, out=pnl[row])
    return pnl


@dataclass(frozen=True, slots=True)
class UnderlyingMargin:
    """Scenario margin of one underlying, USD."""

    underlying: str
    worst_loss: float
    worst_scenario: str
    delta_shock: float
    roll_shock: float
    contingency: float
    initial_margin: float
    maintenance_margin: float


@dataclass(frozen=True, slots=True)
class PortfolioMargin:
    """Scenario margin of the desk: per underlying and in total, against equity."""

    equity: float
    per_underlying: tuple[UnderlyingMargin, ...]

    @property
    def initial_margin(self) -> float:
        return sum(u.initial_margin for u in self.per_underlying)

    @property
    def maintenance_margin(self) -> float:
        return sum(u.maintenance_margin for u in self.per_underlying)

    @property
    def utilisation(self) -> float:
        """Maintenance margin over equity; infinite when equity is not positive."""
        if self.equity <= 0:
            return float("inf") if self.maintenance_margin > 0 or self.equity < 0 else 0.0
        return self.maintenance_margin / self.equity


@dataclass(frozen=True, slots=True)
class LegScenario:
    """What one position adds to the cached totals of its underlying."""

    underlying: str | None  # None for USD cash: equity only, no scenario exposure
    pnl: Float
    delta: float
    expiry_days: float  # 0 for spot and perpetuals
    strike_key: StrikeKey | None
    option_quantity: float
    value_usd: float


@dataclass(frozen=True, slots=True)
class _Totals:
    pnl: Float
    delta: float
    delta_by_expiry: Mapping[float, float]
    short_by_strike: Mapping[StrikeKey, float]


@dataclass(frozen=True)
class ScenarioBook:
    """Cached scenario totals of a portfolio; adding a leg prices that leg only."""

    market: MarketData
    config: PortfolioMarginConfig
    equity: float
    totals: Mapping[str, _Totals] = field(default_factory=dict)

    @classmethod
    def build(cls, portfolio: Portfolio, market: MarketData,
              config: PortfolioMarginConfig | None = None) -> ScenarioBook:
        """Revalue every position once under the whole grid and cache the totals."""
        config = config or PortfolioMarginConfig()
        book = compile_book(portfolio, market)
        grids = [scenario_grid(config.range_of(u), config) for u in book.underlyings]
        totals: dict[str, _Totals] = {}
        opt_pnl = option_scenario_pnl(book.options, grids, config) if book.options.size else None
        greeks = _option_deltas(book.options)
        for i, name in enumerate(book.underlyings):
            mask = book.options.underlying == i
            linear_q = book.spot_quantity[i] + book.perp_quantity[i]
            pnl = linear_q * book.index[i] * grids[i].moves
            by_expiry: dict[float, float] = {0.0: float(linear_q)}
            by_strike: dict[StrikeKey, float] = {}
            if opt_pnl is not None and mask.any():
                pnl = pnl + opt_pnl[:, mask].sum(axis=1)
                days = book.options.days[mask].tolist()
                strikes = book.options.strike[mask].tolist()
                for d, k, opt_delta, q in zip(days, strikes, greeks[mask].tolist(),
                                              book.options.quantity[mask].tolist(), strict=True):
                    by_expiry[d] = by_expiry.get(d, 0.0) + opt_delta
                    by_strike[(d, k)] = by_strike.get((d, k), 0.0) + q
            delta = float(linear_q + greeks[mask].sum())
            totals[name] = _Totals(pnl, delta, MappingProxyType(by_expiry),
                                   MappingProxyType(by_strike))
        return cls(market, config, book.equity(), MappingProxyType(totals))

    def leg(self, position: Position) -> LegScenario:
        """Price one position under its underlying's grid."""
        underlying, pnl, delta, days, key, qty, value = _leg_parts(position, self.market,
                                                                   self.config)
        return LegScenario(underlying, pnl, delta, days, key, qty, value)

    def margin(self) -> PortfolioMargin:
        """Scenario margin of the cached book."""
        return PortfolioMargin(self.equity, tuple(self._underlying_margin(name, t)
                                                  for name, t in sorted(self.totals.items())))

    def margin_with(self, *positions: Position) -> PortfolioMargin:
        """Scenario margin if `positions` were added, pricing only them."""
        return self.with_legs(*(self.leg(p) for p in positions)).margin()

    def with_legs(self, *legs: LegScenario) -> ScenarioBook:
        """A new cached book with the legs' vectors added (this one is unchanged)."""
        totals = dict(self.totals)
        equity = self.equity
        for leg in legs:
            equity += leg.value_usd
            if leg.underlying is None:
                continue
            current = totals.get(leg.underlying)
            if current is None:
                current = _Totals(np.zeros_like(leg.pnl), 0.0, {}, {})
            by_expiry = dict(current.delta_by_expiry)
            by_expiry[leg.expiry_days] = by_expiry.get(leg.expiry_days, 0.0) + leg.delta
            by_strike = dict(current.short_by_strike)
            if leg.strike_key is not None:
                by_strike[leg.strike_key] = (by_strike.get(leg.strike_key, 0.0)
                                             + leg.option_quantity)
            totals[leg.underlying] = _Totals(current.pnl + leg.pnl, current.delta + leg.delta,
                                             by_expiry, by_strike)
        return ScenarioBook(self.market, self.config, equity, MappingProxyType(totals))

    def _underlying_margin(self, name: str, totals: _Totals) -> UnderlyingMargin:
        config = self.config
        grid = scenario_grid(config.range_of(name), config)
        index = float(self.market.index(name))
        weighted = totals.pnl * grid.weight
        damped = np.where(grid.extended & (weighted < 0),
                          np.minimum(weighted + config.extended_dampener_usd, 0.0), weighted)
        worst = int(np.argmin(damped))
        worst_loss = max(0.0, -float(damped[worst]))
        delta_shock = config.delta_shock_rate * abs(totals.delta) * index
        roll_shock = sum(config.roll_shock_rate * np.sqrt(days / DAYS_PER_YEAR) * abs(d) * index
                         for days, d in totals.delta_by_expiry.items())
        contingency = sum(config.option_contingency_rate * -q * index
                          for q in totals.short_by_strike.values() if q < 0)
        initial = worst_loss + delta_shock + float(roll_shock) + contingency
        return UnderlyingMargin(name, worst_loss, grid.label(worst), delta_shock,
                                float(roll_shock), contingency, initial,
                                config.maintenance_factor * initial)


def _option_deltas(options: OptionArrays) -> Float:
    if options.size == 0:
        return np.zeros(0)
    return options.quantity * black76(options.forward, options.strike, options.days,
                                      options.vol, options.is_call).delta


def _leg_parts(position: Position, market: MarketData, config: PortfolioMarginConfig
               ) -> tuple[str | None, Float, float, float, StrikeKey | None, float, float]:
    if isinstance(position, OptionPosition):
        name = position.underlying
        grid = scenario_grid(config.range_of(name), config)
        arrays = compile_options((position,), market, (name,))
        pnl = option_scenario_pnl(arrays, [grid], config)[:, 0]
        delta = float(_option_deltas(arrays)[0])
        value = float(arrays.quantity[0] * black76_price(
            arrays.forward, arrays.strike, arrays.days, arrays.vol, arrays.is_call)[0])
        key = (float(position.expiry_days), float(position.strike))
        return (name, pnl, delta, float(position.expiry_days), key,
                float(position.quantity), value)
    if isinstance(position, PerpetualPosition):
        name, q = position.underlying, float(position.quantity)
        index = float(market.index(name))
        value = q * (index - float(position.entry_price))
    else:
        asset = position.asset if isinstance(position, SpotBalance) else position.token
        maybe = market.underlying_of(asset)
        q = float(position.quantity)
        if maybe is None:
            return None, np.zeros(0), 0.0, 0.0, None, 0.0, q
        name = maybe
        index = float(market.index(name))
        value = q * index
    grid = scenario_grid(config.range_of(name), config)
    return name, q * index * grid.moves, q, 0.0, None, 0.0, value

