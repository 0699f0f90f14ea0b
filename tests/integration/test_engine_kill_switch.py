"""Kill switches on the running engine against simex (the real ccxt client on loopback):
`crossbook risk kill engage --level strategy --name mm` (the real console script, talking to
the engine's API server) cancels that strategy's resting orders at the venue through the OMS
(journaled cancel requests), leaves every other order resting, and denies the strategy's new
orders with the kill reason until it is released."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.cex import CexVenue, CexVenueConfig
from connectors.orders import VenueOrderStatus
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    MakerConfig,
    SimexConfig,
    SimexServer,
)
from engine.api import ApiKeys, ApiServer, Engine, build_engine, risk_gate, use_gate
from engine.journal import Journal, JournalConfig
from engine.model import OrderCancelRequested, OrderStatus, OrderType, Side, TimeInForce
from engine.oms import ChildSpec

pytestmark = pytest.mark.integration
D = Decimal


class Desk:
    def __init__(self, engine: Engine, venue: CexVenue, journal: Journal, url: str,
                 key: str) -> None:
        self.engine, self.venue, self.journal, self.url, self.key = (engine, venue, journal,
                                                                      url, key)

    async def rest(self, request_id: str, price: str) -> str:
        order = await self.engine.submit_order(request_id, ChildSpec(
            "simex", "WETH/USDC", Side.BUY, D(1), OrderType.LIMIT, D(price), TimeInForce.GTC))
        async with asyncio.timeout(10):
            while self.engine.oms.order(order.client_order_id).status is not (
                    OrderStatus.ACCEPTED):
                await asyncio.sleep(0.02)
        return order.client_order_id

    async def at_venue(self, coid: str) -> VenueOrderStatus:
        report = await self.venue.query(coid, "WETH/USDC")
        assert report is not None
        return report.status

    async def crossbook(self, *args: str) -> dict[str, Any]:
        """The console script in a subprocess, while this loop keeps serving its API."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "engine.cli", *args, "--url", self.url, "--json",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "CROSSBOOK_API_KEY": self.key})
        out, err = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, err.decode()
        answer: dict[str, Any] = json.loads(out)
        return answer


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    server = SimexServer(SimexConfig(makers=MakerConfig(enabled=False)))
    await server.start()
    venue = CexVenue(CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                    urls=server.ccxt_urls(), symbols=("WETH/USDC",),
                                    request_timeout_s=2.0))
    journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
    engine = build_engine(journal, [venue], [venue])
    await venue.start()
    use_gate(engine, risk_gate([venue], "desk", "api", f"sqlite:///{tmp_path / 'l.db'}"))
    await engine.start()
    keys = ApiKeys()
    key = keys.issue("ops")
    api = ApiServer(engine, keys)
    await api.start()
    yield Desk(engine, venue, journal, api.url, key)
    await api.stop()
    await engine.close()
    await venue.close()
    journal.close()
    await server.stop()


async def test_strategy_kill_switch_when_engaged_from_the_cli_then_only_its_orders_canceled(
        desk: Desk) -> None:
    mm = [await desk.rest("mm:1", "2000"), await desk.rest("mm:2", "2001")]
    others = [await desk.rest("arb:1", "2002"), await desk.rest("solo-1", "2003")]

    answer = await desk.crossbook("risk", "kill", "engage", "--level", "strategy",
                                  "--name", "mm", "--reason", "runaway quoting")
    assert answer["engaged"] == [{"level": "strategy", "name": "mm",
                                  "reason": "runaway quoting"}]
    assert sorted(o["client_order_id"] for o in answer["canceled"]) == sorted(mm)
    assert {o["status"] for o in answer["canceled"]} == {"canceled"}
    for coid in mm:  # canceled at the venue itself, after a journaled cancel request
        assert await desk.at_venue(coid) is VenueOrderStatus.CANCELED
        assert any(isinstance(e, OrderCancelRequested) and e.client_order_id == coid
                   for _, e in desk.journal.events())
    for coid in others:  # untouched
        assert await desk.at_venue(coid) is VenueOrderStatus.OPEN
        assert desk.engine.oms.order(coid).status is OrderStatus.ACCEPTED

    denied = await desk.engine.submit_order("mm:3", ChildSpec(
        "simex", "WETH/USDC", Side.BUY, D(1), OrderType.LIMIT, D(2000), TimeInForce.GTC))
    assert denied.status is OrderStatus.DENIED
    assert denied.reason is not None and denied.reason.startswith("trading_halted: ")
    assert "strategy_kill_switch" in denied.reason
    assert await desk.rest("arb:2", "2004")  # another strategy still trades

    released = await desk.crossbook("risk", "kill", "release", "--level", "strategy",
                                    "--name", "mm")
    assert released["engaged"] == []
    assert await desk.rest("mm:4", "2005")  # accepted again


async def test_desk_kill_switch_when_engaged_through_the_api_then_everything_canceled(
        desk: Desk) -> None:
    resting = [await desk.rest("mm:1", "2000"), await desk.rest("solo-1", "2001")]
    canceled = await desk.engine.engage_kill_switch("desk", reason="end of day")
    assert sorted(o.client_order_id for o in canceled) == sorted(resting)
    for coid in resting:
        assert await desk.at_venue(coid) is VenueOrderStatus.CANCELED
    denied = await desk.engine.submit_order("solo-2", ChildSpec(
        "simex", "WETH/USDC", Side.BUY, D(1), OrderType.LIMIT, D(2000), TimeInForce.GTC))
    assert denied.status is OrderStatus.DENIED
    assert denied.reason is not None and "desk_kill_switch" in denied.reason
    assert desk.engine.kill_switches() == [{"level": "desk", "name": "desk",
                                            "reason": "end of day"}]


async def test_kill_switch_when_level_needs_a_name_and_none_given_then_usage_error(
        desk: Desk) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.cli", "risk", "kill", "engage", "--level", "account",
        "--url", desk.url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "CROSSBOOK_API_KEY": desk.key})
    _, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 2
    assert b"--name" in err
    assert desk.engine.kill_switches() == []
