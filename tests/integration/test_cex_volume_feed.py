"""CexVenue as a VolumeFeed against simex, in both dialects through the real ccxt client: the
public tape as trades (Binance: aggTrades; ccxt: fetch_trades) and, when the caller's buckets
allow, as 1 s bars (Binance: klines; ccxt: fetch_ohlcv), each print where simex put it."""

from __future__ import annotations

import time
from decimal import Decimal as D

import pytest

from connectors.cex import CexVenue, CexVenueConfig
from connectors.errors import InvalidQuoteRequest
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, SimexServer
from connectors.simex.matching import NewOrder, OrderKind, OrderSide, Stp, Tif
from connectors.volume import VolumeFeed

pytestmark = pytest.mark.integration
SECOND = 10**9


def trade_at(simex: SimexServer, at_ms: int, qty: D, tag: str) -> None:
    """A maker's ask taken by another account's market buy, printed at `at_ms`."""
    simex.clock_offset_ms = at_ms - time.time_ns() // 1_000_000
    try:
        for order in (NewOrder("feed-maker", "WETHUSDC", OrderSide.SELL, OrderKind.LIMIT,
                               Tif.GTC, qty, None, D(3000), f"ask-{tag}", Stp.NONE),
                      NewOrder("feed-taker", "WETHUSDC", OrderSide.BUY, OrderKind.MARKET, None,
                               qty, None, None, f"buy-{tag}", Stp.NONE)):
            _, out = simex.engine.new_order(order)
            simex.publish(out)
    finally:
        simex.clock_offset_ms = 0


@pytest.mark.parametrize("dialect", ["binance", "ccxt"])
async def test_recent_trades_when_simex_traded_then_trades_or_bars_as_the_buckets_allow(
        simex: SimexServer, dialect: str) -> None:
    simex.engine.add_account("feed-maker", "x", {"WETH": D(100)})
    simex.engine.add_account("feed-taker", "y", {"USDC": D(10**6)})
    since_s = time.time_ns() // SECOND - 30
    trade_at(simex, (since_s - 2) * 1000 + 100, D(5), "old")  # before: not asked for
    trade_at(simex, (since_s + 3) * 1000 + 250, D("0.5"), "a")
    trade_at(simex, (since_s + 3) * 1000 + 750, D("0.25"), "b")
    trade_at(simex, (since_s + 17) * 1000 + 10, D(2), "c")
    config = CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                            urls=simex.ccxt_urls(), symbols=("WETH/USDC",), dialect=dialect,
                            streams=False)
    async with CexVenue(config) as venue:
        assert isinstance(venue, VolumeFeed)
        trades = await venue.recent_trades("WETH/USDC", since_s * SECOND)
        # to the tenth of a second (a print may land a millisecond after it was aimed)
        assert [((ts - since_s * SECOND) // 10**8, qty) for ts, qty in trades] == [
            (32, D("0.5")), (37, D("0.25")), (170, D(2))]
        bars = await venue.recent_trades("WETH/USDC", since_s * SECOND, 5 * SECOND)
        # 1 s bars (the longest kline dividing 5 s), stamped at their open, empty ones left out
        assert bars == [((since_s + 3) * SECOND, D("0.75")), ((since_s + 17) * SECOND, D(2))]
        with pytest.raises(InvalidQuoteRequest, match="since_ns"):
            await venue.recent_trades("WETH/USDC", -1)
        with pytest.raises(InvalidQuoteRequest, match="symbol"):
            await venue.recent_trades("DOGE/USDC", since_s * SECOND)
