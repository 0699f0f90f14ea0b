"""Read a desk portfolio from a TOML or JSON file (chosen by extension: .json is JSON, anything
else TOML). Decimal values may be written as strings ("0.65") or numbers; unknown keys are
refused by name, so a typo never silently drops a position.

    [market]
    index = { BTC = "100000", ETH = "3500" }   # USD index per underlying (required)
    assets = { WETH = "ETH", WBTC = "BTC" }    # held asset -> underlying (optional)
    cash = ["USD", "USDC", "USDT", "DAI"]      # USD cash assets (optional, this default)

    [[spot]]      venue, asset, quantity
    [[wallet]]    chain_id, address, token, quantity
    [[perpetual]] venue, symbol, underlying, quantity, entry_price, isolated_margin?
    [[option]]    venue, instrument, underlying, right ("call"|"put"), strike, expiry_days,
                  quantity, vol (fraction), forward?

    [history]     # daily closes per underlying, oldest first (for `crossbook risk var`)
    BTC = [97000, 98500, ...]
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from risk.errors import InvalidRiskInput, PortfolioFileError
from risk.margin.positions import (
    MarketData,
    OptionPosition,
    OptionRight,
    PerpetualPosition,
    Portfolio,
    SpotBalance,
    WalletBalance,
)

_TOP = {"market", "spot", "wallet", "perpetual", "option", "history"}
_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # required, optional
    "spot": ({"venue", "asset", "quantity"}, set()),
    "wallet": ({"chain_id", "address", "token", "quantity"}, set()),
    "perpetual": ({"venue", "symbol", "underlying", "quantity", "entry_price"},
                  {"isolated_margin"}),
    "option": ({"venue", "instrument", "underlying", "right", "strike", "expiry_days",
                "quantity", "vol"}, {"forward"}),
}


@dataclass(frozen=True, slots=True)
class PortfolioFile:
    """What a portfolio file holds."""

    portfolio: Portfolio
    market: MarketData
    history: Mapping[str, tuple[float, ...]]


def _decimal(where: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PortfolioFileError(where, "must be a number or a decimal string")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise PortfolioFileError(where, f"{value!r} is not a decimal number") from None


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise PortfolioFileError(where, "must be a non-empty string")
    return value


def _chain_id(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PortfolioFileError(where, "must be a positive integer")
    return value


def _entries(document: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    entries = document.get(kind, [])
    if not isinstance(entries, list):
        raise PortfolioFileError(kind, "must be a list of tables")
    required, optional = _FIELDS[kind]
    for i, entry in enumerate(entries):
        where = f"{kind}[{i}]"
        if not isinstance(entry, dict):
            raise PortfolioFileError(where, "must be a table")
        if missing := sorted(required - entry.keys()):
            raise PortfolioFileError(f"{where}.{missing[0]}", "is required")
        if unknown := sorted(entry.keys() - required - optional):
            raise PortfolioFileError(f"{where}.{unknown[0]}", "is not a known field")
    return entries


def _option(i: int, e: dict[str, Any]) -> OptionPosition:
    w = f"option[{i}]"
    right = e["right"]
    if right not in ("call", "put"):
        raise PortfolioFileError(f"{w}.right", "must be 'call' or 'put'")
    forward = e.get("forward")
    return OptionPosition(
        _text(f"{w}.venue", e["venue"]), _text(f"{w}.instrument", e["instrument"]),
        _text(f"{w}.underlying", e["underlying"]), OptionRight(right),
        _decimal(f"{w}.strike", e["strike"]), _decimal(f"{w}.expiry_days", e["expiry_days"]),
        _decimal(f"{w}.quantity", e["quantity"]), _decimal(f"{w}.vol", e["vol"]),
        None if forward is None else _decimal(f"{w}.forward", forward))


def _market(document: Mapping[str, Any]) -> MarketData:
    market = document.get("market")
    if not isinstance(market, dict) or not isinstance(market.get("index"), dict):
        raise PortfolioFileError("market.index", "is required: USD index price per underlying")
    if unknown := sorted(market.keys() - {"index", "assets", "cash"}):
        raise PortfolioFileError(f"market.{unknown[0]}", "is not a known field")
    index = {_text("market.index", k): _decimal(f"market.index.{k}", v)
             for k, v in market["index"].items()}
    assets = market.get("assets", {})
    if not isinstance(assets, dict):
        raise PortfolioFileError("market.assets", "must be a table of asset = underlying")
    mapping = {k: _text(f"market.assets.{k}", v) for k, v in assets.items()}
    if "cash" not in market:
        return MarketData(index, mapping)
    cash = market["cash"]
    if not isinstance(cash, list):
        raise PortfolioFileError("market.cash", "must be a list of asset names")
    return MarketData(index, mapping, frozenset(_text("market.cash", c) for c in cash))


def _history(document: Mapping[str, Any]) -> dict[str, tuple[float, ...]]:
    history = document.get("history", {})
    if not isinstance(history, dict):
        raise PortfolioFileError("history", "must be a table of underlying = [closes]")
    result = {}
    for name, closes in history.items():
        if not isinstance(closes, list):
            raise PortfolioFileError(f"history.{name}", "must be a list of closes")
        result[name] = tuple(float(_decimal(f"history.{name}", c)) for c in closes)
    return result


def parse_portfolio(document: Mapping[str, Any]) -> PortfolioFile:
    """Build a portfolio, its market and any price history from a parsed document."""
    if unknown := sorted(document.keys() - _TOP):
        raise PortfolioFileError(unknown[0], "is not a known section")
    try:
        spot = tuple(SpotBalance(_text(f"spot[{i}].venue", e["venue"]),
                                 _text(f"spot[{i}].asset", e["asset"]),
                                 _decimal(f"spot[{i}].quantity", e["quantity"]))
                     for i, e in enumerate(_entries(document, "spot")))
        wallets = tuple(WalletBalance(_chain_id(f"wallet[{i}].chain_id", e["chain_id"]),
                                      _text(f"wallet[{i}].address", e["address"]),
                                      _text(f"wallet[{i}].token", e["token"]),
                                      _decimal(f"wallet[{i}].quantity", e["quantity"]))
                        for i, e in enumerate(_entries(document, "wallet")))
        perps = tuple(PerpetualPosition(
            _text(f"perpetual[{i}].venue", e["venue"]), _text(f"perpetual[{i}].symbol",
                                                              e["symbol"]),
            _text(f"perpetual[{i}].underlying", e["underlying"]),
            _decimal(f"perpetual[{i}].quantity", e["quantity"]),
            _decimal(f"perpetual[{i}].entry_price", e["entry_price"]),
            None if "isolated_margin" not in e
            else _decimal(f"perpetual[{i}].isolated_margin", e["isolated_margin"]))
            for i, e in enumerate(_entries(document, "perpetual")))
        options = tuple(_option(i, e) for i, e in enumerate(_entries(document, "option")))
    except PortfolioFileError:
        raise
    except InvalidRiskInput as error:
        raise PortfolioFileError(error.field, error.reason) from None
    return PortfolioFile(Portfolio(spot, wallets, perps, options), _market(document),
                         _history(document))


def load_portfolio(path: Path) -> PortfolioFile:
    """Read and parse a portfolio file; `PortfolioFileError` names what is wrong."""
    try:
        text = path.read_text()
    except OSError as error:
        raise PortfolioFileError(str(path), f"cannot be read: {error.strerror}") from None
    try:
        document = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise PortfolioFileError(str(path), f"is not valid {path.suffix or 'TOML'}: {error}"
                                 ) from None
    if not isinstance(document, dict):
        raise PortfolioFileError(str(path), "must hold one object at the top")
    return parse_portfolio(document)
