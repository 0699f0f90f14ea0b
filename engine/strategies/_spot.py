"""A spot hedge venue for the strategies: a Binance-dialect exchange (simex, or Binance) reached
through ccxt.binance (`CexVenue`), trading the hedge asset mapped to the options' underlying
(`DEFAULT_HEDGE_ASSETS`: ETH -> WETH/USDC, BTC -> WBTC/USDC, simex's pairs).

Keys come from HEDGE_API_KEY / HEDGE_API_SECRET; simex's demo account on loopback only.
"""

from __future__ import annotations

import os
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from connectors.cex import CexVenue, CexVenueConfig
from connectors.venue import Market
from engine.model import Side
from engine.strategies._errors import InvalidStrategy, NotListed
from engine.strategies._hedge import HedgeAssets
from risk.margin import SpotBalance

KEY_ENV, SECRET_ENV = "HEDGE_API_KEY", "HEDGE_API_SECRET"
DEFAULT_HEDGE_ASSETS = HedgeAssets({"ETH": ("WETH/USDC", "WETH"),
                                    "BTC": ("WBTC/USDC", "WBTC")})
_BPS = Decimal(10_000)


def credentials(url: str) -> tuple[str, str]:
    key, secret = os.environ.get(KEY_ENV), os.environ.get(SECRET_ENV)
    if key and secret:
        return key, secret
    if "//127.0.0.1" in url or "//localhost" in url:
        from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET

        return DEFAULT_API_KEY, DEFAULT_API_SECRET
    raise InvalidStrategy("hedge_venue", f"set {KEY_ENV} and {SECRET_ENV} to trade on {url}")


def spot_venue(url: str, name: str, symbol: str) -> CexVenue:
    """A CexVenue over the Binance dialect at `url` keeping `symbol`'s book (not started)."""
    from connectors.simex import binance_ccxt_urls

    key, secret = credentials(url)
    return CexVenue(CexVenueConfig(name, key, secret, urls=binance_ccxt_urls(url),
                                   symbols=(symbol,), fill_poll_s=0.5))


def market(venue: CexVenue, symbol: str) -> Market:
    found = next((m for m in venue.markets() if m.symbol == symbol), None)
    if found is None:
        raise NotListed("hedge_venue", f"{symbol} is not listed on {venue.name}")
    return found


async def balances(venue: CexVenue, symbol: str) -> tuple[SpotBalance, ...]:
    """The hedge account's coins of `symbol` (WETH and USDC) as the margin engine's spot
    balances (the account's other coins are not what the package moves)."""
    base, _, quote = symbol.partition("/")
    return tuple(SpotBalance(venue.name, asset, b.total)
                 for asset, b in sorted((await venue.balances()).items())
                 if b.total and asset in (base, quote))


def hedge_limit(touch: Decimal, side: Side, slippage_bps: int, tick: Decimal) -> Decimal:
    """The worst price for the hedge: `slippage_bps` beyond the touch, on the venue's tick,
    rounded back towards the touch."""
    factor = _BPS + slippage_bps if side is Side.BUY else _BPS - slippage_bps
    worst = touch * factor / _BPS
    rounding = ROUND_DOWN if side is Side.BUY else ROUND_UP
    return (worst / tick).to_integral_value(rounding) * tick


def touch(venue: CexVenue, symbol: str) -> tuple[Decimal | None, Decimal | None]:
    """Best bid and ask of `symbol`'s book on `venue` (None for an empty side)."""
    book = venue.books.get(symbol)
    if book is None:
        return None, None
    bids, asks = book.levels("bids", 1), book.levels("asks", 1)
    return (bids[0][0] if bids else None), (asks[0][0] if asks else None)
