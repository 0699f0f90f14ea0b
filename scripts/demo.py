"""`make demo`: start the devnet, deploy the world, report venues and prices, stop everything.

Everything runs on loopback: anvil from node_modules with the real Uniswap and Safe bytecode.
The report shows each venue's price and depth, then what each venue would pay for the same
sell order, quoted by the chain itself (QuoterV2 for V3, the pair formula for V2) next to
Crossbook's own venue quote from cached state, with the leg's gas in USDC.
"""

from __future__ import annotations

import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from chain.devnet import connect, running_devnet
from chain.uniswap import get_amount_out
from chain.world import load_world
from connectors.amm.venue import amm_venues_from_manifest
from connectors.venue import Side
from engine.cli.devnet import status_tables
from engine.cli.output import console, table

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
        console.print("devnet stopped; nothing left running.")


if __name__ == "__main__":
    main()
