"""Crash recovery: SIGKILL the engine process at seeded random points during a multi-leg
TWAP against two simex exchanges, restart it each time, and check the venues' truth.

The engine runs in a subprocess (this file, run as a script): a real OrderManager over the
SQLite WAL journal, two real CexVenues (ccxt.binance pointed at two simex servers on
loopback), the real router, and the real pre-trade gate and compliance screener. The group
buys WETH on simex-a and sells it on simex-b, ratio-locked, in 80 tranches over 40 s.
Once an engine is up, every REST answer is delayed 100 ms (simex faults) so that kills land
while orders are in flight, and a few order answers are lost outright (executed, never answered).
No on-chain (devnet) leg: the on-chain execution venue is not in the tree yet.

After 20 kills and a final uninterrupted run, for each venue:
- no duplicate order: every client order id appears once among the venue's orders;
- no lost fill: the journal's fills are exactly the venue's trades for our account;
- positions and balances from the journal equal the venue's;
- the group completed with zero residual exposure, and the journal replays to its tables.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

SEED = 20261125
KILLS = 20
GROUP = "crash-arb"
GROUP_PARAMS = {
    "legs": [{"venue": "simex-a", "symbol": "WETH/USDC", "side": "buy", "ratio": "1"},
             {"venue": "simex-b", "symbol": "WETH/USDC", "side": "sell", "ratio": "1"}],
    "qty": "2", "policy": "ratio_locked", "tranches": 80, "duration_ns": 40 * 10**9,
    "leg_timeout_ns": 5 * 10**9,
}
D = Decimal


# ---- the engine process -------------------------------------------------------------------

async def _engine_process(config: dict[str, Any]) -> None:
    from connectors.cex import CexVenue, CexVenueConfig
    from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET
    from engine.api import Engine
    from engine.journal import Journal, JournalConfig
    from engine.oms import OmsConfig, OrderManager
    from engine.router import Router

    from oms_support import SIMEX_FILTER, crash_gate

    folder = Path(config["folder"])
    venues = {name: CexVenue(CexVenueConfig(name, DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                            urls=urls, symbols=("WETH/USDC",),
                                            request_timeout_s=2.0, fill_poll_s=1.0))
              for name, urls in config["venues"].items()}
    journal = Journal(JournalConfig(url=f"sqlite:///{folder / 'journal.sqlite'}"))
    gate = crash_gate(folder, {name: SIMEX_FILTER for name in venues})
    oms = OrderManager(journal, venues, gate,
                       config=OmsConfig(request_timeout_ns=4 * 10**9,
                                        resend_after_ns=2 * 10**9,
                                        reconcile_every_ns=200_000_000))
    oms.attach()  # take fills before the user streams connect
    open_at_start = len(oms.open_orders())
    for venue in venues.values():
        await venue.start()
    engine = Engine(oms, Router(list(venues.values()), refine_points=0))
    await engine.start()
    if GROUP not in engine.handles and GROUP not in oms.parents():
        engine.run_group(GROUP, GROUP_PARAMS)
    print("ready " + json.dumps({"open_at_start": open_at_start, "resends": oms.resends}),
          flush=True)
    if GROUP in engine.handles:
        report = await engine.handles[GROUP].result()
        print(json.dumps({"report": report.to_json()}), flush=True)
    else:
        print(json.dumps({"report": {"state": oms.parents()[GROUP]["state"],
                                     "residual": oms.parents()[GROUP].get("residual")}}),
              flush=True)
    await engine.close()
    for venue in venues.values():
        await venue.close()


# ---- the test -----------------------------------------------------------------------------


def _delay(servers: Mapping[str, Any], delay_ms: int) -> None:
    for server in servers.values():
        server.faults.update({"delay_ms": delay_ms})


@pytest.mark.integration
async def test_engine_killed_at_random_points_then_no_duplicate_no_lost_fill_no_residual(
        tmp_path: Path) -> None:
    from connectors.simex import DEFAULT_API_KEY, SimexConfig, SimexServer
    from connectors.simex.faults import FaultPlan
    from engine.journal import Journal, JournalConfig

    from oms_support import check_simex_venue, read_until, spawn_script

    servers = {name: SimexServer(SimexConfig(name=name),
                                 faults=FaultPlan(seed=SEED, never_answer_orders=3))
               for name in ("simex-a", "simex-b")}
    for server in servers.values():
        await server.start()
    try:
        start = {a: b.free + b.locked for a, b in
                 servers["simex-a"].engine.accounts[DEFAULT_API_KEY].balances.items()}
        config = {"folder": str(tmp_path),
                  "venues": {name: s.ccxt_urls() for name, s in servers.items()}}
        rng = random.Random(SEED)
        kills_before_ready = 0
        recovered: list[dict[str, int]] = []
        for _ in range(KILLS):
            _delay(servers, 0)  # start quickly (the connector re-reads every past trade)
            process = await spawn_script(__file__, config)
            if rng.random() < 0.25:  # during startup: replay, reconciliation, resends
                kills_before_ready += 1
                await asyncio.sleep(rng.uniform(1.5, 3.5))
            else:
                recovered.append(json.loads((await read_until(process, "ready", 60))[6:]))
                _delay(servers, 100)  # orders in flight for 100 ms: where the kills land
                await asyncio.sleep(rng.uniform(0.0, 1.2))
            assert process.returncode is None, "the engine ended before it could be killed"
            process.send_signal(signal.SIGKILL)
            assert await process.wait() == -signal.SIGKILL
        _delay(servers, 0)
        process = await spawn_script(__file__, config)
        line = await read_until(process, '{"report"', 90)
        assert await process.wait() == 0
        report = json.loads(line)["report"]
        assert report["state"] == "completed" and report["residual"] == {}
        journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
        for name, server in servers.items():
            check_simex_venue(name, server, journal, start)
        assert journal.projections() == journal.replay()
        orders = journal.projections().orders.values()
        assert all(order.status.is_terminal for order in orders)
        filled = {name: journal.projections().positions.get((name, "WETH/USDC"))
                  for name in servers}
        assert filled == {"simex-a": D(2), "simex-b": D(-2)}
        assert 0 < kills_before_ready < KILLS
        # the kills landed mid-flight: restarts found orders open, and resent lost ones
        assert sum(r["open_at_start"] for r in recovered) >= 3
        print(f"kills={KILLS} before_ready={kills_before_ready} recoveries={recovered}")
    finally:
        for server in servers.values():
            await server.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/: the shared test helpers
    asyncio.run(_engine_process(json.loads(sys.argv[1])))
