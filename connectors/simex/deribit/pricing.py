"""Black-76 on the forward with r = 0 (Deribit's convention), and the volatility surface.

A small float pricer of its own: `connectors` may import only `chain`, so the risk package's
vectorised Black-76 (`risk.margin.black76`) is out of reach here; the tests check the two
agree. Floats are fine here: these are model marks from which a maker derives quotes, and
every price leaves this module rounded onto the instrument's tick as a `Decimal`.

Prices are per one unit of the underlying, in USD; `coin_price` turns them into the coin
premium Deribit quotes (USD value / forward of the same expiry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DAYS_PER_YEAR = 365.0
MIN_VOL = 0.05  # the surface never goes below 5% (a smile with a large negative skew could)


def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def norm_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True, slots=True)
class OptionValue:
    """Black-76 value and Greeks per one unit of the underlying, USD (Deribit's units:
    vega per vol point, theta per calendar day)."""

    price: float
    delta: float
    gamma: float
    vega: float
    theta: float


def black76(forward: float, strike: float, years: float, vol: float,
            is_call: bool) -> OptionValue:
    """Value of a European option on `forward` with no discounting."""
    if years <= 0 or vol <= 0:
        intrinsic = max(forward - strike, 0.0) if is_call else max(strike - forward, 0.0)
        delta = (1.0 if forward > strike else 0.0) if is_call else (
            -1.0 if forward < strike else 0.0)
        return OptionValue(intrinsic, delta, 0.0, 0.0, 0.0)
    root = vol * math.sqrt(years)
    d1 = (math.log(forward / strike) + 0.5 * root * root) / root
    d2 = d1 - root
    if is_call:
        price = forward * norm_cdf(d1) - strike * norm_cdf(d2)
        delta = norm_cdf(d1)
    else:
        price = strike * norm_cdf(-d2) - forward * norm_cdf(-d1)
        delta = norm_cdf(d1) - 1.0
    gamma = norm_pdf(d1) / (forward * root)
    vega = forward * norm_pdf(d1) * math.sqrt(years) / 100.0
    theta = -forward * norm_pdf(d1) * vol / (2.0 * math.sqrt(years)) / DAYS_PER_YEAR
    return OptionValue(price, delta, gamma, vega, theta)


def implied_vol(price: float, forward: float, strike: float, years: float,
                is_call: bool) -> float | None:
    """The Black-76 volatility that gives `price` (USD), by bisection; None when no
    volatility in [1%, 500%] does (a price below intrinsic or above the forward)."""
    low, high = 0.01, 5.0
    if not (black76(forward, strike, years, low, is_call).price <= price
            <= black76(forward, strike, years, high, is_call).price):
        return None
    for _ in range(60):
        middle = 0.5 * (low + high)
        if black76(forward, strike, years, middle, is_call).price < price:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def smile_vol(atm_vol: float, skew: float, smile: float, forward: float,
              strike: float) -> float:
    """The surface at one strike: ATM vol of the expiry plus skew and smile in log-moneyness
    k = ln(K / F): vol = atm + skew * k + smile * k^2, floored at MIN_VOL."""
    k = math.log(strike / forward)
    return max(MIN_VOL, atm_vol + skew * k + smile * k * k)


def coin_price(usd_price: float, forward: float) -> float:
    """Deribit's coin premium of a coin-settled option: its USD value over the forward."""
    return usd_price / forward
