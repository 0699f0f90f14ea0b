"""simex's order and trade history for the unified ccxt calls that read it: allOrders
(fetch_orders / fetch_closed_orders / fetch_canceled_orders) and myTrades' time window
(fetch_my_trades with since), through the real ccxt.binance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, SimexServer

pytestmark = pytest.mark.integration


def client(server: SimexServer, key: str, secret: str) -> Any:
    exchange = ccxt_async.binance({"apiKey": key, "secret": secret,
                                   "options": {"fetchMarkets": {"types": ["spot"]},
                                               "fetchCurrencies": False}})
    exchange.urls["api"] = {**exchange.urls["api"], **server.ccxt_urls()}
    return exchange


@pytest.fixture
async def pair(simex: SimexServer) -> AsyncIterator[tuple[Any, Any]]:
    simex.engine.add_account("mm-key", "mm-secret", {"USDC": D(10**7), "WETH": D(1000)})
    user, other = (client(simex, DEFAULT_API_KEY, DEFAULT_API_SECRET),
                   client(simex, "mm-key", "mm-secret"))
    yield user, other
    await user.close()
    await other.close()


async def test_all_orders_lists_every_status_oldest_first(pair: tuple[Any, Any]) -> None:
    user, other = pair
    await user.create_order("WETH/USDC", "limit", "sell", 1, 3000, {"clientOrderId": "h-1"})
    await user.create_order("WETH/USDC", "limit", "buy", 1, 2000, {"clientOrderId": "h-2"})
    await user.cancel_order(None, "WETH/USDC", {"clientOrderId": "h-2"})
    await user.create_order("WETH/USDC", "limit", "buy", 1, 2100, {"clientOrderId": "h-3"})
    await other.create_order("WETH/USDC", "market", "buy", 1)
    orders = await user.fetch_orders("WETH/USDC")
    assert [(o["clientOrderId"], o["status"]) for o in orders] == [
        ("h-1", "closed"), ("h-2", "canceled"), ("h-3", "open")]
    assert [o["clientOrderId"] for o in await user.fetch_closed_orders("WETH/USDC")] == ["h-1"]
    assert [o["clientOrderId"] for o in await user.fetch_canceled_orders("WETH/USDC")] == [
        "h-2"]
    # with neither orderId nor startTime, the most recent `limit` orders
    recent = await user.private_get_allorders({"symbol": "WETHUSDC", "limit": 2})
    assert [o["clientOrderId"] for o in recent] == ["h-2", "h-3"]
    from_id = await user.private_get_allorders({"symbol": "WETHUSDC", "limit": 1,
                                                "orderId": orders[1]["id"]})
    assert [o["clientOrderId"] for o in from_id] == ["h-2"]


async def test_my_trades_since_leaves_out_older_trades(pair: tuple[Any, Any]) -> None:
    user, other = pair
    await user.create_order("WETH/USDC", "limit", "sell", 2, 3000)
    await other.create_order("WETH/USDC", "market", "buy", 0.5)
    first = await user.fetch_my_trades("WETH/USDC")
    await asyncio.sleep(0.01)  # the next trade is in a later millisecond
    await other.create_order("WETH/USDC", "market", "buy", 0.5)
    trades = await user.fetch_my_trades("WETH/USDC")
    assert len(first) == 1 and len(trades) == 2
    since = await user.fetch_my_trades("WETH/USDC", first[0]["timestamp"] + 1)
    assert [t["id"] for t in since] == [trades[1]["id"]]
    inclusive = await user.fetch_my_trades("WETH/USDC", first[0]["timestamp"])
    assert [t["id"] for t in inclusive] == [t["id"] for t in trades]
    window = await user.private_get_mytrades({"symbol": "WETHUSDC",
                                              "endTime": first[0]["timestamp"]})
    assert [str(t["id"]) for t in window] == [first[0]["id"]]
