"""`make demo`: the devnet and a simulated exchange, one order routed across both and sent.

Everything runs on loopback: anvil from node_modules with the real Uniswap and Safe bytecode,
and simex, our Binance-API exchange, whose market makers follow the devnet pool price and
which the real ccxt client trades against. The report shows each venue's price and depth, what
each pool would pay for the same sale (the chain's own answer beside Crossbook's local quote),
then a TWAP buy of 50 WETH run by the OMS: each slice routed across simex and the pools, every
child gated by pre-trade risk and address screening and journaled before it is sent, CEX
children through ccxt, pool children as swaps in a guarded 2-of-3 Safe; then the fills per
venue against the arrival price.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_account import Account

from chain.devnet import connect, running_devnet
from chain.signers import LocalKeySigner
from chain.txmanager import LocalKeyTxSigner, TxManager, TxManagerConfig
from chain.uniswap import get_amount_out
from chain.wallet.provision import executor_policy, fund, provision_guarded_safe
from chain.world import load_world
from connectors.amm.execution import SafeSwapSender, safe_swap_venues
from connectors.amm.swap_ledger import SwapLedger
from connectors.amm.venue import amm_venues_from_manifest
from connectors.cex import CexVenue, CexVenueConfig
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    PoolPriceFollower,
    SimexConfig,
    SimexServer,
)
from connectors.venue import Side
from engine.api import build_engine, risk_gate, use_gate
from engine.cli.devnet import status_tables
from engine.cli.output import console, table
from engine.journal import Journal, JournalConfig
from engine.model import plain
from engine.router import RouteRequest
from risk.compliance import AddressRole, ListEffect, ListStore

SELL_WETH = Decimal(100)


def _quotes(manifest: dict[str, Any]) -> list[list[Any]]:
    """What each WETH/USDC venue pays for SELL_WETH, from the chain's own answer."""
    w3 = connect(manifest["rpc_url"])
    weth, usdc = manifest["tokens"]["WETH"]["address"], manifest["tokens"]["USDC"]["address"]
    amount_in = int(SELL_WETH * 10**18)
    rows: list[list[Any]] = []
    venues = amm_venues_from_manifest(w3, manifest)
    ours = {v.name: v.quote_now("WETH/USDC", Side.SELL, SELL_WETH)
            for v in venues.for_symbol("WETH/USDC")}
    pair = manifest["uniswap_v2"]["pairs"]["WETH/USDC"]
    reserves = w3.eth.contract(address=pair["address"], abi=manifest["abis"]["UniswapV2Pair"]
                               ).functions.getReserves().call()
    reserve_in, reserve_out = reserves[:2] if pair["token0"] == weth else reserves[1::-1]
    rows.append(["uniswap_v2:WETH/USDC", 3000,
                 get_amount_out(amount_in, reserve_in, reserve_out), "-"])
    quoter = w3.eth.contract(address=manifest["uniswap_v3"]["quoter_v2"],
                             abi=manifest["abis"]["QuoterV2"])
    for key, pool in manifest["uniswap_v3"]["pools"].items():
        if not key.startswith("WETH/USDC/"):
            continue
        out, _, crossed, _ = quoter.functions.quoteExactInputSingle(
            (weth, usdc, amount_in, pool["fee_pips"], 0)).call()
        rows.append([f"uniswap_v3:WETH/USDC:{pool['fee_pips']}", pool["fee_pips"], out, crossed])
    return [[venue, fee, Decimal(out).scaleb(-6), ours[venue].quote_qty,
             "yes" if ours[venue].quote_qty == Decimal(out).scaleb(-6) else "NO",
             (Decimal(out).scaleb(-6) / SELL_WETH).quantize(Decimal("0.01")), crossed,
             ours[venue].fixed_cost.quantize(Decimal("0.0001"))]
            for venue, fee, out, crossed in rows]


BUY_WETH = Decimal(50)
TWAP_SLICES = 5
TWAP_SECONDS = 6
USDC_UNITS = 10**6


async def _twap(manifest: dict[str, Any], workdir: Path) -> None:
    """A TWAP buy through the OMS: each slice routed across simex and the pools, every child
    gated (pre-trade + compliance), journaled before it leaves, and sent to its venue."""
    w3 = connect(manifest["rpc_url"])
    amm = amm_venues_from_manifest(w3, manifest)
    simex = SimexServer(SimexConfig(), price_source=PoolPriceFollower(w3, manifest))
    await simex.start()
    cex = CexVenue(CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                  urls=simex.ccxt_urls(), symbols=("WETH/USDC",)))
    try:
        signers = [LocalKeySigner.generate(f"owner-{i}") for i in range(3)]
        relayer = w3.eth.accounts[1]
        usdc = manifest["tokens"]["USDC"]["address"]
        policy = executor_policy(manifest, {usdc: (1_000_000 * USDC_UNITS,
                                                   5_000_000 * USDC_UNITS)})
        wallet = await provision_guarded_safe(w3, manifest, signers, 2, relayer, policy)
        fund(w3, manifest, wallet.address, {"USDC": 1_000_000 * USDC_UNITS},
             w3.eth.accounts[0])
        console.print(f"\nSafe {wallet.address}: 2-of-3 owners, CrossbookGuard enabled "
                      f"(only the swap executor, USDC capped), 1,000,000 USDC")
        executor = manifest["execution"]["swap_executor"]
        # The relayer pays gas for the Safe's transactions through the transaction manager,
        # which keeps its nonces and every signed transaction in a store; the Safe venue keeps
        # which Safe nonce each order used, so a restarted engine knows what was sent.
        relay_key = Account.create()
        w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": relay_key.address,
                                 "value": w3.to_wei(10, "ether")})
        manager = TxManager(manifest["rpc_url"], [LocalKeyTxSigner(relay_key.key)],
                            TxManagerConfig(store_url=f"sqlite:///{workdir / 'txm.sqlite'}",
                                            confirmations=1, poll_interval_s=0.1))
        sender = SafeSwapSender(wallet, signers[:2], executor, manager, relay_key.address,
                                SwapLedger(f"sqlite:///{workdir / 'swaps.sqlite'}"))
        await sender.start()
        pools = safe_swap_venues(amm, sender, "WETH/USDC")
        venues = [cex, *pools]
        journal = Journal(JournalConfig(url=f"sqlite:///{workdir / 'journal.sqlite'}"))
        engine = build_engine(journal, venues, venues)
        await cex.start()
        await asyncio.sleep(1.0)  # let the makers quote around the pool price
        lists = f"sqlite:///{workdir / 'lists.sqlite'}"
        # A sanctions list must be loaded or screening denies everything (fail closed); the
        # demo's has one fictitious entry (a desk loads OFAC's with `crossbook screen sync`).
        ListStore(lists).load_addresses("demo-sanctions", ListEffect.SANCTIONS,
                                        ["0x000000000000000000000000000000000000dEaD"])
        touched = {pool.name: [(pool.pool.spec.address, AddressRole.POOL),
                               (pool.pool.spec.base.address, AddressRole.TOKEN),
                               (pool.pool.spec.quote.address, AddressRole.TOKEN),
                               (executor, AddressRole.EXECUTOR),
                               (wallet.address, AddressRole.RECIPIENT)] for pool in pools}
        use_gate(engine, risk_gate(venues, "desk", "demo", lists, touched, audit=journal))
        await engine.start()
        arrival = (await engine.router.plan(RouteRequest("WETH/USDC", Side.BUY,
                                                         Decimal("0.01")))).reference_price
        console.print(f"TWAP: buy {BUY_WETH} WETH in {TWAP_SLICES} slices over {TWAP_SECONDS} s, "
                      f"each slice routed across simex and the pools; arrival price "
                      f"{arrival.quantize(Decimal('0.01'))}")
        handle = engine.run_algo("twap", "demo-twap", {
            "symbol": "WETH/USDC", "side": "buy", "qty": str(BUY_WETH),
            "duration_ns": TWAP_SECONDS * 10**9, "slices": TWAP_SLICES, "randomize": "0.2"})
        last = Decimal(-1)
        async for progress in handle.updates():
            if progress.filled != last:
                last = progress.filled
                console.print(f"  filled {plain(progress.filled)} / {BUY_WETH} WETH")
        final = await handle.result()
        _print_report(engine.execution_report("demo-twap"), arrival, str(final.state.value))
        await engine.close()
        await sender.close()
    finally:
        await cex.close()
        await simex.stop()


def _print_report(report: dict[str, dict[str, object]], arrival: Decimal, state: str) -> None:
    rows = []
    base_total = quote_total = Decimal(0)
    for venue, row in sorted(report.items()):
        qty, notional = Decimal(str(row["qty"])), Decimal(str(row["notional"]))
        base_total, quote_total = base_total + qty, quote_total + notional
        fees = ", ".join(f"{Decimal(str(v)).quantize(Decimal('0.000001'))} {k}"
                         for k, v in dict(row["fees"]).items())  # type: ignore[call-overload]
        rows.append([venue, plain(qty), notional.quantize(Decimal("0.01")),
                     (notional / qty).quantize(Decimal("0.01")), row["fills"], fees or "-"])
    console.print(table(f"TWAP fills per venue ({state})",
                        ["venue", "WETH", "USDC", "avg price", "fills", "fees"], rows))
    if base_total:
        avg = quote_total / base_total
        over = (avg - arrival) / arrival * 10_000
        spent = quote_total.quantize(Decimal("0.01"))
        console.print(f"bought {plain(base_total)} WETH for {spent} "
                      f"USDC: avg {avg.quantize(Decimal('0.01'))}, "
                      f"{over.quantize(Decimal('0.1'))} bps vs the arrival price")


def main() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crossbook-demo-") as state_dir:
        console.print("[bold]Crossbook demo[/]: starting anvil and deploying the world ...")
        with running_devnet(Path(state_dir), world=load_world()) as manifest:
            console.print(f"devnet ready on {manifest['rpc_url']} "
                          f"in {time.monotonic() - started:.1f} s\n")
            console.print(status_tables(manifest))
            console.print(table(
                f"Selling {SELL_WETH} WETH for USDC, quoted by each venue",
                ["venue", "fee (pips)", "USDC out (chain)", "USDC out (Crossbook)", "equal",
                 "avg price", "ticks crossed", "gas (USDC)"],
                _quotes(manifest),
            ))
            asyncio.run(_twap(manifest, Path(state_dir)))
        console.print("devnet and simex stopped; nothing left running.")


if __name__ == "__main__":
    main()
