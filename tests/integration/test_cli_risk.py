"""`crossbook risk` as a desk runs it: the real console script on a portfolio file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import QuantLib as ql

from risk.margin import MarginEngine, black76, load_portfolio

from cli import crossbook

pytestmark = pytest.mark.integration

DESK = """
[market]
index = { BTC = "100000", ETH = "3500" }
assets = { WETH = "ETH" }

[[spot]]
venue = "binance"
asset = "USDT"
quantity = "250000"

[[wallet]]
chain_id = 1
address = "0x00000000000000000000000000000000000000a1"
token = "WETH"
quantity = "20"

[[perpetual]]
venue = "binance"
symbol = "BTCUSDT"
underlying = "BTC"
quantity = "1"
entry_price = "100000"

[[perpetual]]
venue = "binance"
symbol = "ETHUSDT"
underlying = "ETH"
quantity = "10"
entry_price = "3500"
isolated_margin = "3500"

[[option]]
venue = "deribit"
instrument = "BTC-110000-C"
underlying = "BTC"
right = "call"
strike = "110000"
expiry_days = "30"
quantity = "-3"
vol = "0.55"

[[option]]
venue = "deribit"
instrument = "BTC-90000-P"
underlying = "BTC"
right = "put"
strike = "90000"
expiry_days = "30"
quantity = "-3"
vol = "0.6"
"""


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    rng = np.random.default_rng(11)
    btc = 100_000 * np.cumprod(1 + rng.normal(0, 0.03, 300))
    eth = 3_500 * np.cumprod(1 + rng.normal(0, 0.04, 300))
    path = tmp_path / "desk.toml"
    path.write_text(DESK + "\n[history]\nBTC = " + json.dumps(btc.round(2).tolist())
                    + "\nETH = " + json.dumps(eth.round(2).tolist()) + "\n")
    return path


def test_greeks_single_option_when_json_then_deribit_fields_equal_quantlib() -> None:
    result = crossbook("risk", "greeks", "--forward", "65000", "--strike", "70000",
                       "--expiry-days", "30", "--vol", "0.65", "--right", "call", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"price", "delta", "gamma", "vega", "theta", "rho"}
    # The same option through QuantLib (spot = forward, r = q = 0), per the Deribit units.
    today = ql.Date(15, ql.January, 2026)
    ql.Settings.instance().evaluationDate = today
    flat = ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, ql.Actual365Fixed()))
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(65000)), flat, flat, ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(today, ql.NullCalendar(), 0.65, ql.Actual365Fixed())))
    option = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Call, 70000),
                              ql.EuropeanExercise(today + 30))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    expected = {"price": option.NPV(), "delta": option.delta(), "gamma": option.gamma(),
                "vega": option.vega() / 100, "theta": option.thetaPerDay(),
                "rho": (option.rho() + option.dividendRho()) / 100}
    for name, value in expected.items():
        assert float(Decimal(document[name])) == pytest.approx(value, rel=1e-9), name


def test_greeks_single_option_when_table_then_prints_the_price() -> None:
    result = crossbook("risk", "greeks", "--forward", "3000", "--strike", "3000",
                       "--expiry-days", "7", "--vol", "0.8", "--right", "put")
    assert result.returncode == 0, result.stderr
    price = float(black76(3000, 3000, 7, 0.8, False).price)
    assert f"{price:.10g}" in result.stdout and "theta" in result.stdout


def test_greeks_when_flags_incomplete_or_invalid_then_usage_error() -> None:
    missing = crossbook("risk", "greeks", "--forward", "3000", "--json")
    assert missing.returncode == 2 and "--strike" in missing.stderr
    bad = crossbook("risk", "greeks", "--forward", "3000", "--strike", "3000",
                    "--expiry-days", "0", "--vol", "0.8", "--right", "put")
    assert bad.returncode == 2 and "expiry_days" in bad.stderr


def test_greeks_portfolio_when_json_then_totals_per_underlying(desk: Path) -> None:
    result = crossbook("risk", "greeks", "--portfolio", str(desk), "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["underlying"]: r for r in json.loads(result.stdout)["underlyings"]}
    assert Decimal(rows["ETH"]["delta"]) == 30  # 20 WETH in a wallet + 10 on the perpetual
    document = load_portfolio(desk)
    btc = MarginEngine(document.portfolio, document.market).greeks[0]
    assert float(rows["BTC"]["vega"]) == pytest.approx(btc.vega, rel=1e-12)


def test_margin_when_json_then_portfolio_and_standard_with_utilisation(desk: Path) -> None:
    result = crossbook("risk", "margin", "--portfolio", str(desk), "--json", "--hedge")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    pm = report["portfolio"]
    assert float(pm["maintenance_margin"]) == pytest.approx(
        0.8 * float(pm["initial_margin"]), rel=1e-12)
    assert float(pm["utilisation"]) == pytest.approx(
        float(pm["maintenance_margin"]) / float(report["equity"]), rel=1e-12)
    assert [u["underlying"] for u in pm["per_underlying"]] == ["BTC", "ETH"]
    assert float(report["standard"]["maintenance_margin"]) > 0
    # 30 ETH of delta is far beyond the 10k USD band: a sell of ETH-PERPETUAL is proposed.
    eth_hedges = [h for h in report["hedges"] if h["underlying"] == "ETH"]
    assert eth_hedges == [{"underlying": "ETH", "venue": "deribit",
                           "instrument": "ETH-PERPETUAL", "side": "sell", "quantity": "30.00"}]


def test_margin_when_table_then_shows_both_models(desk: Path) -> None:
    result = crossbook("risk", "margin", "--portfolio", str(desk))
    assert result.returncode == 0, result.stderr
    assert "scenario margin" in result.stdout and "standard" in result.stdout


def test_var_when_json_then_three_methods_at_99_and_975(desk: Path) -> None:
    result = crossbook("risk", "var", "--portfolio", str(desk), "--json", "--paths", "20000")
    assert result.returncode == 0, result.stderr
    rows = {r["method"]: r for r in json.loads(result.stdout)["results"]}
    assert set(rows) == {"historical", "delta_gamma", "monte_carlo"}
    for row in rows.values():
        assert float(row["var_confidence"]) == 0.99 and float(row["es_confidence"]) == 0.975
        assert float(row["es"]) >= float(row["var"]) > 0
    assert rows["historical"]["samples"] == 299


def test_var_when_history_missing_then_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "desk.toml"
    path.write_text(DESK)
    result = crossbook("risk", "var", "--portfolio", str(path))
    assert result.returncode == 2 and "price history" in result.stderr


def test_liquidation_when_json_then_binance_prices_and_breach_moves(desk: Path) -> None:
    result = crossbook("risk", "liquidation", "--portfolio", str(desk), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    perps = {p["symbol"]: p for p in report["perpetuals"]}
    # Isolated 10 ETH at 3,500 on 3,500 margin, first bracket (0.4%, cum 0):
    # LP = (3,500 - 35,000) / (10 x 0.004 - 10).
    assert perps["ETHUSDT"]["mode"] == "isolated"
    assert Decimal(perps["ETHUSDT"]["liquidation_price"]) == round(
        Decimal(-31_500) / Decimal("-9.96"), 2)
    assert perps["BTCUSDT"]["mode"] == "cross"
    moves = {m["underlying"]: m for m in report["breach_moves"]}
    assert set(moves) == {"BTC", "ETH"}
    assert report["liquidation_buffer"] is not None


def test_risk_when_portfolio_file_missing_or_wrong_then_usage_error(tmp_path: Path) -> None:
    missing = crossbook("risk", "margin", "--portfolio", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "cannot be read" in missing.stderr
    typo = tmp_path / "typo.toml"
    typo.write_text('[market]\nindex = { BTC = "1" }\n[[spot]]\nvenue = "x"\nasset = "BTC"\n'
                    'quantity = "1"\nqty = "2"\n')
    wrong = crossbook("risk", "greeks", "--portfolio", str(typo), "--json")
    assert wrong.returncode == 2 and "spot[0].qty" in wrong.stderr
