"""A VWAP whose profile is measured on the venues: trades made here on simex (read back through
the real ccxt client from /api/v3/klines and aggTrades) and swaps made here on two V3 pools and
the V2 pair of the devnet (read back from their Swap logs, timed by their blocks), summed per
bucket across the venues.

Times are set, not waited for: the swaps' blocks are stamped with evm_setNextBlockTimestamp,
simex's trades with its clock offset, and the engine's clock is a ManualClock at the end of
the window; all three count in the same epoch seconds (the devnet's, which runs ahead of the
wall clock), so each print lands in a known bucket. The 10 s buckets let the CEX read 1 s
klines; the trade list (aggTrades) is checked against the same prints.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from connectors.amm.venue import amm_venues_from_manifest
from connectors.cex import CexVenue, CexVenueConfig
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, SimexServer
from connectors.simex.matching import NewOrder, OrderKind, OrderSide, Stp, Tif
from connectors.venue import Venue
from engine.algos import AlgoState, Vwap
from engine.api import Engine
from engine.oms import ManualClock, OrderManager
from engine.router import Router

from devnet_actions import router_swap, rpc
from oms_support import StaticGate, journal_at

pytestmark = pytest.mark.integration
BUCKET_S = 10


def simex_trade_at(simex: SimexServer, at_s: int, qty: D, tag: str) -> None:
    """A maker's ask taken by a market buy, printed at epoch second `at_s` on simex's clock."""
    simex.clock_offset_ms = at_s * 1000 + 500 - time.time_ns() // 1_000_000
    try:
        for order in (NewOrder("vw-maker", "WETHUSDC", OrderSide.SELL, OrderKind.LIMIT, Tif.GTC,
                               qty, None, D(3000), f"ask-{tag}", Stp.NONE),
                      NewOrder("vw-taker", "WETHUSDC", OrderSide.BUY, OrderKind.MARKET, None,
                               qty, None, None, f"buy-{tag}", Stp.NONE)):
            _, out = simex.engine.new_order(order)
            simex.publish(out)
    finally:
        simex.clock_offset_ms = 0


def pool_swap_at(w3: Web3, devnet: dict[str, Any], at_s: int, fee: int, weth: D) -> int:
    """Sell `weth` on the V3 pool at `fee` in blocks stamped from `at_s` on; the swap's
    block timestamp (approve and swap are one block each)."""
    rpc(w3, "evm_setNextBlockTimestamp", at_s)
    router_swap(w3, devnet, "WETH", "USDC", fee, int(weth.scaleb(18)))
    return int(w3.eth.get_block("latest")["timestamp"])


def pair_swap_at(w3: Web3, devnet: dict[str, Any], at_s: int, weth: D) -> int:
    """Sell `weth` on the V2 pair as its own contract is driven (pay in, then swap out the
    V2 formula's amount), in blocks stamped from `at_s` on; the swap's block timestamp."""
    trader = w3.eth.accounts[0]
    pair = w3.eth.contract(address=devnet["uniswap_v2"]["pairs"]["WETH/USDC"]["address"],
                           abi=devnet["abis"]["UniswapV2Pair"])
    token = w3.eth.contract(address=devnet["tokens"]["WETH"]["address"],
                            abi=devnet["abis"]["TestERC20"])
    amount_in = int(weth.scaleb(18))
    reserve0, reserve1, _ = pair.functions.getReserves().call()
    weth_is_0 = pair.functions.token0().call() == token.address
    reserve_in, reserve_out = (reserve0, reserve1) if weth_is_0 else (reserve1, reserve0)
    out = amount_in * 997 * reserve_out // (reserve_in * 1000 + amount_in * 997)
    rpc(w3, "evm_setNextBlockTimestamp", at_s)
    token.functions.transfer(pair.address, amount_in).transact({"from": trader})
    pair.functions.swap(0 if weth_is_0 else out, out if weth_is_0 else 0, trader,
                        b"").transact({"from": trader})
    return int(w3.eth.get_block("latest")["timestamp"])


async def test_vwap_from_venues_when_simex_and_pools_traded_then_weights_are_their_volume(
        simex: SimexServer, w3: Web3, devnet: dict[str, Any], tmp_path: Path) -> None:
    simex.engine.add_account("vw-maker", "x", {"WETH": D(100)})
    simex.engine.add_account("vw-taker", "y", {"USDC": D(10**6)})
    t0 = int(w3.eth.get_block("latest")["timestamp"]) + 5  # the window: [t0, t0 + 3 buckets)
    swapped = [pool_swap_at(w3, devnet, t0 + 2, 500, D("1.5")),
               pair_swap_at(w3, devnet, t0 + BUCKET_S + 5, D("0.4")),
               pool_swap_at(w3, devnet, t0 + 2 * BUCKET_S + 2, 3000, D("0.7"))]
    assert [(s - t0) // BUCKET_S for s in swapped] == [0, 1, 2]  # the blocks landed as planned
    simex_trade_at(simex, t0 + BUCKET_S + 3, D(2), "b1")
    simex_trade_at(simex, t0 + 2 * BUCKET_S + 4, D(1), "b2")
    simex_trade_at(simex, t0 - 3, D(9), "before")  # before the window: not counted

    amm = amm_venues_from_manifest(w3, devnet)
    config = CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                            urls=simex.ccxt_urls(), symbols=("WETH/USDC",))
    async with CexVenue(config) as cex:
        # simex's clock at the window's end too: it serves no klines from its future
        simex.clock_offset_ms = (t0 + 3 * BUCKET_S) * 1000 - time.time_ns() // 1_000_000
        # the tape as trades (aggTrades), and as 1 s klines when the caller's buckets allow
        trades = await cex.recent_trades("WETH/USDC", t0 * 10**9)
        assert [(ts // 10**9, qty) for ts, qty in trades] == [
            (t0 + BUCKET_S + 3, D(2)), (t0 + 2 * BUCKET_S + 4, D(1))]
        assert all(ts % 10**9 for ts, _ in trades)  # trade times, to the ms: not bars
        assert await cex.recent_trades("WETH/USDC", t0 * 10**9, BUCKET_S * 10**9) == [
            ((t0 + BUCKET_S + 3) * 10**9, D(2)), ((t0 + 2 * BUCKET_S + 4) * 10**9, D(1))]
        venues: list[Venue] = [cex, *amm.for_symbol("WETH/USDC")]
        clock = ManualClock(start_ns=(t0 + 3 * BUCKET_S) * 10**9)
        oms = OrderManager(journal_at(tmp_path), {}, StaticGate(), clock)
        await oms.start(background=False)
        engine = Engine(oms, Router(venues))
        handle = engine.run_algo("vwap", "vwap-measured", {
            "symbol": "WETH/USDC", "side": "buy", "qty": "3", "limit_price": "1",
            "duration_ns": 3 * BUCKET_S * 10**9,
            "from_venues": {"buckets": 3, "lookback_ns": 3 * BUCKET_S * 10**9}})
        algo = handle.algo
        assert isinstance(algo, Vwap)
        async with asyncio.timeout(30):
            while algo.state is AlgoState.PENDING:
                await asyncio.sleep(0.05)
        assert algo.state is AlgoState.RUNNING, algo.reason
        # bucket 0: the 1.5 WETH swap; 1: simex's 2 and the pair's 0.4; 2: the 0.7 swap and
        # simex's 1
        assert algo.params.volumes == (D("1.5"), D("2.4"), D("1.7"))
        assert algo.params.from_venues is None  # journaled as measured volumes
        assert [p[1] for p in algo.points()] == [D("1.5") / D("5.6"), D("3.9") / D("5.6"),
                                                 D(1)]
        record = oms.parents()["vwap-measured"]
        source = record["volume_source"]
        assert isinstance(source, dict)
        assert {k: D(v) for k, v in source["by_venue"].items()} == {
            "simex": D(3), "uniswap_v2:WETH/USDC": D("0.4"),
            "uniswap_v3:WETH/USDC:3000": D("0.7"),
            "uniswap_v3:WETH/USDC:500": D("1.5")}
        assert source["start_ns"] == t0 * 10**9 and source["bucket_ns"] == BUCKET_S * 10**9
        params = record["params"]
        assert isinstance(params, dict)
        assert [D(v) for v in params["volumes"]] == [D("1.5"), D("2.4"), D("1.7")]
        await algo.cancel()
        await engine.close()
        simex.clock_offset_ms = 0


async def test_vwap_from_venues_when_nothing_traded_then_it_ends_canceled_with_the_reason(
        simex: SimexServer, tmp_path: Path) -> None:
    config = CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                            urls=simex.ccxt_urls(), symbols=("WETH/USDC",))
    async with CexVenue(config) as cex:
        oms = OrderManager(journal_at(tmp_path), {}, StaticGate(), ManualClock(time.time_ns()))
        await oms.start(background=False)
        engine = Engine(oms, Router([cex]))
        handle = engine.run_algo("vwap", "vwap-quiet", {
            "symbol": "WETH/USDC", "side": "buy", "qty": "1", "duration_ns": 60 * 10**9,
            "from_venues": {"buckets": 4}})
        progress = await handle.result()
        assert progress.state is AlgoState.CANCELED  # type: ignore[union-attr]
        assert "nothing traded in WETH/USDC on simex" in str(progress.reason)  # type: ignore[union-attr]
        assert oms.parents()["vwap-quiet"]["state"] == "canceled"
        assert not oms.orders("vwap-quiet")  # no child was ever sent
        await engine.close()
