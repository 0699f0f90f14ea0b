"""`crossbook strategy straddle --venue DERIBIT --hedge spot --hedge-venue SIMEX` (a real
subprocess): an ETH straddle on simex's Deribit dialect, delta-hedged with WETH/USDC on a
simex Binance-dialect exchange, sent as one leg group."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.simex import DEFAULT_API_KEY, MakerConfig, SimexConfig, SimexServer
from connectors.simex.config import SymbolConfig
from connectors.simex.deribit import DeribitConfig, DeribitMakerConfig, DeribitServer
from engine.strategies import format_expiry

from cli import crossbook

pytestmark = pytest.mark.integration
D = Decimal


@pytest.fixture
async def servers() -> AsyncIterator[tuple[DeribitServer, SimexServer]]:
    spot = SimexConfig(symbols=(SymbolConfig(base="WETH", quote="USDC",
                                             reference_price=D(3500)),),
                       makers=MakerConfig(refresh_ms=100, drift_bps=D(0)))
    async with DeribitServer(DeribitConfig(makers=DeribitMakerConfig(drift_bps=D(0)))) as d, \
            SimexServer(spot) as s:
        yield d, s


async def test_eth_straddle_when_sent_by_cli_with_spot_hedge_then_one_completed_group(
        servers: tuple[DeribitServer, SimexServer], tmp_path: Path) -> None:
    deribit, simex = servers
    expiries = sorted({i.expiry_ms for i in deribit.engine.instruments.values()
                       if i.is_option and i.currency == "ETH"})
    expiry = format_expiry(expiries[2] * 1_000_000)
    run = await asyncio.to_thread(
        crossbook, "strategy", "straddle", "--underlying", "ETH", "--venue", deribit.rest_url,
        "--expiry", expiry, "--strikes", "3400", "--qty", "2", "--hedge", "spot",
        "--hedge-venue", simex.rest_url, "--slippage-bps", "300", "--yes", "--json",
        "--group-id", "cli-eth-1", "--journal-url", f"sqlite:///{tmp_path / 'journal.sqlite'}",
        "--list-store", f"sqlite:///{tmp_path / 'lists.sqlite'}")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    legs = [(leg["instrument"], leg["side"], leg["role"]) for leg in doc["legs"]]
    assert legs[:2] == [(f"ETH-{expiry}-3400-C", "buy", "option"),
                        (f"ETH-{expiry}-3400-P", "buy", "option")]
    assert legs[2] == ("WETH/USDC", "sell", "hedge")
    assert doc["execution"]["state"] == "completed" and doc["execution"]["residual"] == {}
    weth = D(doc["legs"][2]["qty"])
    assert weth > 0 and weth % D("0.0001") == 0  # simex's WETH lot
    held = {name: p.size for name, p in deribit.engine.accounts[DEFAULT_API_KEY].positions.items()
            if p.size}
    assert held == {f"ETH-{expiry}-3400-C": D(2), f"ETH-{expiry}-3400-P": D(2)}


async def test_cli_spot_hedge_when_hedge_venue_is_not_a_url_then_usage_error(
        servers: tuple[DeribitServer, SimexServer], tmp_path: Path) -> None:
    deribit, _ = servers
    run = await asyncio.to_thread(
        crossbook, "strategy", "straddle", "--underlying", "ETH", "--venue", deribit.rest_url,
        "--expiry", "27DEC26", "--strikes", "3400", "--qty", "1", "--hedge", "spot",
        "--hedge-venue", "simex", "--dry-run", "--json")
    assert run.returncode == 2 and "--hedge-venue" in run.stderr
