"""The real, unmodified ccxt.binance (REST) and ccxt.pro binance (streams) against simex."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import aiohttp
import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import pytest

from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    MakerConfig,
    SimexConfig,
    SimexServer,
)

pytestmark = pytest.mark.integration


def client(server: SimexServer, key: str = DEFAULT_API_KEY,
           secret: str = DEFAULT_API_SECRET) -> Any:
    exchange = ccxt_pro.binance({"apiKey": key, "secret": secret})
    exchange.urls["api"] = {**exchange.urls["api"], **server.ccxt_urls()}
    return exchange


@pytest.fixture
async def user(simex: SimexServer) -> AsyncIterator[Any]:
    exchange = client(simex)
    yield exchange
    await exchange.close()


@pytest.fixture
async def counterparty(simex: SimexServer) -> AsyncIterator[Any]:
    simex.engine.add_account("mm-key", "mm-secret", {"USDC": D(10**7), "WETH": D(1000)})
    exchange = client(simex, "mm-key", "mm-secret")
    yield exchange
    await exchange.close()


async def assert_balances_agree(exchange: Any, simex: SimexServer) -> None:
    raw = (await exchange.fetch_balance())["info"]["balances"]
    ours = {b["asset"]: (D(b["free"]), D(b["locked"])) for b in raw}
    truth = {a: (b.free, b.locked) for a, b in simex.engine.accounts[DEFAULT_API_KEY]
             .balances.items()}
    assert ours == truth


async def test_place_partial_fill_fill_cancel_with_fills_from_user_stream(
        simex: SimexServer, user: Any, counterparty: Any) -> None:
    trades: list[dict[str, Any]] = []

    async def collect() -> None:
        while True:
            trades.extend(await user.watch_my_trades("WETH/USDC"))

    watcher = asyncio.create_task(collect())
    await user.load_markets()
    await asyncio.sleep(0.2)  # the WS-API subscription is up
    placed = await user.create_order("WETH/USDC", "limit", "sell", 2, 3000,
                                     {"newClientOrderId": "cb-sell-1"})
    assert placed["status"] == "open" and placed["clientOrderId"] == "cb-sell-1"
    await assert_balances_agree(user, simex)

    await counterparty.create_order("WETH/USDC", "market", "buy", 0.5)
    order = await user.fetch_order(None, "WETH/USDC", {"origClientOrderId": "cb-sell-1"})
    assert (order["status"], order["filled"], order["remaining"]) == ("open", 0.5, 1.5)
    assert order["info"]["status"] == "PARTIALLY_FILLED"
    await assert_balances_agree(user, simex)

    await counterparty.create_order("WETH/USDC", "market", "buy", 1.5)
    order = await user.fetch_order(placed["id"], "WETH/USDC")
    assert order["status"] == "closed" and order["filled"] == 2
    await assert_balances_agree(user, simex)

    resting = await user.create_order("WETH/USDC", "limit", "buy", 1, 2500,
                                      {"newClientOrderId": "cb-buy-1"})
    canceled = await user.cancel_order(resting["id"], "WETH/USDC")
    assert canceled["status"] == "canceled"
    await assert_balances_agree(user, simex)
    assert simex.engine.accounts[DEFAULT_API_KEY].balance("USDC").locked == 0

    for _ in range(50):
        if len(trades) >= 2:
            break
        await asyncio.sleep(0.05)
    watcher.cancel()
    # the stream's trades are simex's own record, price, size and fee
    assert sorted((t["id"], t["amount"], t["price"], t["fee"]["cost"]) for t in trades) == [
        ("1", 0.5, 3000.0, 1.5), ("2", 1.5, 3000.0, 4.5)]
    mine = await user.fetch_my_trades("WETH/USDC")
    assert [t["id"] for t in mine] == ["1", "2"]
    ticker = await user.fetch_ticker("WETH/USDC")
    assert (ticker["last"], ticker["baseVolume"], ticker["bid"]) == (3000.0, 2.0, None)
    public = await user.fetch_trades("WETH/USDC")
    assert [(t["amount"], t["side"]) for t in public] == [(0.5, "buy"), (1.5, "buy")]


async def test_order_rejections_carry_binance_codes(simex: SimexServer, user: Any) -> None:
    await user.load_markets()
    with pytest.raises(ccxt_async.InvalidOrder, match="PRICE_FILTER"):
        # through ccxt's implicit API: create_order would round the price to the tick itself
        await user.private_post_order({"symbol": "WETHUSDC", "side": "BUY", "type": "LIMIT",
                                       "timeInForce": "GTC", "quantity": "1",
                                       "price": "3000.001"})
    cases = [
        # ccxt maps Binance's exact message onto its class: the spelling is the real one
        ((1000, 3000), ccxt_async.InsufficientFunds, "insufficient balance"),
        ((0.001, 3000), ccxt_async.BadRequest, "Filter failure: NOTIONAL"),
    ]
    for (amount, price), error, text in cases:
        with pytest.raises(error) as refused:
            await user.create_order("WETH/USDC", "limit", "buy", amount, price)
        assert text in str(refused.value)
    await user.create_order("WETH/USDC", "limit", "buy", 1, 2000, {"newClientOrderId": "dup"})
    with pytest.raises(ccxt_async.InvalidOrder, match="Duplicate order sent"):
        await user.create_order("WETH/USDC", "limit", "buy", 1, 2000,
                                {"newClientOrderId": "dup"})
    with pytest.raises(ccxt_async.OrderNotFound, match="-2013"):
        await user.fetch_order(None, "WETH/USDC", {"origClientOrderId": "never-placed"})


async def test_bad_signature_and_stale_timestamp_are_rejected(simex: SimexServer) -> None:
    wrong = client(simex, DEFAULT_API_KEY, "not-the-secret")
    with pytest.raises(ccxt_async.AuthenticationError, match="-1022"):
        await wrong.fetch_balance()
    await wrong.close()

    def signed(query: str, secret: str = DEFAULT_API_SECRET) -> str:
        signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        return f"{query}&signature={signature}"

    now = int(time.time() * 1000)
    headers = {"X-MBX-APIKEY": DEFAULT_API_KEY}
    async with aiohttp.ClientSession(headers=headers) as http:
        url = f"{simex.rest_url}/api/v3/account?"
        tampered = signed(f"timestamp={now}").replace(f"timestamp={now}",
                                                      f"timestamp={now + 1}")
        stale = signed(f"timestamp={now - 10_000}&recvWindow=5000")
        for query, code in ((tampered, -1022), (stale, -1021), (signed(f"timestamp={now}"), 0)):
            async with http.get(url + query) as answer:
                body = await answer.json()
                assert body.get("code", 0) == code, body


async def test_watch_order_book_equals_rest_depth_while_makers_requote() -> None:
    server = SimexServer(SimexConfig(makers=MakerConfig(refresh_ms=30)))
    async with server:
        exchange = client(server)
        try:
            for _ in range(5):
                book = await exchange.watch_order_book("WETH/USDC")
            await server.stop_makers()
            await asyncio.sleep(0.2)
            book = exchange.orderbooks["WETH/USDC"]
            rest = await exchange.fetch_order_book("WETH/USDC", 1000)
            assert book["nonce"] == rest["nonce"]
            assert book["bids"][:20] == rest["bids"][:20]
            assert book["asks"][:20] == rest["asks"][:20]
        finally:
            await exchange.close()
