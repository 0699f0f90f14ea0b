"""Value at Risk and expected shortfall of the desk over a horizon, three ways.

All three shock the same risk factors the same way: each underlying's index moves by a simple
return r (price x (1 + r)), forwards move with it, vols are held. So on a linear portfolio the
delta-gamma model is exact and Monte Carlo converges to it.

- Historical: r from consecutive closes of a price series (aligned across underlyings), full
  revaluation under each day's joint returns.
- Delta-gamma parametric: P&L ~ sum(delta_i S_i r_i) + 1/2 sum(gamma_i S_i^2 r_i^2) with
  r ~ N(0, Sigma), moment-matched to a normal: mean 1/2 tr(G Sigma), variance
  d' Sigma d + 1/2 tr((G Sigma)^2).
- Monte Carlo: r ~ N(0, Sigma) from a seeded generator, full revaluation.

VaR at confidence c is the loss exceeded with probability 1 - c; ES at c the mean loss beyond
the (1 - c) quantile. Both are reported as positive losses in USD.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy.special import ndtri  # type: ignore[import-untyped]  # scipy ships no stubs

from risk.errors import InvalidRiskInput, MissingMarketData
from risk.margin.black76 import Float, black76_price
from risk.margin.book import Book, compile_book, greeks_totals
from risk.margin.config import VarConfig
from risk.margin.positions import MarketData, Portfolio


class VarMethod(Enum):
    """How the P&L distribution is obtained."""

    HISTORICAL = "historical"
    PARAMETRIC = "delta_gamma"
    MONTE_CARLO = "monte_carlo"


@dataclass(frozen=True, slots=True)
class VarResult:
    """VaR and ES (positive USD losses) at their confidences over `horizon_days`."""

    method: VarMethod
    var: float
    var_confidence: float
    es: float
    es_confidence: float
    horizon_days: int
    samples: int  # scenarios revalued (0 for the parametric model)


def returns_from_prices(history: Mapping[str, Sequence[float]], underlyings: tuple[str, ...],
                        horizon_days: int = 1) -> Float:
    """Simple returns over `horizon_days` (rows) per underlying (columns), from closes."""
    missing = [u for u in underlyings if u not in history]
    if missing:
        raise MissingMarketData("price history", missing[0])
    lengths = {len(history[u]) for u in underlyings}
    if len(lengths) != 1:
        raise InvalidRiskInput("history", "every underlying needs the same number of closes")
    closes = np.array([np.asarray(history[u], dtype=float) for u in underlyings]).T
    if closes.shape[0] <= horizon_days + 1:
        raise InvalidRiskInput("history", f"needs more than {horizon_days + 1} closes")
    if not np.all(closes > 0):
        raise InvalidRiskInput("history", "closes must be positive")
    return np.asarray(closes[horizon_days:] / closes[:-horizon_days] - 1.0, dtype=np.float64)


def _revalue(book: Book, returns: Float, chunk: int = 2048) -> Float:
    pnl = np.empty(returns.shape[0])
    o = book.options
    linear_q = book.spot_quantity + book.perp_quantity
    linear = (returns * book.index) @ linear_q
    if o.size == 0:
        return np.asarray(linear, dtype=np.float64)
    base_options = book.option_values().sum()
    for lo in range(0, returns.shape[0], chunk):
        r = returns[lo:lo + chunk][:, o.underlying]
        values = o.quantity * black76_price(o.forward * (1.0 + r), o.strike, o.days, o.vol,
                                            o.is_call, check=False)
        pnl[lo:lo + chunk] = values.sum(axis=1) - base_options
    return np.asarray(linear + pnl, dtype=np.float64)


def _tail(pnl: Float, config: VarConfig) -> tuple[float, float]:
    var = -float(np.quantile(pnl, 1.0 - config.var_confidence))
    cut = np.quantile(pnl, 1.0 - config.es_confidence)
    es = -float(pnl[pnl <= cut].mean())
    return var, es


def historical_var(portfolio: Portfolio, market: MarketData,
                   history: Mapping[str, Sequence[float]],
                   config: VarConfig | None = None) -> VarResult:
    """VaR/ES from the portfolio revalued under each historical (overlapping) return."""
    config = config or VarConfig()
    book = compile_book(portfolio, market)
    returns = returns_from_prices(history, book.underlyings, config.horizon_days)
    var, es = _tail(_revalue(book, returns), config)
    return VarResult(VarMethod.HISTORICAL, var, config.var_confidence, es, config.es_confidence,
                     config.horizon_days, returns.shape[0])


def covariance_from_prices(history: Mapping[str, Sequence[float]], underlyings: tuple[str, ...],
                           horizon_days: int = 1) -> Float:
    """Covariance of simple daily returns, scaled to the horizon (square-root-of-time)."""
    daily = returns_from_prices(history, underlyings, 1)
    cov = np.atleast_2d(np.cov(daily, rowvar=False))
    return np.asarray(cov * horizon_days, dtype=np.float64)


def parametric_var(portfolio: Portfolio, market: MarketData, covariance: Float,
                   config: VarConfig | None = None) -> VarResult:
    """Delta-gamma VaR/ES, moment-matched normal; `covariance` of horizon returns."""
    config = config or VarConfig()
    book = compile_book(portfolio, market)
    cov = _checked_covariance(covariance, len(book.underlyings))
    totals = greeks_totals(book)
    d = np.array([g.delta for g in totals]) * book.index
    g = np.diag(np.array([t.gamma for t in totals]) * book.index ** 2)
    gs = g @ cov
    mean = 0.5 * float(np.trace(gs))
    std = float(np.sqrt(d @ cov @ d + 0.5 * np.trace(gs @ gs)))
    z_var = float(ndtri(1 - config.var_confidence))
    z_es = float(ndtri(1 - config.es_confidence))
    density = math.exp(-0.5 * z_es * z_es) / math.sqrt(2 * math.pi)
    var = -(mean + z_var * std)
    es = -(mean - std * density / (1 - config.es_confidence))
    return VarResult(VarMethod.PARAMETRIC, var, config.var_confidence, es, config.es_confidence,
                     config.horizon_days, 0)


def monte_carlo_var(portfolio: Portfolio, market: MarketData, covariance: Float,
                    config: VarConfig | None = None) -> VarResult:
    """Full-revaluation Monte Carlo VaR/ES under seeded normal returns."""
    config = config or VarConfig()
    book = compile_book(portfolio, market)
    cov = _checked_covariance(covariance, len(book.underlyings))
    rng = np.random.default_rng(config.seed)
    returns = rng.multivariate_normal(np.zeros(cov.shape[0]), cov, size=config.monte_carlo_paths,
                                      method="cholesky")
    var, es = _tail(_revalue(book, returns), config)
    return VarResult(VarMethod.MONTE_CARLO, var, config.var_confidence, es,
                     config.es_confidence, config.horizon_days, config.monte_carlo_paths)


def _checked_covariance(covariance: Float, n: int) -> Float:
    cov = np.atleast_2d(np.asarray(covariance, dtype=np.float64))
    if cov.shape != (n, n):
        raise InvalidRiskInput("covariance", f"must be {n}x{n}, one row per underlying")
    if not np.allclose(cov, cov.T) or np.any(np.linalg.eigvalsh(cov) < -1e-12):
        raise InvalidRiskInput("covariance", "must be symmetric positive semi-definite")
    return cov
