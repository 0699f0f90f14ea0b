"""The CEX venue's ccxt dialect (ccxt's unified API only) against simex, through the real
`ccxt.binance` with dialect="ccxt" forced: nothing Binance-specific is spoken by our code, so
what passes here is what any ccxt exchange id gets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal as D
from typing import Any

import ccxt.async_support as ccxt_async
import pytest

from connectors.cex import CcxtDialect, CexVenue, CexVenueConfig, VenueRejected
from connectors.orders import OrderKind, OrderRequest, TimeInForce, VenueOrderStatus
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    MakerConfig,
    SimexConfig,
    SimexServer,
)
from connectors.simex.matching import NewOrder, OrderSide, Stp
from connectors.simex.matching import OrderKind as SimKind
from connectors.venue import Side, Venue

pytestmark = pytest.mark.integration

WETH = "WETH/USDC"


def ccxt_venue(server: SimexServer, **overrides: Any) -> CexVenue:
    settings: dict[str, Any] = {"dialect": "ccxt", "streams": False, "request_timeout_s": 0.5,
                                "book_audit_idle_s": 0.3,
                                "recv_window_ms": 500, "fill_poll_s": 0.3, "book_poll_s": 0.2,
                                "backoff_cap_s": 0.3, "symbols": (WETH,)}
    settings.update(overrides)
    return CexVenue(CexVenueConfig(server.config.name, DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                   urls=server.ccxt_urls(), **settings))


def dialect_of(venue: CexVenue) -> CcxtDialect:
    assert isinstance(venue.dialect, CcxtDialect)
    return venue.dialect


async def eventually(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def counterparty(simex: SimexServer, side: OrderSide, qty: str, tag: str) -> None:
    """A market order of another account: fills whatever of ours rests at the top."""
    _, out = simex.engine.new_order(NewOrder("mm", "WETHUSDC", side, SimKind.MARKET, None,
                                             D(qty), None, None, tag, Stp.NONE))
    simex.publish(out)


async def balances_agree(venue: CexVenue, simex: SimexServer) -> None:
    ours = {a: (b.free, b.locked) for a, b in (await venue.balances()).items()}
    truth = {a: (b.free, b.locked)
             for a, b in simex.engine.accounts[DEFAULT_API_KEY].balances.items()}
    assert ours == truth


@pytest.fixture
async def venue(simex: SimexServer) -> AsyncIterator[CexVenue]:
    simex.engine.add_account("mm", "mm-secret", {"WETH": D(100), "USDC": D(10**6)})
    async with ccxt_venue(simex) as cex:
        yield cex


async def test_markets_fees_and_rate_limit_come_from_the_unified_api(
        simex: SimexServer) -> None:
    async with ccxt_venue(simex, symbols=()) as venue:
        check_markets(venue, simex)


def check_markets(venue: CexVenue, simex: SimexServer) -> None:
    assert isinstance(venue, Venue) and isinstance(venue.dialect, CcxtDialect)
    assert len(venue.markets()) == len(simex.config.symbols) == 2
    for spec in simex.config.symbols:
        market = next(m for m in venue.markets() if m.symbol == f"{spec.base}/{spec.quote}")
        assert (market.lot_size, market.tick_size, market.min_qty, market.min_notional) == (
            spec.lot_size, spec.tick_size, spec.min_qty, spec.min_notional)
        assert market.taker_fee == D("0.001")  # ccxt's binance spot fee, simex's default
    # ccxt.binance's rateLimit is 50 ms: 20 requests a second, of which we use 80%
    assert (venue.budget.limit, venue.budget.window_s) == (20, 1.0)


async def test_requests_are_paced_under_the_rate_limit(venue: CexVenue) -> None:
    window = int(time.time())
    while int(time.time()) == window:  # start at the beginning of a window
        await asyncio.sleep(0.01)
    waits = venue.budget.waits
    for _ in range(20):  # 16 fit in one second's budget: the rest wait for the next
        await venue.balances()
    assert venue.budget.waits > waits and int(time.time()) > window + 1


async def test_place_partial_fill_fill_cancel_with_balances_and_polled_fills(
        venue: CexVenue, simex: SimexServer) -> None:
    placed = await venue.place(OrderRequest("cg-sell-1", WETH, Side.SELL, OrderKind.LIMIT,
                                            D(2), D(3000)))
    assert placed.status is VenueOrderStatus.OPEN and placed.client_order_id == "cg-sell-1"
    await balances_agree(venue, simex)

    counterparty(simex, OrderSide.BUY, "0.5", "mm-1")
    partial = await venue.query("cg-sell-1", WETH)
    assert partial is not None and partial.status is VenueOrderStatus.PARTIALLY_FILLED
    assert (partial.filled_qty, partial.avg_price) == (D("0.5"), D(3000))
    await balances_agree(venue, simex)

    counterparty(simex, OrderSide.BUY, "1.5", "mm-2")
    filled = await venue.query("cg-sell-1", WETH)
    assert filled is not None and filled.status is VenueOrderStatus.FILLED
    assert (filled.filled_qty, filled.filled_quote) == (D(2), D(6000))
    await balances_agree(venue, simex)

    resting = await venue.place(OrderRequest("cg-buy-1", WETH, Side.BUY, OrderKind.LIMIT,
                                             D(1), D(2500)))
    assert (await venue.balances())["USDC"].locked == D(2500)
    canceled = await venue.cancel("cg-buy-1", WETH)
    assert canceled.status is VenueOrderStatus.CANCELED
    assert (canceled.client_order_id, canceled.venue_order_id) == ("cg-buy-1",
                                                                    resting.venue_order_id)
    await balances_agree(venue, simex)
    with pytest.raises(VenueRejected, match="OrderNotFound"):
        await venue.cancel("cg-buy-1", WETH)

    await eventually(lambda: len(venue.fills) == 2)
    await asyncio.sleep(0.3)  # several more polls: nothing is delivered twice
    assert [(f.client_order_id, f.trade_id, f.qty, f.price, f.fee, f.fee_asset)
            for f in venue.fills] == [("cg-sell-1", "1", D("0.5"), D(3000), D("1.5"), "USDC"),
                                      ("cg-sell-1", "2", D("1.5"), D(3000), D("4.5"), "USDC")]
    assert {f.side for f in venue.fills} == {Side.SELL}
    assert await venue.poll_fills() == 0


async def test_post_only_and_ioc_map_onto_unified_params(venue: CexVenue,
                                                         simex: SimexServer) -> None:
    _, out = simex.engine.new_order(NewOrder("mm", "WETHUSDC", OrderSide.SELL, SimKind.LIMIT,
                                             None, D(1), None, D(3000), "mm-ask", Stp.NONE))
    simex.publish(out)
    refused = await venue.place(OrderRequest("cg-pm-1", WETH, Side.BUY,
                                             OrderKind.LIMIT_MAKER, D(1), D(3000)))
    assert refused.status is VenueOrderStatus.REJECTED
    assert refused.reason.startswith("OrderImmediatelyFillable:")
    assert await venue.query("cg-pm-1", WETH) is None
    ioc = await venue.place(OrderRequest("cg-ioc-1", WETH, Side.BUY, OrderKind.LIMIT, D(3),
                                         D(3000), TimeInForce.IOC))
    assert ioc.status is VenueOrderStatus.EXPIRED
    assert (ioc.filled_qty, ioc.avg_price) == (D(1), D(3000))
    await eventually(lambda: len(venue.fills) == 1)
    assert (venue.fills[0].client_order_id, venue.fills[0].fee_asset) == ("cg-ioc-1", "WETH")
    await balances_agree(venue, simex)


async def test_query_and_cancel_by_search_where_client_id_lookup_is_not_available(
        venue: CexVenue, simex: SimexServer) -> None:
    dialect_of(venue).by_client_id = False  # as learned from an exchange that lacks it
    await venue.place(OrderRequest("cg-s-1", WETH, Side.BUY, OrderKind.LIMIT, D(1), D(2500)))
    await venue.place(OrderRequest("cg-s-2", WETH, Side.BUY, OrderKind.LIMIT, D(1), D(2400)))
    found = await venue.query("cg-s-2", WETH)  # among the open orders
    assert found is not None and found.status is VenueOrderStatus.OPEN
    canceled = await venue.cancel("cg-s-1", WETH)
    assert canceled.status is VenueOrderStatus.CANCELED
    gone = await venue.query("cg-s-1", WETH)  # among all orders (allOrders)
    assert gone is not None and gone.status is VenueOrderStatus.CANCELED
    assert await venue.query("cg-never", WETH) is None
    with pytest.raises(VenueRejected, match="OrderNotFound"):
        await venue.cancel("cg-never", WETH)
    await balances_agree(venue, simex)


async def test_each_book_snapshot_replaces_the_book_with_the_nonce_as_sequence() -> None:
    server = SimexServer(SimexConfig(makers=MakerConfig(refresh_ms=30, levels=5)))
    async with server, ccxt_venue(server) as venue:
        sequences: list[int] = []
        for _ in range(5):
            sequence = (await venue.quote(WETH, Side.BUY, D(1))).stamp.sequence
            assert sequence is not None
            sequences.append(sequence)
            await asyncio.sleep(0.1)
        assert sequences == sorted(sequences) and sequences[0] != sequences[-1]
        await server.stop_makers()
        truth = server.engine.books["WETHUSDC"]
        book = venue.books[WETH]
        await eventually(lambda: book.last_update_id == truth.last_update_id)
        snapshot = await venue.exchange.fetch_order_book(WETH, 1000)
        assert book.bids == {D(str(p)): D(str(q)) for p, q in snapshot["bids"]}
        assert book.asks == {D(str(p)): D(str(q)) for p, q in snapshot["asks"]}
        quote = await venue.quote(WETH, Side.SELL, D(1))
        assert quote.stamp.sequence == snapshot["nonce"]


async def test_accepted_but_never_answered_leads_to_exactly_one_order(
        venue: CexVenue, simex: SimexServer) -> None:
    simex.faults.never_answer_orders = 1
    report = await venue.place(OrderRequest("cg-lost-1", WETH, Side.BUY, OrderKind.LIMIT,
                                            D(1), D(2500)))
    assert report.status is VenueOrderStatus.OPEN and report.client_order_id == "cg-lost-1"
    assert venue.unknown_resolved == 1
    at_venue = [o for o in simex.engine.orders.values() if o.client_order_id == "cg-lost-1"]
    assert len(at_venue) == 1 and simex.orders_received == 1
    counterparty(simex, OrderSide.SELL, "1", "mm-lost")
    await eventually(lambda: len(venue.fills) == 1)
    assert venue.fills[0].client_order_id == "cg-lost-1"
    final = await venue.query("cg-lost-1", WETH)
    assert final is not None and final.status is VenueOrderStatus.FILLED
    assert final.filled_qty == 1 and final.avg_price == 2500
    await balances_agree(venue, simex)


async def test_order_lost_before_the_venue_is_sent_again_with_the_same_client_id(
        venue: CexVenue, simex: SimexServer) -> None:
    simex.faults.http_5xx = 1
    report = await venue.place(OrderRequest("cg-5xx-1", WETH, Side.BUY, OrderKind.LIMIT,
                                            D(1), D(2500)))
    assert report.status is VenueOrderStatus.OPEN
    assert [o.client_order_id for o in simex.engine.orders.values()] == ["cg-5xx-1"]


async def test_429_backs_off_for_retry_after_without_a_ban(venue: CexVenue,
                                                          simex: SimexServer) -> None:
    simex.faults.update({"rate_limit": 1, "retry_after_s": 1})
    started = time.monotonic()
    assert (await venue.balances())["USDC"].free == D(1_000_000)
    assert time.monotonic() - started >= 0.9
    assert simex.bans == 0 and venue.budget.retry_afters == 1


async def test_streams_watch_the_book_and_my_trades_through_ccxt_pro(
        simex: SimexServer) -> None:
    simex.engine.add_account("mm", "mm-secret", {"WETH": D(100), "USDC": D(10**6)})
    # polls too rare to matter: a fill seen here came from watch_my_trades
    async with ccxt_venue(simex, streams=True, fill_poll_s=60) as venue:
        assert venue.exchange.has["watchOrderBook"] and venue.exchange.has["watchMyTrades"]
        await eventually(lambda: any(DEFAULT_API_KEY in s.api_subscriptions.values()
                                     for s in simex.hub.sessions))  # user data subscribed
        await venue.place(OrderRequest("cg-w-1", WETH, Side.SELL, OrderKind.LIMIT, D(1),
                                       D(3000)))
        truth = simex.engine.books["WETHUSDC"]
        book = venue.books[WETH]
        await eventually(lambda: book.last_update_id == truth.last_update_id)
        assert book.asks == {D(3000): D(1)}
        counterparty(simex, OrderSide.BUY, "0.25", "mm-w")
        await eventually(lambda: len(venue.fills) == 1)
        (fill,) = venue.fills
        assert (fill.client_order_id, fill.qty, fill.price, fill.side) == (
            "cg-w-1", D("0.25"), D(3000), Side.SELL)
        await eventually(lambda: book.asks == {D(3000): D("0.75")})
        assert await venue.poll_fills() == 0  # REST agrees: the stream missed nothing


@pytest.mark.parametrize("seed", [5, 13])
async def test_streamed_book_and_fills_survive_seeded_gaps_and_drops(seed: int) -> None:
    server = SimexServer(SimexConfig(makers=MakerConfig(refresh_ms=20, levels=5)))
    async with server, ccxt_venue(server, streams=True, fill_poll_s=0.5) as venue:
        server.faults.update({"seed": seed, "skip_update_prob": 0.05, "drop_ws_prob": 0.01})
        for i in range(12):
            side = Side.BUY if i % 2 == 0 else Side.SELL
            report = await venue.place(OrderRequest(f"cg-{seed}-{i}", WETH, side,
                                                    OrderKind.MARKET, D("0.05")))
            assert report.status is VenueOrderStatus.FILLED
            await asyncio.sleep(0.05)
        assert server.hub.skipped_events > 0 and server.hub.dropped_sessions > 0
        server.faults.clear()
        await server.stop_makers()
        truth = server.engine.books["WETHUSDC"]
        book = venue.books[WETH]
        await eventually(lambda: book.synced and book.last_update_id == truth.last_update_id)
        snapshot = await venue.exchange.fetch_order_book(WETH, 1000)
        assert book.bids == {D(str(p)): D(str(q)) for p, q in snapshot["bids"]}
        assert book.asks == {D(str(p)): D(str(q)) for p, q in snapshot["asks"]}
        assert venue.reconnects > 0
        truth_trades = {str(t.trade_id) for t in server.engine.account_trades[DEFAULT_API_KEY]}
        await eventually(lambda: {f.trade_id for f in venue.fills} == truth_trades)
        assert len(venue.fills) == len(truth_trades)


async def test_delayed_answers_leave_the_order_unknown_until_the_venue_can_be_asked(
        venue: CexVenue, simex: SimexServer) -> None:
    await venue.close()
    async with ccxt_venue(simex, max_attempts=2, recv_window_ms=3000) as slow:
        simex.faults.delay_ms = 700  # every answer arrives after our 0.5 s timeout
        report = await slow.place(OrderRequest("cg-slow-1", WETH, Side.BUY, OrderKind.LIMIT,
                                               D(1), D(2000)))
        assert report.status is VenueOrderStatus.UNKNOWN  # not failed, not resent
        simex.faults.delay_ms = 0
        await asyncio.sleep(0.3)
        resolved = await slow.query("cg-slow-1", WETH)
        assert resolved is not None and resolved.status is VenueOrderStatus.OPEN
        assert [o.client_order_id for o in simex.engine.orders.values()] == ["cg-slow-1"]


async def test_gap_in_the_last_streamed_update_is_found_by_the_rest_audit(
        simex: SimexServer) -> None:
    async with ccxt_venue(simex, streams=True) as venue:
        book = venue.books[WETH]
        simex.faults.skip_update_prob = 1.0  # the only event of this order is never sent
        await venue.place(OrderRequest("cg-tail-1", WETH, Side.BUY, OrderKind.LIMIT, D(1),
                                       D(2000)))
        simex.faults.skip_update_prob = 0.0
        truth = simex.engine.books["WETHUSDC"]
        assert book.last_update_id != truth.last_update_id  # no later event reveals the gap
        await eventually(lambda: book.last_update_id == truth.last_update_id)
        assert book.bids == {D(2000): D(1)} and venue.resyncs == 1


async def test_streams_fall_back_to_polling_where_the_exchange_cannot_stream(
        simex: SimexServer) -> None:
    simex.engine.add_account("mm", "mm-secret", {"WETH": D(100), "USDC": D(10**6)})
    venue = ccxt_venue(simex, streams=True)
    venue.exchange.has["watchOrderBook"] = False  # as ccxt declares for such an exchange

    async def cannot_stream(*args: Any, **kwargs: Any) -> Any:
        # stands in for an exchange whose ccxt.pro class needs a symbol here: none such
        # exists on loopback, and the fallback is what is under test
        raise ccxt_async.NotSupported("watchMyTrades() requires a symbol")

    venue.exchange.watch_my_trades = cannot_stream
    async with venue:
        await venue.place(OrderRequest("cg-fb-1", WETH, Side.SELL, OrderKind.LIMIT, D(1),
                                       D(3000)))
        truth = simex.engine.books["WETHUSDC"]
        await eventually(lambda: venue.books[WETH].last_update_id == truth.last_update_id)
        counterparty(simex, OrderSide.BUY, "1", "mm-fb")
        await eventually(lambda: len(venue.fills) == 1)
        assert venue.fills[0].client_order_id == "cg-fb-1"
        assert venue.reconnects == 0  # fell back at once, no reconnect loop
