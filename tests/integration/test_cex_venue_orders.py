"""CexVenue order paths against simex: cancel, post-only refusal, IOC remainder, balances."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest

from connectors.cex import CexVenue, CexVenueConfig, VenueRejected
from connectors.orders import (
    InvalidOrderRequest,
    OrderKind,
    OrderRequest,
    TimeInForce,
    VenueOrderStatus,
)
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, SimexServer
from connectors.simex.matching import NewOrder, OrderSide, Stp, Tif
from connectors.simex.matching import OrderKind as SimKind
from connectors.venue import Side

pytestmark = pytest.mark.integration


@pytest.fixture
async def venue(simex: SimexServer) -> AsyncIterator[CexVenue]:
    simex.engine.add_account("mm", "mm-secret", {"WETH": D(100), "USDC": D(10**6)})
    _, out = simex.engine.new_order(NewOrder("mm", "WETHUSDC", OrderSide.SELL, SimKind.LIMIT,
                                             Tif.GTC, D(1), None, D(3000), "mm-ask", Stp.NONE))
    simex.publish(out)
    async with CexVenue(CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                       urls=simex.ccxt_urls(), request_timeout_s=1.0)) as cex:
        yield cex


async def balances_agree(venue: CexVenue, simex: SimexServer) -> None:
    ours = {a: (b.free, b.locked) for a, b in (await venue.balances()).items()}
    truth = {a: (b.free, b.locked)
             for a, b in simex.engine.accounts[DEFAULT_API_KEY].balances.items()}
    assert ours == truth


async def test_place_then_cancel_by_client_id_releases_the_lock(
        venue: CexVenue, simex: SimexServer) -> None:
    placed = await venue.place(OrderRequest("cb-c-1", "WETH/USDC", Side.BUY, OrderKind.LIMIT,
                                            D(2), D(2500)))
    assert placed.status is VenueOrderStatus.OPEN and placed.venue_order_id is not None
    assert (await venue.balances())["USDC"].locked == D(5000)
    canceled = await venue.cancel("cb-c-1", "WETH/USDC")
    assert canceled.status is VenueOrderStatus.CANCELED
    assert canceled.client_order_id == "cb-c-1"
    await balances_agree(venue, simex)
    with pytest.raises(VenueRejected) as refused:
        await venue.cancel("cb-c-1", "WETH/USDC")
    assert refused.value.code == -2011


async def test_post_only_that_would_take_is_rejected_with_the_venue_reason(
        venue: CexVenue) -> None:
    report = await venue.place(OrderRequest("cb-pm-1", "WETH/USDC", Side.BUY,
                                            OrderKind.LIMIT_MAKER, D(1), D(3000)))
    assert report.status is VenueOrderStatus.REJECTED
    assert report.reason == "-2010: Order would immediately match and take."
    assert await venue.query("cb-pm-1", "WETH/USDC") is None


async def test_ioc_takes_what_is_there_and_expires_the_rest_with_fills_streamed(
        venue: CexVenue, simex: SimexServer) -> None:
    report = await venue.place(OrderRequest("cb-ioc-1", "WETH/USDC", Side.BUY,
                                            OrderKind.LIMIT, D(3), D(3000), TimeInForce.IOC))
    assert report.status is VenueOrderStatus.EXPIRED
    assert (report.filled_qty, report.avg_price) == (D(1), D(3000))
    for _ in range(100):
        if venue.fills:
            break
        await asyncio.sleep(0.02)
    (fill,) = venue.fills
    assert (fill.client_order_id, fill.qty, fill.price, fill.fee, fill.fee_asset) == (
        "cb-ioc-1", D(1), D(3000), D("0.001"), "WETH")
    await balances_agree(venue, simex)
    assert await venue.poll_fills() == 0  # REST agrees: nothing the stream missed


def test_order_request_refuses_bad_fields_by_name() -> None:
    with pytest.raises(InvalidOrderRequest, match="client_order_id"):
        OrderRequest("has space", "WETH/USDC", Side.BUY, OrderKind.MARKET, D(1))
    with pytest.raises(InvalidOrderRequest, match="limit_price"):
        OrderRequest("ok", "WETH/USDC", Side.BUY, OrderKind.LIMIT, D(1))
    with pytest.raises(InvalidOrderRequest, match="qty"):
        OrderRequest("ok", "WETH/USDC", Side.BUY, OrderKind.MARKET, D(0))



async def test_user_stream_keeps_its_listen_key_alive(simex: SimexServer) -> None:
    config = CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                            urls=simex.ccxt_urls(), listen_key_keepalive_s=0.05)
    async with CexVenue(config):
        for _ in range(100):
            if simex.listen_key_keepalives >= 2:
                break
            await asyncio.sleep(0.02)
    assert simex.listen_key_keepalives >= 2
