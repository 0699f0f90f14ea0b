"""Several simex exchanges at once, makers following a price source, faults over HTTP,
and a request-weight budget that keeps the venue under the limit."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D
from typing import Any

import aiohttp
import pytest

from chain.devnet import connect
from connectors.cex import CexVenue, CexVenueConfig
from connectors.orders import OrderKind, OrderRequest, VenueOrderStatus
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    MakerConfig,
    PoolPriceFollower,
    SimexConfig,
    SimexServer,
    SymbolConfig,
)
from connectors.simex.matching import OrderSide
from connectors.venue import Side

pytestmark = pytest.mark.integration


def venue_for(server: SimexServer, **overrides: Any) -> CexVenue:
    return CexVenue(CexVenueConfig(server.config.name, DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                   urls=server.ccxt_urls(), request_timeout_s=1.0,
                                   **overrides))


async def test_two_exchanges_with_different_names_fees_and_books_run_side_by_side() -> None:
    eth = (SymbolConfig(base="WETH", quote="USDC", reference_price=D(3000)),)
    first = SimexServer(SimexConfig(name="simex-a", taker_fee=D("0.001"), symbols=eth))
    second = SimexServer(SimexConfig(
        name="simex-b", taker_fee=D("0.0005"),
        symbols=(SymbolConfig(base="WETH", quote="USDC", reference_price=D(3100)),)))
    async with first, second, venue_for(first) as a, venue_for(second) as b:
        assert first.port != second.port
        assert (a.markets()[0].taker_fee, b.markets()[0].taker_fee) == (D("0.001"),
                                                                        D("0.0005"))
        quote_a = await a.quote("WETH/USDC", Side.BUY, D(1))
        quote_b = await b.quote("WETH/USDC", Side.BUY, D(1))
        assert quote_a.avg_price < 3050 < quote_b.avg_price
        report = await a.place(OrderRequest("cb-two-1", "WETH/USDC", Side.BUY,
                                            OrderKind.MARKET, D(1)))
        assert report.status is VenueOrderStatus.FILLED
        assert first.engine.account_trades[DEFAULT_API_KEY]
        assert not second.engine.account_trades[DEFAULT_API_KEY]


async def test_makers_follow_a_price_source() -> None:
    prices = {"WETH/USDC": D(2000)}
    server = SimexServer(SimexConfig(makers=MakerConfig(refresh_ms=20)),
                         price_source=prices.get)
    async with server:
        await asyncio.sleep(0.1)
        book = server.engine.books["WETHUSDC"]
        assert abs((book.best(OrderSide.BUY) + book.best(OrderSide.SELL)) / 2 - 2000) < 2
        prices["WETH/USDC"] = D(2100)
        await asyncio.sleep(0.1)
        assert abs((book.best(OrderSide.BUY) + book.best(OrderSide.SELL)) / 2 - 2100) < 2
        # a symbol the source does not know keeps its random walk near its reference
        wbtc = server.engine.books["WBTCUSDC"]
        assert abs(wbtc.best(OrderSide.BUY) / 60000 - 1) < D("0.01")


async def test_drop_ws_over_http_reconnects_and_resyncs_the_book() -> None:
    server = SimexServer(SimexConfig(makers=MakerConfig(refresh_ms=20, levels=3)))
    async with server, venue_for(server, backoff_cap_s=0.2) as venue:
        before = venue.reconnects
        async with aiohttp.ClientSession() as http, http.post(
                f"{server.rest_url}/simex/faults", json={"drop_ws": True}) as answer:
            assert answer.status == 200
        deadline = time.monotonic() + 5
        while venue.reconnects < before + 2 or not venue.books["WETH/USDC"].synced:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        await server.stop_makers()
        book, truth = venue.books["WETH/USDC"], server.engine.books["WETHUSDC"]
        while book.last_update_id != truth.last_update_id:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        bids, asks = truth.snapshot(5000)
        assert book.bids == dict(bids) and book.asks == dict(asks)


async def test_weight_budget_keeps_the_venue_under_the_limit() -> None:
    server = SimexServer(SimexConfig(makers=MakerConfig(enabled=False), weight_limit=100,
                                     weight_window_s=1))
    async with server, venue_for(server, symbols=("WETH/USDC",)) as venue:
        assert (venue.budget.limit, venue.budget.window_s) == (100, 1.0)
        for _ in range(6):
            await venue.balances()
        assert server.rate_limited == 0 and server.bans == 0
        assert venue.budget.waits > 0


async def test_makers_follow_the_devnet_pool_price(devnet: dict[str, Any]) -> None:
    follower = PoolPriceFollower(connect(devnet["rpc_url"]), devnet)
    pool_price = follower.refresh()["WETH/USDC"]
    server = SimexServer(SimexConfig(makers=MakerConfig(refresh_ms=50)),
                         price_source=follower)
    async with server:
        await asyncio.sleep(0.2)
        book = server.engine.books["WETHUSDC"]
        mid = (book.best(OrderSide.BUY) + book.best(OrderSide.SELL)) / 2
        assert abs(mid / pool_price - 1) < D("0.001")

