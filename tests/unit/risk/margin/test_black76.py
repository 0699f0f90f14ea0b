"""Black-76 in Deribit's units: reference values, parity, refusals and the implied-vol solver."""

from __future__ import annotations

import math

import numpy as np
import pytest

from risk.errors import ImpliedVolNotFound, InvalidRiskInput
from risk.margin import black76, black76_price, implied_vol


def test_atm_call_when_r_zero_then_brenner_subrahmanyam_close_and_theta_per_day() -> None:
    g = black76(100_000, 100_000, 365, 0.5, True)
    d1 = 0.25
    n = 0.5 * math.erfc(-d1 / math.sqrt(2))
    assert float(g.price) == pytest.approx(100_000 * (2 * n - 1), rel=1e-14)
    assert float(g.delta) == pytest.approx(n, rel=1e-14)
    density = math.exp(-d1 * d1 / 2) / math.sqrt(2 * math.pi)
    assert float(g.vega) == pytest.approx(100_000 * density / 100, rel=1e-14)  # per vol point
    assert float(g.theta) == pytest.approx(-100_000 * density * 0.5 / 2 / 365, rel=1e-14)
    assert float(g.rho) == pytest.approx(-float(g.price) / 100, rel=1e-14)  # T = 1 year


def test_put_call_parity_when_r_zero_then_call_minus_put_is_forward_minus_strike() -> None:
    rng = np.random.default_rng(4)
    f, k = rng.uniform(100, 1e5, 1000), rng.uniform(100, 1e5, 1000)
    days, vol = rng.uniform(1, 700, 1000), rng.uniform(0.05, 2, 1000)
    call, put = black76(f, k, days, vol, True), black76(f, k, days, vol, False)
    np.testing.assert_allclose(call.price - put.price, f - k, atol=1e-7 * f.max())
    np.testing.assert_allclose(call.delta - put.delta, 1.0, atol=1e-12)
    np.testing.assert_allclose(call.gamma, put.gamma, rtol=1e-12)


@pytest.mark.parametrize(("field", "args"), [
    ("forward", (0, 100, 30, 0.5)), ("strike", (100, -1, 30, 0.5)),
    ("expiry_days", (100, 100, 0, 0.5)), ("vol", (100, 100, 30, float("nan"))),
])
def test_black76_when_input_breaks_a_rule_then_names_the_field(
    field: str, args: tuple[float, float, float, float]
) -> None:
    with pytest.raises(InvalidRiskInput) as raised:
        black76(*args, True)
    assert raised.value.field == field


def test_implied_vol_when_vector_then_recovers_each_vol() -> None:
    rng = np.random.default_rng(2)
    f = rng.uniform(1_000, 100_000, 500)
    k = f * rng.uniform(0.7, 1.4, 500)
    days, vol, call = rng.uniform(2, 400, 500), rng.uniform(0.1, 1.8, 500), rng.random(500) < .5
    price = black76_price(f, k, days, vol, call)
    solved = implied_vol(price, f, k, days, call)
    np.testing.assert_allclose(black76_price(f, k, days, solved, call), price, rtol=1e-12)
    # Where vega is ~0 (a deep in-the-money put with 1e-5 USD per vol point) the premium does
    # not pin the vol down; everywhere else the vol itself comes back.
    identifiable = black76(f, k, days, vol, call).vega > 1e-3
    assert identifiable.sum() > 450
    np.testing.assert_allclose(solved[identifiable], vol[identifiable], rtol=1e-8)


@pytest.mark.parametrize("price", [0.0, 5.0, 100.0, 150.0])
def test_implied_vol_when_premium_outside_no_arbitrage_bounds_then_refuses(price: float) -> None:
    # Call F=100, K=95: intrinsic 5, upper bound 100.
    with pytest.raises(ImpliedVolNotFound):
        implied_vol([10.0, price], 100.0, 95.0, 30.0, True)
