"""Crash recovery on chain and off: SIGKILL the engine at seeded random points during a
multi-leg TWAP across simex and two devnet pools traded through a guarded Safe, restart it each
time, and check every venue's truth.

The engine runs in a subprocess (this file, run as a script): a real OrderManager over the
SQLite WAL journal, the real CexVenue (ccxt.binance pointed at simex on loopback), two
SafeSwapVenues (Uniswap V3 0.05% and V2 WETH/USDC) sharing one SafeSwapSender over the desk's
guarded 2-of-3 Safe, relayed by the real transaction manager, the real router, pre-trade gate
and compliance screener. The group buys WETH on both pools and sells twice as much on simex,
ratio-locked, in 16 tranches over 96 s (more than the kills leave time for: every kill lands
while the group is still working). anvil mines a block every second (automine off), so a pool order
is signed, sent and waiting for its block for most of its life: that is where kills land. Once
an engine is up, simex answers 100 ms late and loses the answers to a few orders.

After the kills and a final uninterrupted run:
- no duplicate order: at simex every client order id once; on chain no client order id has two
  executed Safe transactions, and every Safe transaction that ran is one of ours;
- no lost fill: the journal's fills are exactly simex's trades plus the executor's `Swapped`
  events of the Safe's transactions (every `Swapped` event since the start is one of them);
- positions and balances from the journal equal simex's and the Safe's token balances;
- the group completed with zero residual exposure, and the journal replays to its tables.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

SEED = 20261126
KILLS = 20
GROUP = "crash-dex"
POOLS = ("uniswap_v3:WETH/USDC:500", "uniswap_v2:WETH/USDC")
GROUP_PARAMS = {
    "legs": [{"venue": POOLS[0], "symbol": "WETH/USDC", "side": "buy", "ratio": "1"},
             {"venue": POOLS[1], "symbol": "WETH/USDC", "side": "buy", "ratio": "1"},
             {"venue": "simex", "symbol": "WETH/USDC", "side": "sell", "ratio": "2"}],
    # One tranche every 6 s from the journaled start: on a fast machine the 20 lives take about
    # a minute, so work is still due at the last kill; on a slow one the blocks pace it.
    "qty": "1.6", "policy": "ratio_locked", "tranches": 16, "duration_ns": 96 * 10**9,
    "leg_timeout_ns": 8 * 10**9,
}
D = Decimal
EXECUTION_SUCCESS = Web3.keccak(text="ExecutionSuccess(bytes32,uint256)")


# ---- the engine process -------------------------------------------------------------------

async def _engine_process(config: dict[str, Any]) -> None:
    from chain.devnet import connect
    from chain.wallet import SafeWallet
    from connectors.amm.execution import SafeSwapVenue
    from connectors.amm.swap_ledger import AttemptState
    from connectors.amm.venue import amm_venues_from_manifest
    from connectors.cex import CexVenue, CexVenueConfig
    from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET
    from engine.api import Engine
    from engine.journal import Journal, JournalConfig
    from engine.oms import OmsConfig, OrderManager
    from engine.router import Router

    from oms_support import SIMEX_FILTER, crash_gate, safe_sender
    from safe_desk import Desk, KeySigner

    folder = Path(config["folder"])
    manifest = json.loads(Path(config["manifest"]).read_text())
    w3 = connect(manifest["rpc_url"])
    wallet = SafeWallet(w3, config["safe"], manifest["safe"]["multi_send_call_only"])
    signers = [KeySigner(f"crossbook-test-owner-{i}") for i in range(3)]
    desk = Desk(w3, manifest, wallet, signers, w3.eth.accounts[1])
    sender = safe_sender(desk, folder, mined_timeout_s=3.0, poll_interval_s=0.1)
    amm = amm_venues_from_manifest(w3, manifest)
    pools = [SafeSwapVenue(amm.by_name(name), amm, sender) for name in POOLS]
    cex = CexVenue(CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                  urls=config["simex"], symbols=("WETH/USDC",),
                                  request_timeout_s=2.0, fill_poll_s=1.0))
    venues = {v.name: v for v in (cex, *pools)}
    filters = {"simex": SIMEX_FILTER}
    filters.update({p.name: (m.tick_size, m.lot_size, m.min_qty, m.min_notional)
                    for p in pools for m in p.markets()})
    journal = Journal(JournalConfig(url=f"sqlite:///{folder / 'journal.sqlite'}"))
    oms = OrderManager(journal, venues, crash_gate(folder, filters),
                       config=OmsConfig(request_timeout_ns=4 * 10**9,
                                        resend_after_ns=2 * 10**9,
                                        reconcile_every_ns=200_000_000))
    oms.attach()  # take fills before the user stream connects
    open_at_start = collections.Counter(
        "simex" if o.venue == "simex" else "chain" for o in oms.open_orders())
    in_doubt = len(sender.ledger.attempts(state=AttemptState.PREPARED))
    await sender.start()  # re-sends what a killed engine signed, drops unsigned nonces
    await cex.start()
    engine = Engine(oms, Router(list(venues.values()), refine_points=0))
    await engine.start()
    if GROUP not in engine.handles and GROUP not in oms.parents():
        engine.run_group(GROUP, GROUP_PARAMS)
    print("ready " + json.dumps({"open_simex": open_at_start["simex"],
                                 "open_chain": open_at_start["chain"],
                                 "chain_in_doubt": in_doubt, "resends": oms.resends}),
          flush=True)
    if GROUP in engine.handles:
        report = await engine.handles[GROUP].result()
        print(json.dumps({"report": report.to_json()}), flush=True)
    else:
        parent = oms.parents()[GROUP]
        print(json.dumps({"report": {"state": parent["state"],
                                     "residual": parent.get("residual")}}), flush=True)
    await engine.close()
    await cex.close()
    await sender.close()


# ---- the test -----------------------------------------------------------------------------


@pytest.fixture
def block_every_second(w3: Web3) -> Iterator[Callable[[], None]]:
    """Call it to have anvil mine one block a second instead of one per transaction;
    automine comes back after the test (evm_revert restores state, not the mining mode)."""
    def slow() -> None:
        w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
        w3.provider.make_request("evm_setIntervalMining", [1])  # type: ignore[arg-type]

    yield slow
    w3.provider.make_request("evm_setIntervalMining", [0])  # type: ignore[arg-type]
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def _check_chain(w3: Web3, desk: Any, folder: Path, journal: Any, from_block: int,
                 start: Mapping[str, int]) -> int:
    """The Safe's executions and the executor's events against the journal; returns the
    number of Safe transactions that ran."""
    from chain.wallet import executor_contract, fills_from_receipt
    from connectors.amm.swap_ledger import SwapLedger
    from engine.model import OrderStatus

    safe = desk.wallet.address
    ran = w3.eth.get_logs({"address": safe, "fromBlock": from_block, "toBlock": "latest",
                           "topics": [EXECUTION_SUCCESS]})
    ledger = SwapLedger(f"sqlite:///{folder / 'swaps.sqlite'}")
    attempts = {a.safe_tx_hash: a for a in ledger.attempts()}
    ledger.close()
    executed = ["0x" + bytes(log["topics"][1]).hex() for log in ran]
    assert set(executed) <= set(attempts), "a Safe transaction ran that the venue never built"
    coids = [attempts[h].client_order_id for h in executed]
    twice = [c for c, n in collections.Counter(coids).items() if n > 1]
    assert not twice, f"client order ids with two Safe transactions: {twice}"
    truth: set[tuple[str, str]] = set()
    for coid, log in zip(coids, ran, strict=True):
        receipt = w3.eth.get_transaction_receipt(log["transactionHash"])
        for fill in fills_from_receipt(w3, desk.executor, receipt):
            tx = "0x" + bytes(receipt["transactionHash"]).hex()
            truth.add((coid, f"{tx}:{fill.log_index}"))
    swapped = executor_contract(w3, desk.executor).events.Swapped().get_logs(
        from_block=from_block)
    assert len(swapped) == len(truth), "an executor swap outside the Safe's transactions"
    projections = journal.projections()
    booked = {(coid, trade) for (coid, trade), fill in projections.fills.items()
              if fill.venue in POOLS}
    assert booked == truth, f"chain: lost {truth - booked}, extra {booked - truth}"
    filled = {o.client_order_id for o in projections.orders.values()
              if o.venue in POOLS and o.status is OrderStatus.FILLED}
    assert filled == set(coids)
    weth, usdc = desk.token("WETH"), desk.token("USDC")
    weth_delta = D(weth.functions.balanceOf(safe).call() - start["WETH"]).scaleb(-18)
    usdc_delta = D(usdc.functions.balanceOf(safe).call() - start["USDC"]).scaleb(-6)
    position = sum((projections.positions.get((p, "WETH/USDC"), D(0)) for p in POOLS), D(0))
    assert position == weth_delta
    cash = sum((projections.balances.get((p, "USDC"), D(0)) for p in POOLS), D(0))
    assert cash.quantize(D("0.000001")) == usdc_delta
    return len(coids)


@pytest.mark.integration
async def test_engine_killed_during_cex_dex_twap_then_no_duplicate_no_lost_fill_no_residual(
        w3: Web3, devnet: dict[str, Any], tmp_path: Path,
        block_every_second: Callable[[], None]) -> None:
    from connectors.simex import DEFAULT_API_KEY, SimexConfig, SimexServer
    from connectors.simex.faults import FaultPlan
    from engine.journal import Journal, JournalConfig

    from oms_support import check_simex_venue, read_until, spawn_script
    from safe_desk import make_desk

    began = time.monotonic()
    desk = make_desk(w3, devnet)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(devnet))
    start_chain = {s: desk.token(s).functions.balanceOf(desk.wallet.address).call()
                   for s in ("WETH", "USDC")}
    from_block = w3.eth.block_number
    block_every_second()
    server = SimexServer(SimexConfig(name="simex"),
                         faults=FaultPlan(seed=SEED, never_answer_orders=2))
    await server.start()
    try:
        start = {a: b.free + b.locked for a, b in
                 server.engine.accounts[DEFAULT_API_KEY].balances.items()}
        config = {"folder": str(tmp_path), "manifest": str(manifest),
                  "safe": desk.wallet.address, "simex": server.ccxt_urls()}
        rng = random.Random(SEED)
        kills_before_ready = 0
        recovered: list[dict[str, float]] = []
        for _ in range(KILLS):
            server.faults.update({"delay_ms": 0})
            process = await spawn_script(__file__, config)
            if rng.random() < 0.2:  # during startup: replay, reconciliation, resends
                kills_before_ready += 1
                await asyncio.sleep(rng.uniform(1.5, 3.5))
            else:
                spawned = time.monotonic()
                recovered.append(json.loads((await read_until(process, "ready", 60))[6:]))
                recovered[-1]["ready_s"] = round(time.monotonic() - spawned, 1)
                server.faults.update({"delay_ms": 100})
                await asyncio.sleep(rng.uniform(0.0, 1.5))
            assert process.returncode is None, "the engine ended before it could be killed"
            process.send_signal(signal.SIGKILL)
            assert await process.wait() == -signal.SIGKILL
        server.faults.update({"delay_ms": 0})
        process = await spawn_script(__file__, config)
        line = await read_until(process, '{"report"', 240)
        assert await process.wait() == 0
        report = json.loads(line)["report"]
        assert report["state"] == "completed" and report["residual"] == {}, report
        journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
        simex_orders = check_simex_venue("simex", server, journal, start)
        chain_orders = _check_chain(w3, desk, tmp_path, journal, from_block, start_chain)
        assert journal.projections() == journal.replay()
        projections = journal.projections()
        assert all(order.status.is_terminal for order in projections.orders.values())
        positions = {v: projections.positions.get((v, "WETH/USDC")) for v in
                     ("simex", *POOLS)}
        assert positions == {"simex": D("-3.2"), POOLS[0]: D("1.6"), POOLS[1]: D("1.6")}
        assert 0 < kills_before_ready < KILLS
        # kills landed with pool orders signed and unmined, and with simex orders open
        assert sum(r["chain_in_doubt"] for r in recovered) >= 1
        assert sum(r["open_simex"] for r in recovered) >= 1
        print(f"kills={KILLS} before_ready={kills_before_ready} "
              f"simex_orders={simex_orders} safe_txs={chain_orders} "
              f"journal_orders={collections.Counter(o.venue for o in projections.orders.values())} "
              f"recoveries={recovered} runtime_s={time.monotonic() - began:.0f}")
    finally:
        await server.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/: the shared test helpers
    asyncio.run(_engine_process(json.loads(sys.argv[1])))
