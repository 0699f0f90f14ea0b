"""A pool as an execution venue: orders become swaps in the desk's guarded Safe, with the CEX
venue's order interface (place / query / cancel by client order id)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from connectors.amm.execution import SafeSwapVenue
from connectors.amm.venue import amm_venues_from_manifest
from connectors.orders import InvalidOrderRequest, OrderKind, OrderRequest, VenueOrderStatus
from connectors.venue import Side

from oms_support import safe_sender
from safe_desk import make_desk

pytestmark = pytest.mark.integration


@pytest.fixture
async def venue(w3: Web3, devnet: dict[str, Any], tmp_path: Path
                ) -> AsyncIterator[SafeSwapVenue]:
    desk = make_desk(w3, devnet)
    amm = amm_venues_from_manifest(w3, devnet)
    pool = amm.by_name("uniswap_v3:WETH/USDC:500")
    sender = safe_sender(desk, tmp_path)
    await sender.start()
    yield SafeSwapVenue(pool, amm, sender)
    await sender.close()


async def test_place_when_market_buy_then_filled_at_the_quote_and_fill_delivered_once(
    venue: SafeSwapVenue,
) -> None:
    received = []
    venue.on_fill = received.append
    quote = await venue.quote("WETH/USDC", Side.BUY, Decimal(5))
    order = OrderRequest("swap-1", "WETH/USDC", Side.BUY, OrderKind.MARKET, Decimal(5))
    report = await venue.place(order)
    assert report.status is VenueOrderStatus.FILLED
    assert report.filled_qty == 5 and report.filled_quote == quote.quote_qty
    assert len(received) == 1 and received[0].trade_id.startswith(report.venue_order_id or "")
    # the same client order id again: its first outcome, never a second swap
    assert await venue.place(order) == report and len(venue.fills) == 1
    assert await venue.query("swap-1", "WETH/USDC") == report
    assert await venue.cancel("swap-1", "WETH/USDC") == report


async def test_place_when_limit_price_below_the_pool_then_rejected_and_nothing_moved(
    venue: SafeSwapVenue,
) -> None:
    usdc = venue.amm.w3.eth.contract(address=venue.pool.spec.quote.address,
                                     abi=[{"name": "balanceOf", "type": "function",
                                           "stateMutability": "view",
                                           "inputs": [{"name": "a", "type": "address"}],
                                           "outputs": [{"name": "", "type": "uint256"}]}])
    before = usdc.functions.balanceOf(venue.wallet.address).call()
    nonce = venue.wallet.nonce()
    report = await venue.place(OrderRequest("swap-2", "WETH/USDC", Side.BUY, OrderKind.LIMIT,
                                            Decimal(5), limit_price=Decimal(2500)))
    assert report.status is VenueOrderStatus.REJECTED and report.filled_qty == 0
    assert usdc.functions.balanceOf(venue.wallet.address).call() == before
    assert venue.wallet.nonce() == nonce and venue.fills == []


async def test_place_when_order_is_wrong_then_refused_naming_the_field(
    venue: SafeSwapVenue,
) -> None:
    with pytest.raises(InvalidOrderRequest) as refused:
        await venue.place(OrderRequest("swap-3", "WBTC/USDC", Side.BUY, OrderKind.MARKET,
                                       Decimal(1)))
    assert refused.value.field == "symbol"
    with pytest.raises(InvalidOrderRequest) as refused:
        await venue.cancel("never-placed", "WETH/USDC")
    assert refused.value.field == "client_order_id"
