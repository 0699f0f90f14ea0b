"""DeribitVenue (CexVenue over the real ccxt.deribit) against simex's Deribit dialect: the
Venue conformance suite, orders by our client id (Deribit's label), fills, positions."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest

from connectors.cex import CexVenueConfig, VenueRejected
from connectors.cex.deribit import DeribitVenue
from connectors.orders import OrderKind, OrderRequest, TimeInForce, VenueFill, VenueOrderStatus
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET
from connectors.simex.deribit import DeribitConfig, DeribitMakerConfig, DeribitServer
from connectors.venue import Side, Venue
from engine.oms import ExecutionVenue

from venue_conformance import check_venue_conforms

pytestmark = pytest.mark.integration

PERP = "BTC/USD:BTC"


@pytest.fixture
async def deribit() -> AsyncIterator[DeribitServer]:
    config = DeribitConfig(makers=DeribitMakerConfig(drift_bps=D(0)))
    async with DeribitServer(config) as server:
        yield server


def option_symbol(server: DeribitServer, strike: int, right: str) -> str:
    """The unified symbol of the third expiry's BTC option at `strike`."""
    instruments = [i for i in server.engine.instruments.values()
                   if i.is_option and i.currency == "BTC"]
    expiry = sorted({i.expiry_ms for i in instruments})[2]
    when = dt.datetime.fromtimestamp(expiry / 1000, tz=dt.UTC)
    return f"BTC/USD:BTC-{when:%y%m%d}-{strike}-{right}"


@pytest.fixture
async def venue(deribit: DeribitServer) -> AsyncIterator[DeribitVenue]:
    symbols = (PERP, option_symbol(deribit, 95000, "C"), option_symbol(deribit, 90000, "P"))
    config = CexVenueConfig("deribit-sim", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                            exchange_id="deribit", urls=deribit.ccxt_urls(), symbols=symbols,
                            fill_poll_s=0.5)
    async with DeribitVenue(config) as started:
        yield started


async def test_deribit_venue_when_checked_then_conforms_for_options_and_perpetuals(
        deribit: DeribitServer, venue: DeribitVenue) -> None:
    await deribit.stop_makers()  # the books hold still while quotes are compared
    await asyncio.sleep(venue.config.book_poll_s)
    call = option_symbol(deribit, 95000, "C")
    await check_venue_conforms(venue, call, [D("0.5"), D(3), D(8), D(20)])
    await check_venue_conforms(venue, PERP, [D(1000), D(20000), D(60000), D(150000)])
    contract = venue.contract(call)
    assert (contract.kind, contract.strike, contract.option_type, contract.settle) == (
        "option", D(95000), "call", "BTC")
    assert venue.contract(PERP).kind == "swap" and venue.contract(PERP).expiry_ms is None
    assert venue.round_price(call, D("0.00731"), up=True) == D("0.0075")


async def test_orders_when_placed_by_client_id_then_label_carries_it_end_to_end(
        deribit: DeribitServer, venue: DeribitVenue) -> None:
    assert isinstance(venue, ExecutionVenue) and isinstance(venue, Venue)
    fills: list[VenueFill] = []
    venue.on_fill = fills.append
    call = option_symbol(deribit, 95000, "C")
    quote = await venue.quote(call, Side.BUY, D(1))
    price = venue.round_price(call, quote.marginal_price * D("1.02"), up=True)
    taken = await venue.place(OrderRequest("leg-call-1", call, Side.BUY, OrderKind.LIMIT,
                                           D(1), price, TimeInForce.IOC))
    assert (taken.status, taken.filled_qty, taken.client_order_id) == (
        VenueOrderStatus.FILLED, D(1), "leg-call-1")
    rest = await venue.place(OrderRequest("leg-perp-1", PERP, Side.BUY, OrderKind.LIMIT,
                                          D(100), D(80000)))
    assert rest.status is VenueOrderStatus.OPEN
    queried = await venue.query("leg-perp-1", PERP)
    assert queried is not None and queried.venue_order_id == rest.venue_order_id
    assert await venue.query("never-sent", PERP) is None
    cancelled = await venue.cancel("leg-perp-1", PERP)
    assert cancelled.status is VenueOrderStatus.CANCELED
    with pytest.raises(VenueRejected):
        await venue.cancel("leg-perp-1", PERP)  # no longer open
    with pytest.raises(VenueRejected):
        await venue.cancel("never-sent", PERP)
    for _ in range(50):
        if fills:
            break
        await asyncio.sleep(0.1)
    [fill] = fills
    assert (fill.client_order_id, fill.symbol, fill.qty, fill.fee_asset) == (
        "leg-call-1", call, D(1), "BTC")
    [position] = await venue.positions()
    assert (position.symbol, position.size) == (call, D(1))
    btc = next(a for a in await venue.accounts() if a.currency == "BTC")
    assert btc.balance == D(10) - fill.price - fill.fee
    balances = await venue.balances()
    assert balances["BTC"].free == btc.available_funds


async def test_order_when_funds_fall_short_then_rejected_with_deribit_reason(
        deribit: DeribitServer, venue: DeribitVenue) -> None:
    put = option_symbol(deribit, 90000, "P")
    report = await venue.place(OrderRequest("too-big", put, Side.BUY, OrderKind.LIMIT,
                                            D(2000), D("0.05")))
    assert report.status is VenueOrderStatus.REJECTED and "10009" in report.reason
    mark = await venue.mark(put)
    assert mark.delta is not None and mark.delta < 0 and mark.mark_iv is not None
    assert mark.index_price == D(95000)
