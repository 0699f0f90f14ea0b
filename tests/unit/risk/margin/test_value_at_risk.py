"""VaR and ES: historical on returns a person can sort, delta-gamma against the normal
formula, Monte Carlo converging to delta-gamma on a linear book."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from risk.errors import InvalidRiskInput, MissingMarketData
from risk.margin import (
    MarketData,
    OptionPosition,
    OptionRight,
    PerpetualPosition,
    Portfolio,
    SpotBalance,
    VarConfig,
    covariance_from_prices,
    historical_var,
    monte_carlo_var,
    parametric_var,
)

MARKET = MarketData({"BTC": Decimal(100_000), "ETH": Decimal(4_000)})
LINEAR = Portfolio(spot=(SpotBalance("binance", "BTC", Decimal(2)),),
                   perpetuals=(PerpetualPosition("binance", "ETHUSDT", "ETH", Decimal(-50),
                                                 Decimal(4_000)),))
COV = np.array([[0.03 ** 2, 0.6 * 0.03 * 0.04], [0.6 * 0.03 * 0.04, 0.04 ** 2]])


def test_historical_when_hundred_known_returns_then_var_is_the_first_percentile_loss() -> None:
    # A hundred returns from -10% up: P&L of 1 BTC is 1e5 x r; np.quantile interpolates.
    returns = np.linspace(-0.10, 0.098, 100)
    closes = [100_000.0]
    for r in returns:
        closes.append(closes[-1] * (1 + r))
    portfolio = Portfolio(spot=(SpotBalance("binance", "BTC", Decimal(1)),))
    result = historical_var(portfolio, MarketData({"BTC": Decimal(100_000)}), {"BTC": closes})
    pnl = np.sort(100_000 * returns)
    assert result.var == pytest.approx(-np.quantile(pnl, 0.01), rel=1e-9)
    tail = pnl[pnl <= np.quantile(pnl, 0.025)]
    assert result.es == pytest.approx(-tail.mean(), rel=1e-9)
    assert result.samples == 100 and result.var_confidence == 0.99


def test_parametric_when_linear_book_then_normal_quantile_of_delta_exposure() -> None:
    result = parametric_var(LINEAR, MARKET, COV)
    exposure = np.array([200_000.0, -200_000.0])
    std = math.sqrt(exposure @ COV @ exposure)
    assert result.var == pytest.approx(2.3263478740408408 * std, rel=1e-9)
    assert result.es == pytest.approx(std * 2.3378027922013 / 1.0, rel=1e-6)  # phi(z)/0.025


def test_monte_carlo_when_linear_book_then_converges_to_parametric() -> None:
    config = VarConfig(monte_carlo_paths=400_000, seed=7)
    parametric = parametric_var(LINEAR, MARKET, COV, config)
    simulated = monte_carlo_var(LINEAR, MARKET, COV, config)
    # Standard error of a 1% quantile with 4e5 paths is ~0.6%; ES ~0.5%.
    assert simulated.var == pytest.approx(parametric.var, rel=0.02)
    assert simulated.es == pytest.approx(parametric.es, rel=0.02)
    small = monte_carlo_var(LINEAR, MARKET, COV, VarConfig(monte_carlo_paths=2_000, seed=7))
    assert abs(small.var - parametric.var) > abs(simulated.var - parametric.var)


def test_monte_carlo_when_same_seed_then_same_numbers() -> None:
    config = VarConfig(monte_carlo_paths=5_000, seed=3)
    assert monte_carlo_var(LINEAR, MARKET, COV, config) == monte_carlo_var(LINEAR, MARKET, COV,
                                                                          config)


def test_delta_gamma_when_short_options_then_close_to_full_revaluation() -> None:
    portfolio = Portfolio(options=(OptionPosition(
        "deribit", "BTC-C", "BTC", OptionRight.CALL, Decimal(100_000), Decimal(30), Decimal(-10),
        Decimal("0.6")),))
    cov = np.array([[0.02 ** 2, 0.0], [0.0, 0.03 ** 2]])
    parametric = parametric_var(portfolio, MARKET, cov[:1, :1])
    simulated = monte_carlo_var(portfolio, MARKET, cov[:1, :1],
                                VarConfig(monte_carlo_paths=200_000))
    assert parametric.var > 0 and simulated.var > 0
    assert simulated.var == pytest.approx(parametric.var, rel=0.1)  # delta-gamma is approximate


def test_covariance_when_estimated_from_closes_then_sample_covariance_of_returns() -> None:
    rng = np.random.default_rng(1)
    r = rng.normal(0, 0.02, (300, 2))
    closes = 1000 * np.cumprod(1 + r, axis=0)
    cov = covariance_from_prices({"A": closes[:, 0].tolist(), "B": closes[:, 1].tolist()},
                                 ("A", "B"))
    assert cov == pytest.approx(np.cov(r[1:], rowvar=False), rel=1e-9)


def test_var_when_history_missing_for_a_held_underlying_then_refuses() -> None:
    with pytest.raises(MissingMarketData, match="ETH"):
        historical_var(LINEAR, MARKET, {"BTC": [1.0, 2.0, 3.0, 4.0]})


def test_var_when_covariance_has_wrong_shape_then_names_it() -> None:
    with pytest.raises(InvalidRiskInput, match="covariance"):
        parametric_var(LINEAR, MARKET, np.eye(3))
