"""`crossbook strategy --venue http://...` (a real subprocess) against simex's Deribit dialect:
a delta-hedged straddle previewed and sent through ccxt.deribit, perpetual hedge included."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.simex.deribit import DeribitConfig, DeribitMakerConfig, DeribitServer
from engine.strategies import format_expiry

from cli import crossbook

pytestmark = pytest.mark.integration


@pytest.fixture
async def server() -> AsyncIterator[DeribitServer]:
    config = DeribitConfig(makers=DeribitMakerConfig(drift_bps=Decimal(0)))
    async with DeribitServer(config) as s:
        yield s


async def test_hedged_straddle_when_sent_by_cli_then_completed_and_positions_at_venue(
        server: DeribitServer, tmp_path: Path) -> None:
    expiries = sorted({i.expiry_ms for i in server.engine.instruments.values()
                       if i.is_option and i.currency == "BTC"})
    expiry = format_expiry(expiries[2] * 1_000_000)
    run = await asyncio.to_thread(
        crossbook, "strategy", "straddle", "--venue", server.rest_url, "--expiry", expiry,
        "--strikes", "95000", "--qty", "1", "--hedge", "perp", "--slippage-bps", "200",
        "--yes", "--json", "--group-id", "cli-strad-1",
        "--journal-url", f"sqlite:///{tmp_path / 'journal.sqlite'}",
        "--list-store", f"sqlite:///{tmp_path / 'lists.sqlite'}")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    legs = [(leg["instrument"], leg["side"], leg["role"]) for leg in doc["legs"]]
    assert legs[:2] == [(f"BTC-{expiry}-95000-C", "buy", "option"),
                        (f"BTC-{expiry}-95000-P", "buy", "option")]
    assert legs[2][0] == "BTC-PERPETUAL" and legs[2][2] == "hedge"
    assert doc["execution"]["state"] == "completed" and doc["execution"]["residual"] == {}
    hedge_usd = Decimal(doc["legs"][2]["qty"])
    assert hedge_usd % 10 == 0 and hedge_usd > 0  # whole 10 USD perpetual contracts
    assert abs(Decimal(doc["greeks"]["delta"])) * Decimal(doc["index_price"]) < 10
    # the venue's own truth: the desk's account holds the options and the short perpetual
    from connectors.simex import DEFAULT_API_KEY

    held = {name: p.size for name, p in server.engine.accounts[DEFAULT_API_KEY].positions.items()
            if p.size}
    assert held == {f"BTC-{expiry}-95000-C": Decimal(1), f"BTC-{expiry}-95000-P": Decimal(1),
                    "BTC-PERPETUAL": -hedge_usd}
