"""Portfolio files: every kind of balance sheet read, typos and unknown assets refused."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from risk.errors import MissingMarketData, PortfolioFileError
from risk.margin import MarginEngine, OptionRight, load_portfolio, parse_portfolio

DESK = """
[market]
index = { BTC = "100000", ETH = "3500" }
assets = { WETH = "ETH" }

[[spot]]
venue = "binance"
asset = "USDT"
quantity = "1000"

[[wallet]]
chain_id = 1
address = "0x00000000000000000000000000000000000000a1"
token = "WETH"
quantity = 2

[[perpetual]]
venue = "binance"
symbol = "BTCUSDT"
underlying = "BTC"
quantity = "-0.5"
entry_price = "99000"
isolated_margin = "2000"

[[option]]
venue = "deribit"
instrument = "BTC-110000-C"
underlying = "BTC"
right = "call"
strike = "110000"
expiry_days = 30
quantity = "-1"
vol = "0.55"

[history]
BTC = [1, 2, 3]
"""


def test_load_when_toml_then_every_balance_sheet_is_read(tmp_path: Path) -> None:
    path = tmp_path / "desk.toml"
    path.write_text(DESK)
    document = load_portfolio(path)
    p = document.portfolio
    assert p.spot[0].quantity == Decimal(1000) and p.wallets[0].token == "WETH"
    assert p.perpetuals[0].isolated_margin == Decimal(2000)
    assert p.options[0].right is OptionRight.CALL and p.options[0].expiry_days == 30
    assert document.market.underlying_of("WETH") == "ETH"
    assert document.history["BTC"] == (1.0, 2.0, 3.0)
    assert [g.underlying for g in MarginEngine(p, document.market).greeks] == ["BTC", "ETH"]


def test_load_when_json_then_same_model(tmp_path: Path) -> None:
    path = tmp_path / "desk.json"
    path.write_text(json.dumps({"market": {"index": {"BTC": "100000"}},
                                "spot": [{"venue": "x", "asset": "BTC", "quantity": "1"}]}))
    assert load_portfolio(path).portfolio.spot[0].asset == "BTC"


@pytest.mark.parametrize(("document", "field"), [
    ({"market": {"index": {"BTC": "1"}}, "spot": [{"venue": "x", "asset": "BTC",
                                                   "quantity": "1", "qty": "2"}]},
     "spot[0].qty"),
    ({"market": {"index": {"BTC": "1"}}, "option": [{"venue": "x"}]}, "option[0].expiry_days"),
    ({"spot": []}, "market.index"),
    ({"market": {"index": {"BTC": "1"}}, "perps": []}, "perps"),
    ({"market": {"index": {"BTC": "abc"}}}, "market.index.BTC"),
])
def test_parse_when_entry_is_wrong_then_names_the_field(document: dict[str, object],
                                                         field: str) -> None:
    with pytest.raises(PortfolioFileError) as raised:
        parse_portfolio(document)
    assert raised.value.field == field


def test_parse_when_option_right_unknown_then_refuses() -> None:
    entry = {"venue": "d", "instrument": "i", "underlying": "BTC", "right": "straddle",
             "strike": "1", "expiry_days": "1", "quantity": "1", "vol": "0.5"}
    with pytest.raises(PortfolioFileError, match="right"):
        parse_portfolio({"market": {"index": {"BTC": "1"}}, "option": [entry]})


def test_engine_when_asset_has_no_price_then_fails_closed(tmp_path: Path) -> None:
    document = parse_portfolio({"market": {"index": {"BTC": "1"}},
                                "wallet": [{"chain_id": 1, "address": "0xa", "token": "SHIB",
                                            "quantity": "5"}]})
    with pytest.raises(MissingMarketData, match="SHIB"):
        MarginEngine(document.portfolio, document.market).portfolio_margin()


def test_load_when_file_is_not_toml_then_refuses(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[market\n")
    with pytest.raises(PortfolioFileError, match="not valid"):
        load_portfolio(path)
