"""`make demo`: the devnet and a simulated exchange, one order routed across both and sent.

Everything runs on loopback: anvil from node_modules with the real Uniswap and Safe bytecode,
and simex, our Binance-API exchange, whose market makers follow the devnet pool price and
which the real ccxt client trades against. The report shows each venue's price and depth, what
each pool would pay for the same sale (the chain's own answer beside Crossbook's local quote),
then a 50 WETH buy: the router's plan across simex and the pools, its CEX leg sent through
ccxt and its pool legs in one Safe transaction (guarded, signed 2-of-3, through our executor),
and the fills per venue against the plan and the arrival price.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from chain.devnet import connect, running_devnet
from chain.signers import LocalKeySigner
from chain.uniswap import get_amount_out
from chain.wallet import HopKind, Route, fills_from_receipt, single_hop_legs, swap_calls
from chain.wallet.provision import executor_policy, fund, provision_guarded_safe
from chain.world import load_world
from connectors.amm.venue import amm_venues_from_manifest
from connectors.cex import CexVenue, CexVenueConfig
from connectors.orders import OrderKind, OrderRequest
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    PoolPriceFollower,
    SimexConfig,
    SimexServer,
)
from connectors.venue import Side, Venue
from engine.cli.devnet import status_tables
from engine.cli.output import console, table
from engine.router import RoutePlan, Router, RouteRequest

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
USDC_UNITS = 10**6


async def _route_and_send(manifest: dict[str, Any]) -> None:
    w3 = connect(manifest["rpc_url"])
    amm = amm_venues_from_manifest(w3, manifest)
    simex = SimexServer(SimexConfig(), price_source=PoolPriceFollower(w3, manifest))
    await simex.start()
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
        config = CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                urls=simex.ccxt_urls())
        async with CexVenue(config) as cex:
            await asyncio.sleep(1.0)  # let the makers quote around the pool price
            venues: list[Venue] = [*amm.venues, cex]
            held = Decimal((await cex.balances())["USDC"].free)
            inventory = {cex.name: held, **{v.name: Decimal(1_000_000) for v in amm.venues}}
            plan = await Router(venues).plan(RouteRequest("WETH/USDC", Side.BUY, BUY_WETH),
                                             inventory)
            _print_plan(plan)
            fills = await _send(w3, manifest, wallet, signers, relayer, amm, cex, plan)
        _print_fills(plan, fills)
    finally:
        await simex.stop()


async def _send(w3: Any, manifest: dict[str, Any], wallet: Any, signers: list[Any],
                relayer: str, amm: Any, cex: Any, plan: RoutePlan) -> dict[str, tuple[Decimal,
                                                                                   Decimal]]:
    """Every leg of the plan; (base received, quote paid) per venue."""
    done: dict[str, tuple[Decimal, Decimal]] = {}
    by_name = {v.name: v for v in amm.venues}
    for leg in plan.legs:
        if leg.venue == cex.name:
            report = await cex.place(OrderRequest("demo-cex-1", "WETH/USDC", Side.BUY,
                                                  OrderKind.MARKET, leg.base_qty))
            fee = cex.markets()[0].taker_fee
            done[leg.venue] = (report.filled_qty, report.filled_quote * (1 + fee))
    pool_legs = [leg for leg in plan.legs if leg.venue in by_name]
    if pool_legs:
        weth, usdc = (manifest["tokens"][s]["address"] for s in ("WETH", "USDC"))
        route = Route(usdc, weth, single_hop_legs([
            (HopKind.UNISWAP_V3 if by_name[leg.venue].spec.kind.value == "uniswap_v3"
             else HopKind.UNISWAP_V2, by_name[leg.venue].spec.address,
             int(leg.base_qty.scaleb(18))) for leg in pool_legs], exact_input=False),
            min_amount_out=int(sum(leg.base_qty for leg in pool_legs).scaleb(18)),
            max_amount_in=int(sum(leg.quote_qty for leg in pool_legs).scaleb(6)),
            deadline=2**32 - 1)
        calls = swap_calls(w3, manifest["execution"]["swap_executor"], route)
        tx = wallet.build(calls)
        receipt = wallet.execute(tx, await wallet.collect(wallet.request(tx, calls),
                                                          signers[:2]), relayer)
        pools = {v.spec.address: v.name for v in amm.venues}
        for fill in fills_from_receipt(w3, manifest["execution"]["swap_executor"], receipt):
            done[pools[fill.pool]] = (Decimal(fill.amount_out).scaleb(-18),
                                      Decimal(fill.amount_in).scaleb(-6))
    return done


def _print_plan(plan: RoutePlan) -> None:
    rows = [[leg.venue, _plain(leg.base_qty), leg.quote_qty.quantize(Decimal("0.01")),
             leg.quote.avg_price.quantize(Decimal("0.01")),
             leg.quote.fixed_cost.quantize(Decimal("0.0001"))] for leg in plan.legs]
    console.print(table(f"The router's plan: buy {BUY_WETH} WETH across simex and the pools",
                        ["venue", "WETH", "USDC", "avg price", "gas (USDC)"], rows))
    for line in plan.explanation:
        console.print(f"  - {line}")


def _print_fills(plan: RoutePlan, fills: dict[str, tuple[Decimal, Decimal]]) -> None:
    rows = []
    for leg in plan.legs:
        base, quote = fills[leg.venue]
        rows.append([leg.venue, _plain(base), quote.quantize(Decimal("0.000001")),
                     (quote / base).quantize(Decimal("0.01")),
                     (quote - leg.quote_qty).quantize(Decimal("0.000001"))])
    base = sum((b for b, _ in fills.values()), Decimal(0))
    quote = sum((q for _, q in fills.values()), Decimal(0))
    console.print(table("Fills (CEX leg through ccxt, pool legs in one Safe transaction)",
                        ["venue", "WETH", "USDC paid", "avg price", "vs plan"], rows))
    avg = quote / base
    over_bps = (avg - plan.reference_price) / plan.reference_price * 10_000
    cent, tenth = Decimal("0.01"), Decimal("0.1")
    console.print(f"bought {_plain(base)} WETH for {quote.quantize(cent)} USDC: avg "
                  f"{avg.quantize(cent)}, {over_bps.quantize(tenth)} bps over the best price "
                  f"at arrival ({plan.reference_price.quantize(cent)}); fees "
                  f"{plan.fees.quantize(cent)} USDC, gas {plan.gas.quantize(Decimal('0.0001'))} "
                  f"USDC")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


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
            asyncio.run(_route_and_send(manifest))
        console.print("devnet and simex stopped; nothing left running.")


if __name__ == "__main__":
    main()
