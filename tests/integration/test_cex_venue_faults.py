"""The CEX venue under injected faults: gaps, drops, lost answers, 5xx, rate limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal as D

import ccxt.async_support as ccxt_async
import pytest

from connectors.cex import CexVenue, CexVenueConfig, VenueUnavailable
from connectors.orders import OrderKind, OrderRequest, VenueOrderStatus
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FaultPlan,
    MakerConfig,
    SimexConfig,
    SimexServer,
)
from connectors.simex.matching import NewOrder, OrderSide, Stp
from connectors.simex.matching import OrderKind as SimKind
from connectors.venue import QtyBasis, Side, Venue

pytestmark = pytest.mark.integration


def venue_for(server: SimexServer, **overrides: object) -> CexVenue:
    settings: dict[str, object] = {"request_timeout_s": 0.5, "recv_window_ms": 500,
                                   "fill_poll_s": 0.5, "backoff_cap_s": 0.3,
                                   "book_audit_idle_s": 0.3}
    settings.update(overrides)
    return CexVenue(CexVenueConfig(server.config.name, DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                   urls=server.ccxt_urls(), **settings))  # type: ignore[arg-type]


@pytest.fixture
async def live() -> AsyncIterator[SimexServer]:
    """simex with makers requoting every 20 ms: a busy diff stream."""
    server = SimexServer(SimexConfig(makers=MakerConfig(refresh_ms=20, levels=5)))
    async with server:
        yield server


async def eventually(check: object, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_venue_implements_the_venue_protocol_with_book_sequence(
        live: SimexServer) -> None:
    async with venue_for(live) as venue:
        assert isinstance(venue, Venue)
        quote = await venue.quote("WETH/USDC", Side.BUY, D(1))
        assert quote.fixed_cost == 0 and quote.fee == quote.quote_qty - quote.quote_qty / (
            1 + venue.markets()[0].taker_fee)
        assert quote.stamp.sequence is not None and quote.stamp.sequence > 1
        by_quote = await venue.quote("WETH/USDC", Side.SELL, D(3000), QtyBasis.QUOTE)
        assert by_quote.quote_qty == D(3000)
        curve = await venue.depth("WETH/USDC", Side.BUY, D(20), points=8)
        assert len(curve.points) == 8
        prices = [p.avg_price for p in curve.points]
        assert prices == sorted(prices)


@pytest.mark.parametrize("seed", [3, 11])
async def test_book_after_seeded_gaps_and_drops_equals_rest_snapshot_and_no_fill_missed(
        live: SimexServer, seed: int) -> None:
    async with venue_for(live) as venue:
        live.faults.update({"seed": seed, "skip_update_prob": 0.05, "drop_ws_prob": 0.01})
        for i in range(12):
            side = Side.BUY if i % 2 == 0 else Side.SELL
            report = await venue.place(OrderRequest(f"cb-{seed}-{i}", "WETH/USDC", side,
                                                    OrderKind.MARKET, D("0.05")))
            assert report.status is VenueOrderStatus.FILLED
            await asyncio.sleep(0.05)
        assert live.hub.skipped_events > 0 and live.hub.dropped_sessions > 0
        live.faults.clear()
        await live.stop_makers()
        book, truth = venue.books["WETH/USDC"], live.engine.books["WETHUSDC"]
        await eventually(lambda: book.synced and book.last_update_id == truth.last_update_id)
        raw = await venue.exchange.fetch_order_book("WETH/USDC", 5000)
        assert raw["nonce"] == book.last_update_id
        snapshot = await venue.exchange.publicGetDepth({"symbol": "WETHUSDC", "limit": 5000})
        assert book.bids == {D(p): D(q) for p, q in snapshot["bids"]}
        assert book.asks == {D(p): D(q) for p, q in snapshot["asks"]}
        assert venue.resyncs + venue.reconnects > 0
        truth_trades = {str(t.trade_id) for t in live.engine.account_trades[DEFAULT_API_KEY]}
        await eventually(lambda: {f.trade_id for f in venue.fills} == truth_trades)
        assert len(venue.fills) == len(truth_trades)  # each fill delivered once


async def test_accepted_but_never_answered_leads_to_exactly_one_order(
        simex: SimexServer) -> None:
    simex.engine.add_account("mm", "mm-secret", {"WETH": D(100)})
    async with venue_for(simex) as venue:
        simex.faults.never_answer_orders = 1
        request = OrderRequest("cb-lost-1", "WETH/USDC", Side.BUY, OrderKind.LIMIT, D(1),
                               D(2500))
        report = await venue.place(request)
        assert report.status is VenueOrderStatus.OPEN
        assert report.client_order_id == "cb-lost-1" and venue.unknown_resolved == 1
        at_venue = [o for o in simex.engine.orders.values()
                    if o.client_order_id == "cb-lost-1"]
        assert len(at_venue) == 1 and simex.orders_received == 1
        # the resolved order then fills; the fill reaches us and the state is final
        _, out = simex.engine.new_order(NewOrder("mm", "WETHUSDC", OrderSide.SELL,
                                                 SimKind.MARKET, None, D(1), None, None, "mm-1",
                                                 Stp.NONE))
        simex.publish(out)
        await eventually(lambda: len(venue.fills) == 1)
        final = await venue.query("cb-lost-1", "WETH/USDC")
        assert final is not None and final.status is VenueOrderStatus.FILLED
        assert final.filled_qty == 1 and final.avg_price == 2500


async def test_order_lost_before_the_venue_is_sent_again_with_the_same_client_id(
        simex: SimexServer) -> None:
    async with venue_for(simex) as venue:
        simex.faults.http_5xx = 1  # the gateway fails before the engine sees the order
        report = await venue.place(OrderRequest("cb-5xx-1", "WETH/USDC", Side.BUY,
                                                OrderKind.LIMIT, D(1), D(2500)))
        assert report.status is VenueOrderStatus.OPEN
        assert [o.client_order_id for o in simex.engine.orders.values()] == ["cb-5xx-1"]


async def test_429_backs_off_for_retry_after_without_a_ban(simex: SimexServer) -> None:
    async with venue_for(simex) as venue:
        simex.faults.update({"rate_limit": 1, "retry_after_s": 1})
        started = time.monotonic()
        balances = await venue.balances()
        assert balances["USDC"].free == D(1_000_000)
        assert time.monotonic() - started >= 0.9
        assert simex.bans == 0 and venue.budget.retry_afters == 1


async def test_client_that_ignores_retry_after_is_banned_with_418(simex: SimexServer) -> None:
    bare = ccxt_async.binance({"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET})
    bare.urls["api"] = {**bare.urls["api"], **simex.ccxt_urls()}
    simex.faults.update({"rate_limit": 1, "retry_after_s": 5})
    try:
        with pytest.raises(ccxt_async.DDoSProtection, match="429"):
            await bare.fetch_time()
        with pytest.raises(ccxt_async.DDoSProtection, match="418"):
            await bare.fetch_time()
    finally:
        await bare.close()
    assert simex.bans == 1


async def test_unsynced_book_refuses_to_quote(simex: SimexServer) -> None:
    async with venue_for(simex) as venue:
        venue.books["WETH/USDC"].desync()
        with pytest.raises(VenueUnavailable, match="resyncing"):
            await venue.quote("WETH/USDC", Side.BUY, D(1))


def test_fault_plan_refuses_unknown_fault_names() -> None:
    with pytest.raises(KeyError, match="unknown fault"):
        FaultPlan().update({"drop_everything": 1})


async def test_gap_in_the_last_event_before_a_quiet_spell_is_found_by_the_audit(
        simex: SimexServer) -> None:
    async with venue_for(simex) as venue:
        book = venue.books["WETH/USDC"]
        simex.faults.skip_update_prob = 1.0  # the only event of this order is never sent
        await venue.place(OrderRequest("cb-tail-1", "WETH/USDC", Side.BUY, OrderKind.LIMIT,
                                       D(1), D(2000)))
        simex.faults.skip_update_prob = 0.0
        truth = simex.engine.books["WETHUSDC"]
        assert book.last_update_id != truth.last_update_id  # no later event reveals the gap
        await eventually(lambda: book.last_update_id == truth.last_update_id)
        assert book.bids == {D(2000): D(1)} and venue.resyncs == 1
