"""Black-76 prices and Greeks in Deribit's conventions, vectorised over numpy arrays.

Deribit prices options on the forward of the same expiry with no discounting (r = 0); its
published Greeks are: delta per unit of the underlying, gamma per unit squared, vega per one
volatility point (1% absolute), theta per calendar day, rho per 1% rate. We quote in USD
(Deribit's USDC-settled "linear" convention), so price = forward x N(d1) - strike x N(d2) for a
call. Sources: Deribit Knowledge Base, "Options" and "Greeks" (support.deribit.com); Black
(1976), "The pricing of commodity contracts", J. Financial Economics 3.

With r = 0 and the forward held fixed, the only rate exposure is discounting, so
rho = -T x price / 100. Time is `days / 365` (Actual/365 Fixed, as Deribit and QuantLib's
`Actual365Fixed` count it). All arrays broadcast; inputs are float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr  # type: ignore[import-untyped]  # scipy ships no stubs

from risk.errors import ImpliedVolNotFound, InvalidRiskInput

Float = NDArray[np.float64]
DAYS_PER_YEAR = 365.0
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True, slots=True)
class Greeks:
    """Price and Greeks per one option, each an array of the broadcast input shape."""

    price: Float
    delta: Float
    gamma: Float
    vega: Float  # USD per 1 vol point
    theta: Float  # USD per calendar day
    rho: Float  # USD per 1% rate


def _as_float(value: ArrayLike) -> Float:
    return np.asarray(value, dtype=np.float64)


def _check_inputs(forward: Float, strike: Float, years: Float, vol: Float) -> None:
    # One pass each; a bad element anywhere is refused with the rule it broke.
    if not np.all(forward > 0):
        raise InvalidRiskInput("forward", "must be positive")
    if not np.all(strike > 0):
        raise InvalidRiskInput("strike", "must be positive")
    if not np.all(years > 0):
        raise InvalidRiskInput("expiry_days", "must be positive (expired options have no Greeks)")
    if not np.all(vol > 0):
        raise InvalidRiskInput("vol", "must be positive, as a fraction (0.65 for 65%)")


def _sign(is_call: ArrayLike) -> Float:
    # +1 for a call, -1 for a put, by arithmetic (cheaper than np.where on large arrays).
    return np.asarray(is_call, dtype=bool) * 2.0 - 1.0


def black76_price(forward: ArrayLike, strike: ArrayLike, expiry_days: ArrayLike,
                  vol: ArrayLike, is_call: ArrayLike, *, check: bool = True) -> Float:
    """Undiscounted Black-76 premium in the forward's currency (USD)."""
    f, k, t, v = _as_float(forward), _as_float(strike), _as_float(expiry_days), _as_float(vol)
    t = t / DAYS_PER_YEAR
    if check:
        _check_inputs(f, k, t, v)
    return price_from_log_moneyness(np.log(f / k), f, k, v * np.sqrt(t), _sign(is_call))


def price_from_log_moneyness(log_fk: Float, forward: Float, strike: Float | float, std: Float,
                             sign: Float | float) -> Float:
    """Black-76 premium from ln(F/K) and the total standard deviation vol x sqrt(T).

    The scenario engine calls this with shifted ln(F/K) so it never takes a logarithm per
    scenario (ln(F(1+m)/K) = ln(F/K) + ln(1+m))."""
    d1 = log_fk / std
    d1 += 0.5 * std
    d2 = d1 - std
    d1 *= sign
    d2 *= sign
    price = forward * ndtr(d1)
    price -= strike * ndtr(d2)
    price *= sign
    return np.asarray(price, dtype=np.float64)


_CHUNK = 16_384  # elements per pass: keeps the temporaries inside the L2 cache (measured)


def black76(forward: ArrayLike, strike: ArrayLike, expiry_days: ArrayLike, vol: ArrayLike,
            is_call: ArrayLike) -> Greeks:
    """Price and all Greeks at once, in Deribit's units (see the module docstring)."""
    arrays = np.broadcast_arrays(_as_float(forward), _as_float(strike),
                                 _as_float(expiry_days), _as_float(vol),
                                 np.asarray(is_call, dtype=bool))
    shape = arrays[0].shape
    f, k, days, v = (np.ascontiguousarray(a, dtype=np.float64).ravel() for a in arrays[:4])
    w = np.ascontiguousarray(arrays[4]).ravel() * 2.0 - 1.0
    t = days / DAYS_PER_YEAR
    _check_inputs(f, k, t, v)
    out = np.empty((6, f.size))
    for lo in range(0, f.size, _CHUNK):
        hi = min(lo + _CHUNK, f.size)
        _greeks_into(out[:, lo:hi], f[lo:hi], k[lo:hi], t[lo:hi], v[lo:hi], w[lo:hi])
    price, delta, gamma, vega, theta, rho = (row.reshape(shape) for row in out)
    return Greeks(price=price, delta=delta, gamma=gamma, vega=vega, theta=theta, rho=rho)


def _greeks_into(out: Float, f: Float, k: Float, t: Float, v: Float, w: Float) -> None:
    price, delta, gamma, vega, theta, rho = out
    sqrt_t = np.sqrt(t)
    std = v * sqrt_t
    d1 = np.log(f / k)
    d1 /= std
    d1 += 0.5 * std
    wd2 = d1 - std
    wd2 *= w
    wd1 = w * d1
    ndtr(wd1, out=delta)  # N(w d1); signed below
    np.multiply(f, delta, out=price)
    price -= k * ndtr(wd2)
    price *= w
    delta *= w
    np.multiply(d1, d1, out=d1)
    d1 *= -0.5
    density = np.exp(d1, out=d1)
    density *= _INV_SQRT_2PI
    np.divide(density, f * std, out=gamma)
    density *= f  # now F n(d1)
    np.multiply(density, sqrt_t, out=vega)
    vega *= 0.01
    np.multiply(density, v, out=theta)
    theta /= sqrt_t
    theta *= -0.5 / DAYS_PER_YEAR
    np.multiply(t, price, out=rho)
    rho *= -0.01


def delta_gamma_vega(forward: float, strike: float, expiry_days: float, vol: float,
                     is_call: bool) -> tuple[float, float, float]:
    """Delta, gamma and vega of one option in plain floats: the same formulas as `black76`
    without numpy's per-call overhead, for the pre-trade check of a single leg."""
    if forward <= 0 or strike <= 0 or expiry_days <= 0 or vol <= 0:
        raise InvalidRiskInput("option", "forward, strike, expiry_days and vol must be positive")
    sqrt_t = math.sqrt(expiry_days / DAYS_PER_YEAR)
    std = vol * sqrt_t
    d1 = math.log(forward / strike) / std + 0.5 * std
    n_d1 = 0.5 * math.erfc(-d1 / math.sqrt(2.0))
    density = math.exp(-0.5 * d1 * d1) * float(_INV_SQRT_2PI)
    delta = n_d1 if is_call else n_d1 - 1.0
    return delta, density / (forward * std), forward * density * sqrt_t * 0.01


def _bounds(forward: Float, strike: Float, w: Float) -> tuple[Float, Float]:
    intrinsic = np.maximum(w * (forward - strike), 0.0)
    upper = np.where(w > 0, forward, strike)
    return intrinsic, upper


def implied_vol(price: ArrayLike, forward: ArrayLike, strike: ArrayLike, expiry_days: ArrayLike,
                is_call: ArrayLike, *, tolerance: float = 1e-12,
                max_iterations: int = 200) -> Float:
    """The volatility (fraction) whose Black-76 premium equals `price`.

    Safeguarded Newton: each step stays inside a bracket that bisection keeps shrinking, so
    it converges for every premium strictly between intrinsic value and the upper bound
    (forward for a call, strike for a put); anything else raises `ImpliedVolNotFound`.
    """
    p, f, k, days = np.broadcast_arrays(_as_float(price), _as_float(forward), _as_float(strike),
                                        _as_float(expiry_days))
    w = np.broadcast_to(_sign(is_call), p.shape)
    t = days / DAYS_PER_YEAR
    _check_inputs(f, k, t, np.ones_like(p))
    low_bound, high_bound = _bounds(f, k, w)
    outside = ~((p > low_bound) & (p < high_bound))
    if np.any(outside):
        index = int(np.flatnonzero(outside.ravel())[0])
        raise ImpliedVolNotFound(index, "premium is not strictly between intrinsic value and "
                                 "the no-arbitrage upper bound")
    lo, hi = np.full(p.shape, 1e-9), np.full(p.shape, 20.0)
    sigma = np.maximum(np.sqrt(2.0 * np.abs(np.log(f / k)) / t), 0.5)
    sigma = np.clip(sigma, 1e-3, 5.0)
    sqrt_t = np.sqrt(t)
    for _ in range(max_iterations):
        std = sigma * sqrt_t
        d1 = np.log(f / k) / std + 0.5 * std
        model = w * (f * ndtr(w * d1) - k * ndtr(w * (d1 - std)))
        diff = model - p
        hi = np.where(diff > 0, sigma, hi)
        lo = np.where(diff < 0, sigma, lo)
        # Done when the premium matches, or float64 cannot split the bracket any further.
        done = (np.abs(diff) <= tolerance * p) | (hi - lo <= 4e-16 * sigma)
        if np.all(done):
            return np.asarray(sigma, dtype=np.float64)
        vega = f * np.exp(-0.5 * d1 * d1) * _INV_SQRT_2PI * sqrt_t
        with np.errstate(divide="ignore", invalid="ignore"):
            step = sigma - diff / vega
        inside = np.isfinite(step) & (step > lo) & (step < hi)
        sigma = np.where(inside, step, 0.5 * (lo + hi))
    raise ImpliedVolNotFound(0, f"solver did not converge in {max_iterations} iterations")
