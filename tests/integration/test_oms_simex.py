"""The OMS against simex through the real CexVenue (ccxt.binance on loopback): fills from the
user stream, a lost answer resolved by client order id, and a TWAP split over two exchanges
followed through the async Python API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.cex import CexVenue, CexVenueConfig
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    MakerConfig,
    SimexConfig,
    SimexServer,
)
from engine.api import Engine, build_engine, risk_gate, use_gate
from engine.journal import Journal, JournalConfig
from engine.model import OrderStatus, Side
from engine.oms import ChildSpec, ExecutionVenue, OmsConfig

pytestmark = pytest.mark.integration
D = Decimal


@pytest.fixture
async def two_exchanges(tmp_path: Path) -> AsyncIterator[tuple[Engine, dict[str, SimexServer]]]:
    servers = {name: SimexServer(SimexConfig(name=name, makers=MakerConfig(refresh_ms=200)))
               for name in ("simex-a", "simex-b")}
    for server in servers.values():
        await server.start()
    venues = [CexVenue(CexVenueConfig(name, DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                      urls=server.ccxt_urls(), symbols=("WETH/USDC",),
                                      request_timeout_s=1.0, recv_window_ms=1000))
              for name, server in servers.items()]
    journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
    # The OMS waits longer than the venues' own 3 s UNKNOWN-resolution window (build_engine checks).
    engine = build_engine(journal, venues, venues,
                          config=OmsConfig(request_timeout_ns=3_500_000_000,
                                           resend_after_ns=3_000_000_000,
                                           reconcile_every_ns=200_000_000))
    for venue in venues:
        await venue.start()
    use_gate(engine, risk_gate(venues, "desk", "test", f"sqlite:///{tmp_path / 'lists.db'}"))
    await engine.start()
    yield engine, servers
    await engine.close()
    for venue in venues:
        await venue.close()
    for server in servers.values():
        await server.stop()


async def _until(condition: object, timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.05)


def _truth(server: SimexServer, asset: str, start: Decimal) -> Decimal:
    balance = server.engine.accounts[DEFAULT_API_KEY].balances[asset]
    return balance.free + balance.locked - start


async def test_oms_when_ioc_on_simex_then_fills_booked_and_balances_match_the_venue(
        two_exchanges: tuple[Engine, dict[str, SimexServer]]) -> None:
    engine, servers = two_exchanges
    assert all(isinstance(v, ExecutionVenue) for v in engine.oms.venues.values())
    (order,) = await engine.oms.submit([ChildSpec("simex-a", "WETH/USDC", Side.BUY, D("0.7"),
                                                  expected_price=D(3002))], "p-1")
    await _until(lambda: engine.oms.order(order.client_order_id).status is OrderStatus.FILLED)
    assert engine.oms.order(order.client_order_id).filled_qty == D("0.7")
    balances = engine.oms.balances()
    for asset, start in (("WETH", D(100)), ("USDC", D(1_000_000))):
        assert balances[("simex-a", asset)] == _truth(servers["simex-a"], asset, start)  # type: ignore[index]


async def test_oms_when_answer_lost_then_unknown_resolved_by_client_id_without_a_duplicate(
        two_exchanges: tuple[Engine, dict[str, SimexServer]]) -> None:
    engine, servers = two_exchanges
    servers["simex-b"].faults.update({"never_answer_orders": 1})
    (order,) = await engine.oms.submit([ChildSpec("simex-b", "WETH/USDC", Side.SELL, D("0.4"),
                                                  expected_price=D(2998))], "p-2")
    assert order.status in (OrderStatus.UNKNOWN, OrderStatus.FILLED)  # the fill may stream in
    await _until(lambda: engine.oms.order(order.client_order_id).status is OrderStatus.FILLED)
    at_venue = [o for o in servers["simex-b"].engine.orders.values()
                if o.client_order_id == order.client_order_id]
    assert len(at_venue) == 1 and at_venue[0].executed_qty == D("0.4")
    assert engine.oms.resends == 0


async def test_twap_over_two_exchanges_when_followed_then_progress_and_fills_per_venue(
        two_exchanges: tuple[Engine, dict[str, SimexServer]]) -> None:
    engine, servers = two_exchanges
    handle = engine.run_algo("twap", "twap-sim", {
        "symbol": "WETH/USDC", "side": "buy", "qty": "40", "duration_ns": 2_000_000_000,
        "slices": 4, "randomize": "0.2"})
    seen = [progress.filled async for progress in handle.updates()]
    final = await handle.result()
    assert final.state.value == "done" and final.filled == D(40)  # type: ignore[union-attr]
    assert seen and seen == sorted(seen)  # progress only grows
    by_venue = engine.fills_by_venue("twap-sim")
    assert set(by_venue) == {"simex-a", "simex-b"}  # 40 WETH needs both books
    report = engine.execution_report("twap-sim")
    for name, server in servers.items():
        trades = server.engine.account_trades[DEFAULT_API_KEY]
        assert sum((t.qty for t in trades if t.is_buyer), D(0)) == by_venue[name][0]
        assert report[name]["qty"] == by_venue[name][0]
        assert report[name]["fees"] == {"WETH": sum((t.commission for t in trades), D(0))}
