"""The real, unmodified ccxt.deribit (sync and async REST) and ccxt.pro deribit (WebSocket)
against simex's Deribit dialect on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import aiohttp
import ccxt
import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import pytest

from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET
from connectors.simex.deribit import DeribitConfig, DeribitMakerConfig, DeribitServer

pytestmark = pytest.mark.integration


@pytest.fixture
async def deribit() -> AsyncIterator[DeribitServer]:
    """Makers on (every instrument quoted), the index still (no drift), funding by hand."""
    config = DeribitConfig(makers=DeribitMakerConfig(drift_bps=D(0)),
                           funding_interval_ms=3_600_000)
    async with DeribitServer(config) as server:
        yield server


def pointed(exchange: Any, server: DeribitServer) -> Any:
    exchange.urls["api"] = {**exchange.urls["api"], **server.ccxt_urls()}
    return exchange


@pytest.fixture
async def user(deribit: DeribitServer) -> AsyncIterator[Any]:
    exchange = pointed(ccxt_pro.deribit({"apiKey": DEFAULT_API_KEY,
                                         "secret": DEFAULT_API_SECRET}), deribit)
    yield exchange
    await exchange.close()


def atm_call(markets: dict[str, Any], base: str = "BTC") -> str:
    calls = [m for m in markets.values() if m["option"] and m["base"] == base
             and m["optionType"] == "call"]
    expiry = sorted({m["expiry"] for m in calls})[2]
    return str(min((m for m in calls if m["expiry"] == expiry),
                   key=lambda m: abs(m["strike"] - 95000))["symbol"])


async def test_load_markets_when_async_client_then_options_perps_and_futures_parse(
        user: Any) -> None:
    markets = await user.load_markets()
    perp = markets["BTC/USD:BTC"]
    assert (perp["type"], perp["swap"], perp["inverse"], perp["contractSize"],
            perp["precision"]["price"], perp["limits"]["amount"]["min"]) == (
        "swap", True, True, 10, 0.5, 10)
    assert markets["ETH/USD:ETH"]["contractSize"] == 1
    futures = [m for m in markets.values() if m["future"]]
    assert {m["base"] for m in futures} == {"BTC", "ETH"} and all(
        m["expiry"] and m["settle"] == m["base"] for m in futures)
    options = [m for m in markets.values() if m["option"]]
    assert len(options) == 260
    option = markets[atm_call(markets)]
    assert (option["strike"], option["optionType"], option["contractSize"],
            option["settle"], option["precision"]["price"],
            option["limits"]["amount"]["min"]) == (95000, "call", 1, "BTC", 0.0001, 0.1)
    assert option["id"].endswith("-95000-C") and option["expiryDatetime"].endswith(
        "08:00:00.000Z")
    assert {m["optionType"] for m in options} == {"call", "put"}
    assert len({m["expiry"] for m in options if m["base"] == "ETH"}) == 5


async def test_sync_client_when_buying_a_call_then_premium_is_paid_in_coin(
        deribit: DeribitServer) -> None:
    def trade() -> dict[str, Any]:
        exchange = pointed(ccxt.deribit({"apiKey": DEFAULT_API_KEY,
                                         "secret": DEFAULT_API_SECRET}), deribit)
        markets = exchange.load_markets()
        symbol = atm_call(markets)
        book = exchange.fetch_order_book(symbol)
        before = exchange.fetch_balance({"code": "BTC"})
        order = exchange.create_order(symbol, "limit", "buy", 1, book["asks"][0][0],
                                      {"label": "cid-sync-1"})
        return {"symbol": symbol, "book": book, "before": before, "order": order,
                "after": exchange.fetch_balance({"code": "BTC"}),
                "positions": exchange.fetch_positions(),
                "trades": exchange.fetch_my_trades(symbol)}
    seen = await asyncio.to_thread(trade)
    book, order = seen["book"], seen["order"]
    assert book["bids"][0][0] < book["asks"][0][0] and book["nonce"] >= 1
    assert (order["status"], order["filled"], order["info"]["label"]) == ("closed", 1,
                                                                          "cid-sync-1")
    price = D(str(order["average"]))
    fee = min(D("0.0003"), D("0.125") * price)
    assert D(str(seen["before"]["BTC"]["total"])) == D(10)
    # cash (balance) fell by premium + fee, in BTC; equity keeps the option at its mark
    assert D(str(seen["after"]["info"]["balance"])) == D(10) - price - fee
    assert D(str(seen["after"]["BTC"]["free"])) == D(10) - price - fee
    position = next(p for p in seen["positions"] if p["symbol"] == seen["symbol"])
    assert (position["contracts"], position["side"], position["entryPrice"]) == (
        1, "long", float(price))
    [fill] = seen["trades"]
    assert (fill["side"], fill["amount"], fill["info"]["label"], fill["fee"]["currency"]) == (
        "buy", 1, "cid-sync-1", "BTC")


async def test_async_client_when_resting_editing_cancelling_a_perp_order_then_states_follow(
        user: Any) -> None:
    await user.load_markets()
    book = await user.fetch_order_book("BTC/USD:BTC")
    below = book["bids"][-1][0] - 500
    order = await user.create_order("BTC/USD:BTC", "limit", "buy", 100, below,
                                    {"label": "cid-rest"})
    assert (order["status"], order["amount"], order["filled"]) == ("open", 100, 0)
    [listed] = await user.fetch_open_orders("BTC/USD:BTC")
    assert listed["id"] == order["id"] and listed["info"]["label"] == "cid-rest"
    edited = await user.edit_order(order["id"], "BTC/USD:BTC", "limit", "buy", 200,
                                   below - 0.5)
    assert (edited["id"], edited["amount"], edited["price"]) == (order["id"], 200, below - 0.5)
    cancelled = await user.cancel_order(order["id"])
    assert cancelled["status"] == "canceled"
    fetched = await user.fetch_order(order["id"])
    assert fetched["status"] == "canceled" and not await user.fetch_open_orders()
    closed = await user.fetch_closed_orders("BTC/USD:BTC")
    assert [o["id"] for o in closed] == [order["id"]]


async def test_sell_and_buy_back_a_perp_when_filled_then_position_and_balance_agree(
        user: Any, deribit: DeribitServer) -> None:
    await user.load_markets()
    sold = await user.create_order("BTC/USD:BTC", "market", "sell", 1000)
    assert sold["status"] == "closed" and sold["filled"] == 1000
    [position] = await user.fetch_positions(params={"currency": "BTC"})
    assert (position["side"], position["contracts"]) == ("short", -1000)
    bought = await user.create_order("BTC/USD:BTC", "market", "buy", 1000,
                                     params={"reduce_only": True})
    assert bought["status"] == "closed"
    assert await user.fetch_positions() == []
    balance = await user.fetch_balance({"code": "BTC"})
    truth = deribit.engine.accounts[DEFAULT_API_KEY].cash["BTC"]
    assert D(str(balance["info"]["balance"])) == D(str(float(truth)))
    trades = await user.fetch_my_trades("BTC/USD:BTC")
    assert sorted(t["side"] for t in trades) == ["buy", "sell"]


async def test_bad_requests_when_sent_then_deribit_error_codes_become_ccxt_errors(
        user: Any, deribit: DeribitServer) -> None:
    await user.load_markets()
    with pytest.raises(ccxt_async.BadRequest, match="-32602"):
        await user.public_get_get_order_book({"instrument_name": "BTC-1JAN99-1-C"})
    with pytest.raises(ccxt_async.InsufficientFunds, match="10009"):
        await user.create_order(atm_call(user.markets), "limit", "buy", 400, 0.1)
    with pytest.raises(ccxt_async.OrderNotFound, match="10004"):
        await user.cancel_order("424242")
    order = await user.create_order("BTC/USD:BTC", "limit", "buy", 10, 50000)
    await user.cancel_order(order["id"])
    with pytest.raises(ccxt_async.InvalidOrder, match="11044"):
        await user.cancel_order(order["id"])
    with pytest.raises(ccxt_async.InvalidOrder, match="10043"):
        await user.create_order("BTC/USD:BTC", "limit", "buy", 10, 50000.3,
                                {"price": "50000.3"})
    intruder = pointed(ccxt_async.deribit({"apiKey": DEFAULT_API_KEY, "secret": "wrong"}),
                       deribit)
    try:
        with pytest.raises(ccxt_async.AuthenticationError, match="13009"):
            await intruder.private_get_get_account_summary({"currency": "BTC"})
    finally:
        await intruder.close()


async def test_public_auth_when_client_credentials_then_bearer_token_reads_the_account(
        deribit: DeribitServer) -> None:
    base = f"{deribit.rest_url}/api/v2"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/public/auth", params={
                "grant_type": "client_credentials", "client_id": DEFAULT_API_KEY,
                "client_secret": DEFAULT_API_SECRET}) as answer:
            auth = await answer.json()
        assert {"jsonrpc", "result", "usIn", "usOut", "usDiff", "testnet"} <= set(auth)
        token = auth["result"]["access_token"]
        assert auth["result"]["token_type"] == "bearer"
        rpc = {"jsonrpc": "2.0", "id": 7, "method": "private/get_account_summary",
               "params": {"currency": "ETH"}}
        async with http.post(base, json=rpc,
                             headers={"Authorization": f"Bearer {token}"}) as answer:
            summary = await answer.json()
        assert summary["id"] == 7 and summary["result"]["equity"] == 100
        async with http.post(base, json=rpc,
                             headers={"Authorization": "Bearer not-a-token"}) as answer:
            refused = await answer.json()
        assert refused["error"]["code"] == 13009 and "result" not in refused
        async with http.get(f"{base}/public/auth", params={
                "grant_type": "client_credentials", "client_id": DEFAULT_API_KEY,
                "client_secret": "nope"}) as answer:
            assert (await answer.json())["error"]["code"] == 13004


async def test_funding_when_applied_then_a_long_perp_pays_in_coin(
        user: Any, deribit: DeribitServer) -> None:
    await user.load_markets()
    await user.create_order("BTC/USD:BTC", "market", "buy", 9500)
    before = D(str((await user.fetch_balance({"code": "BTC"}))["info"]["balance"]))
    deribit.publish(deribit.engine.apply_funding(8 * 3_600_000))
    after = D(str((await user.fetch_balance({"code": "BTC"}))["info"]["balance"]))
    ticker = await user.fetch_ticker("BTC/USD:BTC")
    rate = D(str(ticker["info"]["funding_8h"]))
    assert rate > 0
    assert after == pytest.approx(before - D(9500) / D(95000) * rate, abs=D("1e-9"))
    [position] = await user.fetch_positions()
    assert position["info"]["realized_funding"] < 0


async def test_streams_when_authenticated_by_signature_then_book_orders_and_trades_arrive(
        user: Any) -> None:
    await user.load_markets()
    symbol = atm_call(user.markets)
    book = await asyncio.wait_for(user.watch_order_book(symbol), 5)
    assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
    orders_task = asyncio.ensure_future(user.watch_orders())
    trades_task = asyncio.ensure_future(user.watch_my_trades())
    await asyncio.sleep(0.3)  # both subscriptions are in before the order
    rest = await user.fetch_order_book(symbol)
    placed = await user.create_order(symbol, "limit", "buy", 1, rest["asks"][0][0],
                                     {"label": "cid-ws"})
    orders = await asyncio.wait_for(orders_task, 5)
    trades = await asyncio.wait_for(trades_task, 5)
    assert placed["id"] in {o["id"] for o in orders}
    assert trades[0]["order"] == placed["id"] and trades[0]["info"]["label"] == "cid-ws"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the book stream follows the fill
        book = await asyncio.wait_for(user.watch_order_book(symbol), 5)
        if book["asks"][0] != [rest["asks"][0][0], rest["asks"][0][1]]:
            break
    assert book["asks"][0] != [rest["asks"][0][0], rest["asks"][0][1]]


async def test_ticker_trades_and_balance_streams_when_a_trade_prints_then_each_updates(
        user: Any) -> None:
    await user.load_markets()
    symbol = "ETH/USD:ETH"
    first = await asyncio.wait_for(user.watch_ticker(symbol), 5)
    assert first["info"]["funding_8h"] > 0 and first["markPrice"] > 0
    trades_task = asyncio.ensure_future(user.watch_trades(symbol))
    balance_task = asyncio.ensure_future(user.watch_balance())
    await asyncio.sleep(0.3)
    await user.create_order(symbol, "market", "buy", 5)
    trades = await asyncio.wait_for(trades_task, 5)
    assert trades[-1]["side"] == "buy" and trades[-1]["amount"] == 5
    balance = await asyncio.wait_for(balance_task, 5)
    assert balance["info"]["currency"] == "ETH" and balance["info"]["balance"] < 100
    ticker = await asyncio.wait_for(user.watch_ticker(symbol), 5)
    assert ticker["last"] == trades[-1]["price"]


async def test_option_ticker_when_fetched_then_greeks_and_ivs_around_the_surface(
        user: Any) -> None:
    await user.load_markets()
    symbol = atm_call(user.markets)
    greeks = await user.fetch_greeks(symbol)
    assert 0.4 < greeks["delta"] < 0.7 and greeks["vega"] > 0 and greeks["theta"] < 0
    ticker = (await user.fetch_ticker(symbol))["info"]
    assert ticker["bid_iv"] < ticker["mark_iv"] < ticker["ask_iv"]
    assert 50 < ticker["mark_iv"] < 60  # the configured ATM vol of that expiry is 56%


async def test_expiry_when_delivered_then_the_option_pays_in_coin_and_leaves_the_listing(
        user: Any, deribit: DeribitServer) -> None:
    markets = await user.load_markets()
    first_expiry = min(m["expiry"] for m in markets.values() if m["option"])
    symbol = next(m["symbol"] for m in markets.values() if m["option"]
                  and m["expiry"] == first_expiry and m["strike"] == 90000
                  and m["optionType"] == "call")
    book = await user.fetch_order_book(symbol)
    await user.create_order(symbol, "limit", "buy", 1, book["asks"][0][0])
    before = D(str((await user.fetch_balance({"code": "BTC"}))["info"]["balance"]))
    await deribit.stop_makers()
    deribit.clock_offset_ms = first_expiry - deribit.now_ms() + 1  # jump to the expiry
    deribit.publish(deribit.engine.settle_expired())
    deribit.clock_offset_ms = 0
    after = D(str((await user.fetch_balance({"code": "BTC"}))["info"]["balance"]))
    intrinsic = (D(95000) - D(90000)) / D(95000)  # in BTC, to the simulator's 1e-10
    assert after - before == pytest.approx(intrinsic, abs=D("1e-10"))
    assert await user.fetch_positions() == []
    user.markets = None
    reloaded = await user.load_markets(reload=True)
    assert symbol not in reloaded and "BTC/USD:BTC" in reloaded
    expired = await user.public_get_get_instruments({"currency": "BTC", "expired": "true"})
    assert markets[symbol]["id"] in {i["instrument_name"] for i in expired["result"]}
    with pytest.raises(ccxt_async.ExchangeError, match="10012"):
        await user.private_get_buy({"instrument_name": markets[symbol]["id"], "amount": 1,
                                    "type": "limit", "price": 0.05})


async def test_market_data_calls_when_made_by_ccxt_then_answered_from_books_and_surface(
        user: Any) -> None:
    markets = await user.load_markets()
    await user.create_order("BTC/USD:BTC", "market", "buy", 100)
    tickers = await user.fetch_tickers(params={"code": "BTC"})
    assert len(tickers) == sum(1 for m in markets.values() if m["base"] == "BTC")
    assert all(t["bid"] < t["ask"] for t in tickers.values() if t["bid"] and t["ask"])
    funding = await user.fetch_funding_rate("BTC/USD:BTC")
    assert funding["info"]["result"] == 0.0005  # one 8-hour period at the damped rate
    chain = await user.fetch_option_chain("BTC")
    assert len(chain) == sum(1 for m in markets.values() if m["option"] and m["base"] == "BTC")
    option = await user.fetch_option(atm_call(markets))
    assert option["bidPrice"] < option["markPrice"] < option["askPrice"]
    assert (await user.fetch_open_interest("BTC/USD:BTC"))["openInterestValue"] == 100
    [printed] = await user.fetch_trades("BTC/USD:BTC")
    assert (printed["side"], printed["amount"]) == ("buy", 100)
    assert (await user.fetch_time()) == pytest.approx(time.time() * 1000, abs=5000)
