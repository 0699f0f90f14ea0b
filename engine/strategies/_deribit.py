"""Deribit for the strategies: the board (listing and tickers) read through the real
ccxt.deribit client, and the CLI's session over a Deribit URL (simex's dialect, or Deribit).

The board reads `public/ticker` (best bid/ask, mark, mark IV in percent, the expiry's
underlying price, the index) and lists options from ccxt's loaded markets. The session loads
the markets, builds the package, then starts a `DeribitVenue` for the package's instruments
only, under `AliasedDeribitVenue`'s OMS symbols; the account's cash balances and positions
become the margin engine's portfolio.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from connectors.cex import CexVenueConfig
from connectors.cex.deribit import DeribitVenue
from connectors.cex.link import decimal_of
from connectors.simex.deribit import deribit_ccxt_urls
from engine.model import Instrument
from engine.strategies._board import OptionTicker
from engine.strategies._errors import InvalidStrategy, NotListed
from engine.strategies._names import days_to_expiry, deribit_name, from_deribit_name
from engine.strategies._pricing import option_position
from risk.margin import PerpetualPosition, Portfolio, Position, SpotBalance

_PERCENT = Decimal(100)
KEY_ENV, SECRET_ENV = "DERIBIT_API_KEY", "DERIBIT_API_SECRET"


def _positive(value: Any) -> Decimal | None:
    if value is None:
        return None
    number = decimal_of(value)
    return number if number > 0 else None


class DeribitBoard:
    """`OptionBoard` over a ccxt.deribit client whose markets are loaded."""

    def __init__(self, exchange: Any) -> None:
        self.exchange = exchange

    def _markets(self) -> list[dict[str, Any]]:
        return list(self.exchange.markets.values())

    def symbol_of(self, name: str) -> str:
        """ccxt's unified symbol of a Deribit instrument name."""
        for market in self._markets():
            if market.get("id") == name:
                return str(market["symbol"])
        raise NotListed("instrument", f"{name} is not listed")

    async def listing(self, underlying: str) -> tuple[Instrument, ...]:
        found = []
        for market in self._markets():
            if market.get("option") and market.get("base") == underlying:
                try:
                    found.append(from_deribit_name(str(market["id"])))
                except InvalidStrategy:
                    continue
        return tuple(found)

    async def _raw(self, name: str) -> dict[str, Any]:
        answer = await self.exchange.public_get_ticker({"instrument_name": name})
        result: dict[str, Any] = answer.get("result") or {}
        return result

    async def ticker(self, instrument: Instrument) -> OptionTicker:
        name = deribit_name(instrument)
        self.symbol_of(name)
        t = await self._raw(name)
        return OptionTicker(instrument, _positive(t.get("best_bid_price")),
                            _positive(t.get("best_ask_price")), decimal_of(t.get("mark_price")),
                            decimal_of(t.get("mark_iv")) / _PERCENT,
                            decimal_of(t.get("underlying_price")), decimal_of(t.get("index_price")))

    async def index_price(self, underlying: str) -> Decimal:
        t = await self._raw(f"{underlying}-PERPETUAL")
        return decimal_of(t.get("index_price"))


async def catalog(url: str) -> Any:
    """A ccxt.deribit client pointed at `url`, its markets loaded (close it after)."""
    exchange = ccxt_async.deribit({"enableRateLimit": False})
    exchange.urls["api"] = {**exchange.urls["api"], **deribit_ccxt_urls(url)}
    try:
        await exchange.load_markets()
    except Exception:
        await exchange.close()
        raise
    return exchange


def credentials(url: str) -> tuple[str, str]:
    """API key and secret from the environment; simex's demo account on loopback only."""
    key, secret = os.environ.get(KEY_ENV), os.environ.get(SECRET_ENV)
    if key and secret:
        return key, secret
    if "//127.0.0.1" in url or "//localhost" in url:
        from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET

        return DEFAULT_API_KEY, DEFAULT_API_SECRET
    raise InvalidStrategy("venue", f"set {KEY_ENV} and {SECRET_ENV} to trade on {url}")


def start_venue(url: str, name: str, symbols: Sequence[str]) -> DeribitVenue:
    """A DeribitVenue for `symbols` only (not started: use `async with`)."""
    key, secret = credentials(url)
    return DeribitVenue(CexVenueConfig(name, key, secret, exchange_id="deribit",
                                       urls=deribit_ccxt_urls(url), symbols=tuple(symbols),
                                       fill_poll_s=0.5))


async def account_portfolio(venue: DeribitVenue, board: DeribitBoard,
                            now_ns: int) -> Portfolio:
    """The account as the margin engine sees it: cash per coin, options and perpetuals."""
    positions: list[Position] = [SpotBalance(venue.name, a.currency, a.balance)
                                 for a in await venue.accounts() if a.balance]
    for held in await venue.positions():
        contract = venue.contract(held.symbol)
        if contract.kind == "option":
            instrument = from_deribit_name(contract.instrument)
            ticker = await board.ticker(instrument)
            positions.append(option_position(ticker, venue.name, contract.instrument,
                                             days_to_expiry(instrument, now_ns), held.size))
        elif contract.kind != "swap":
            # fail closed: a dated future the preview cannot value would understate margin
            raise InvalidStrategy("account", f"{contract.instrument}: dated futures in the "
                                             "account are not valued by the preview yet")
        else:
            index = await board.index_price(contract.underlying)
            positions.append(PerpetualPosition(venue.name, contract.instrument,
                                               contract.underlying, held.size / index,
                                               held.average_price))
    portfolio = Portfolio()
    for position in positions:
        portfolio = portfolio.with_position(position)
    return portfolio
