"""Leg groups with a DEX leg that fails on chain: a CEX/DEX pair (buy WETH in the Uniswap V3
0.05% pool through the desk's guarded Safe, sell it on simex) run by the real OMS, router and
transaction manager, with anvil mining by hand.

- the pool moves between our swap's broadcast and its block: the Safe transaction reverts on
  chain (the executor's price bound), the order is REJECTED with nothing moved, and the group
  buys back on simex what it sold there: zero residual exposure;
- the swap is not mined in time: the order becomes UNKNOWN, the group gives up waiting and
  reconciles it; when its block comes the order is FILLED (never sent twice) and the group
  completes: zero residual exposure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.txmanager import TxState
from connectors.amm.execution import SafeSwapSender, SafeSwapVenue
from connectors.amm.venue import amm_venues_from_manifest
from connectors.cex import CexVenue, CexVenueConfig
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, SimexConfig, SimexServer
from engine.journal import Journal, JournalConfig
from engine.legs import LegGroup, LegGroupParams
from engine.model import OrderStatus
from engine.oms import OmsConfig, OrderManager
from engine.router import Router

from oms_support import SIMEX_FILTER, check_simex_venue, crash_gate, safe_sender
from safe_desk import Desk, make_desk

pytestmark = pytest.mark.integration

POOL = "uniswap_v3:WETH/USDC:500"
D = Decimal


@dataclass
class Pair:
    desk: Desk
    server: SimexServer
    sender: SafeSwapSender
    pool: SafeSwapVenue
    oms: OrderManager
    router: Router
    journal: Journal
    simex_start: dict[str, Decimal]

    def group(self, group_id: str, leg_timeout_s: float, on_failure: str) -> LegGroup:
        params = LegGroupParams.model_validate({
            "legs": [{"venue": POOL, "symbol": "WETH/USDC", "side": "buy", "ratio": "1"},
                     {"venue": "simex", "symbol": "WETH/USDC", "side": "sell", "ratio": "1"}],
            "qty": "1", "policy": "all_or_none", "on_failure": on_failure,
            "leg_timeout_ns": int(leg_timeout_s * 10**9)})
        return LegGroup(self.oms, self.router, group_id, params)

    def safe_weth(self) -> int:
        return int(self.desk.token("WETH").functions.balanceOf(self.desk.wallet.address).call())

    async def pool_order_sent(self) -> str:
        """The pool order's relayer transaction once it is in the node's pool: its tx id."""
        async with asyncio.timeout(20):
            while True:
                for attempt in self.sender.ledger.attempts(venue=POOL):
                    record = self.sender.record(attempt.tx_id)
                    if record is not None and record.state is TxState.SENT:
                        return attempt.tx_id
                await asyncio.sleep(0.05)


@pytest.fixture
def manual_mining(w3: Web3) -> Iterator[None]:
    """Automine off for the test; back on after it (evm_revert does not restore it)."""
    yield
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


@pytest.fixture
async def pair(w3: Web3, devnet: dict[str, Any], tmp_path: Path,
               manual_mining: None) -> AsyncIterator[Pair]:
    desk = make_desk(w3, devnet)
    server = SimexServer(SimexConfig(name="simex"))
    await server.start()
    sender = safe_sender(desk, tmp_path, mined_timeout_s=1.0)
    await sender.start()
    amm = amm_venues_from_manifest(w3, devnet)
    pool = SafeSwapVenue(amm.by_name(POOL), amm, sender)
    cex = CexVenue(CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                  urls=server.ccxt_urls(), symbols=("WETH/USDC",)))
    journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
    filters = {"simex": SIMEX_FILTER, POOL: next(
        (m.tick_size, m.lot_size, m.min_qty, m.min_notional) for m in pool.markets())}
    oms = OrderManager(journal, {"simex": cex, POOL: pool}, crash_gate(tmp_path, filters),
                       config=OmsConfig(request_timeout_ns=5 * 10**9,
                                        reconcile_every_ns=200_000_000))
    oms.attach()
    await cex.start()
    await oms.start()
    start = {a: b.free + b.locked
             for a, b in server.engine.accounts[DEFAULT_API_KEY].balances.items()}
    yield Pair(desk, server, sender, pool, oms, Router([cex, pool], refine_points=0), journal,
               start)
    await oms.close()
    await cex.close()
    await sender.close()
    await server.stop()


def _ready_to_move_pool(w3: Web3, devnet: dict[str, Any], usdc_units: int) -> Any:
    """Mint `usdc_units` to account 0 (the tokens' deployer) and approve the SwapRouter;
    return the unsent swap (WETH bought with all of it on the pool)."""
    trader = w3.eth.accounts[0]
    usdc = w3.eth.contract(address=devnet["tokens"]["USDC"]["address"],
                           abi=devnet["abis"]["TestERC20"])
    router = w3.eth.contract(address=devnet["uniswap_v3"]["swap_router"],
                             abi=devnet["abis"]["SwapRouter"])
    usdc.functions.mint(trader, usdc_units).transact({"from": trader})
    usdc.functions.approve(router.address, usdc_units).transact({"from": trader})
    return router.functions.exactInputSingle((
        usdc.address, devnet["tokens"]["WETH"]["address"], 500, trader, 2**32 - 1,
        usdc_units, 0, 0))


def _send_first(swap: Any, w3: Web3) -> Any:
    """Send `swap` at a tip far above the relayer's: ordered before our pending swap."""
    return swap.transact({"from": w3.eth.accounts[0], "gas": 5_000_000,
                          "maxPriorityFeePerGas": 100 * 10**9, "maxFeePerGas": 500 * 10**9})


async def test_group_when_dex_leg_reverts_on_chain_then_cex_leg_unwound_and_no_residual(
    w3: Web3, devnet: dict[str, Any], pair: Pair,
) -> None:
    weth_before, nonce_before = pair.safe_weth(), pair.desk.wallet.nonce()
    mover = _ready_to_move_pool(w3, devnet, 300_000 * 10**6)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    running = asyncio.create_task(pair.group("revert", 30, "unwind").run())
    tx_id = await pair.pool_order_sent()
    moved = _send_first(mover, w3)
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    report = await asyncio.wait_for(running, 60)

    assert w3.eth.get_transaction_receipt(moved)["status"] == 1  # the pool moved first

    record = pair.sender.manager.get(tx_id)
    assert record.state is TxState.FAILED  # mined, and reverted on chain
    (dex,) = [o for o in pair.oms.orders("revert") if o.venue == POOL]
    assert dex.status is OrderStatus.REJECTED and dex.filled_qty == 0
    assert pair.safe_weth() == weth_before  # nothing moved on chain
    # the reverted SafeTx's nonce was used by a SafeTx that only revokes the allowance, so
    # its public signatures can never run it later
    assert pair.sender.manager.get(f"{tx_id}-void").state in (TxState.MINED, TxState.FINAL)
    assert pair.desk.wallet.nonce() == nonce_before + 1
    (attempt,) = pair.sender.ledger.attempts(venue=POOL)
    assert attempt.state.value == "rejected" and "reverted on chain" in attempt.reason
    (cex,) = [o for o in pair.oms.orders("revert") if o.venue == "simex"]
    assert cex.status is OrderStatus.FILLED and cex.filled_qty == 1
    (undo,) = pair.oms.orders("revert.remedy")  # bought back on simex
    assert (undo.venue, undo.side.value, undo.filled_qty) == ("simex", "buy", 1)
    assert report.state.value == "unwound" and report.residual == {}
    assert report.failure is not None and POOL in report.failure
    check_simex_venue("simex", pair.server, pair.journal, pair.simex_start)
    assert pair.journal.projections().positions.get((POOL, "WETH/USDC"), D(0)) == 0


async def test_group_when_dex_leg_not_mined_in_time_then_unknown_then_filled_once(
    w3: Web3, pair: Pair,
) -> None:
    weth_before = pair.safe_weth()
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    running = asyncio.create_task(pair.group("late", 2, "unwind").run())
    tx_id = await pair.pool_order_sent()
    (dex,) = [o for o in pair.oms.orders("late") if o.venue == POOL]
    async with asyncio.timeout(10):  # the venue gave up waiting for the block
        while pair.oms.order(dex.client_order_id).status is not OrderStatus.UNKNOWN:
            await asyncio.sleep(0.05)
    await asyncio.sleep(2.5)  # past the leg timeout: the group cancels and reconciles
    assert pair.oms.order(dex.client_order_id).status in (OrderStatus.UNKNOWN,
                                                          OrderStatus.CANCEL_PENDING)
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    report = await asyncio.wait_for(running, 60)

    sent = pair.sender.manager.get(tx_id).versions
    assert len(sent) == 1 and w3.eth.get_transaction_receipt(sent[0].tx_hash)["status"] == 1
    kinds = [e.kind for _, e in pair.journal.events() if e.client_order_id ==
             dex.client_order_id]
    # UNKNOWN (not mined in time), then filled once its block came (the late "accepted"
    # carries the transaction hash: the fill is delivered before the report that names it)
    assert kinds.count("filled") == 1 and "status_unknown" in kinds, kinds
    assert kinds.index("status_unknown") < kinds.index("filled"), kinds
    assert pair.oms.order(dex.client_order_id).filled_qty == 1
    assert [a.attempt for a in pair.sender.ledger.attempts(venue=POOL)] == [1]  # sent once
    assert pair.safe_weth() - weth_before == 10**18
    assert report.state.value == "completed" and report.residual == {}
    check_simex_venue("simex", pair.server, pair.journal, pair.simex_start)
