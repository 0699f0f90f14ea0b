"""The engine's gate over the real margin engine, through the engine's Python API against
simex (the real ccxt client on loopback): the desk's book is simex's live balances plus the
margin portfolio file (index prices, an on-chain wallet and a short option), an order that
would push margin utilisation past its limit is denied with the margin reason, one that
reduces risk is sent, and a fill moves the margin book."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.cex import CexVenue, CexVenueConfig
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    MakerConfig,
    SimexConfig,
    SimexServer,
)
from engine.api import Engine, MarginSetup, build_engine, desk_margin, risk_gate, use_gate
from engine.journal import Journal, JournalConfig
from engine.model import OrderStatus, OrderType, Side, TimeInForce
from engine.oms import ChildSpec, OmsConfig

pytestmark = pytest.mark.integration
D = Decimal

PORTFOLIO = """
[market]
index = { ETH = "3000", BTC = "60000" }
assets = { WETH = "ETH", WBTC = "BTC" }

[[wallet]]
chain_id = 1
address = "0x00000000000000000000000000000000000000aa"
token = "WETH"
quantity = "20"

[[option]]
venue = "deribit"
instrument = "ETH-30D-2800-P"
underlying = "ETH"
right = "put"
strike = "2800"
expiry_days = "30"
quantity = "-40"
vol = "0.7"
"""


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[tuple[Engine, Any]]:
    server = SimexServer(SimexConfig(makers=MakerConfig(refresh_ms=100)))
    await server.start()
    venue = CexVenue(CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                    urls=server.ccxt_urls(), symbols=("WETH/USDC",),
                                    request_timeout_s=2.0))
    journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
    engine = build_engine(journal, [venue], [venue],
                          config=OmsConfig(request_timeout_ns=9_000_000_000))  # > venue window 8 s
    await venue.start()
    portfolio = tmp_path / "margin.toml"
    portfolio.write_text(PORTFOLIO)
    view = await desk_margin([venue], "desk", MarginSetup(portfolio_file=portfolio))
    now = view.margin_after("desk", []).utilisation
    # a limit just above today's utilisation: more ETH breaches it, less does not
    setup = MarginSetup(portfolio_file=portfolio, max_margin_utilisation=now * 1.05)
    use_gate(engine, risk_gate([venue], "desk", "test", f"sqlite:///{tmp_path / 'l.db'}",
                               margin=view, margin_setup=setup))
    await engine.start()
    yield engine, view
    await engine.close()
    await venue.close()
    journal.close()
    await server.stop()


def _weth_held(view: Any) -> Decimal:
    engine = view.engine("desk")
    return sum((s.quantity for s in engine.portfolio.spot if s.asset == "WETH"), D(0))


async def test_engine_gate_when_buy_breaches_margin_utilisation_then_denied_with_margin_code(
        desk: tuple[Engine, Any]) -> None:
    engine, view = desk
    assert _weth_held(view) == 100  # simex's live balance, read at start-up
    before = view.margin_after("desk", []).utilisation
    order = await engine.submit_order("buy-more", ChildSpec(
        "simex", "WETH/USDC", Side.BUY, D(40), expected_price=D(3000)))
    assert order.status is OrderStatus.DENIED
    assert order.reason is not None
    # DenialReason.INSUFFICIENT_MARGIN, from the account's post-trade margin check
    assert order.reason.startswith("insufficient_margin: ")
    assert "margin_utilisation desk" in order.reason
    assert order.venue_order_id is None  # never left the process
    assert view.margin_after("desk", []).utilisation == before  # a denial changes nothing


async def test_engine_gate_when_sell_reduces_margin_then_sent_and_fill_moves_the_book(
        desk: tuple[Engine, Any]) -> None:
    engine, view = desk
    before = view.margin_after("desk", []).utilisation
    # a resting sell far from the market: accepted by the gate, rests at the venue
    rest = await engine.submit_order("sell-rest", ChildSpec(
        "simex", "WETH/USDC", Side.SELL, D(5), OrderType.LIMIT, D(9000), TimeInForce.GTC))
    assert rest.status in (OrderStatus.ACCEPTED, OrderStatus.PENDING_NEW)
    # an IOC sell against simex's makers: fills, and the margin book follows the fill
    sold = await engine.submit_order("sell-now", ChildSpec(
        "simex", "WETH/USDC", Side.SELL, D(10), expected_price=D(3000)))
    assert sold.status is not OrderStatus.DENIED
    async with asyncio.timeout(10):
        while engine.oms.order(sold.client_order_id).status is not OrderStatus.FILLED:
            await asyncio.sleep(0.05)
    assert _weth_held(view) == 90
    assert view.margin_after("desk", []).utilisation < before
