"""AMM benchmarks: local V3 quotes vs QuoterV2, and batched pool-state reads vs per-field reads.

Quote speed: the same 50 WETH sale on the WETH/USDC 0.3% pool, simulated locally from lens state
vs asked of the deployed QuoterV2 through `eth_call` on a loopback anvil (the fastest RPC a desk
will ever have, so the ratio is conservative).

Both read the same 100 pool entries at the same block on a local devnet (the world's five pools,
each listed twenty times, so each read does the full work): the lens in two `eth_call`s, the
baseline with one call per field (tokens, fee, spacing, slot0, liquidity, each bitmap word of the
window and each initialized tick), as a client without a lens must. Round trips are counted.
"""

from __future__ import annotations

import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from web3 import Web3

from chain.compile import compile_all
from chain.devnet import connect, running_devnet
from chain.poolstate import read_pools, to_v3_pool
from chain.uniswap.v3 import swap
from chain.world import load_world
from connectors.amm.venue import amm_venues_from_manifest
from connectors.venue import Side

_COPIES = 20
_WORDS_EACH_SIDE = 4


class _CountingProvider(Web3.HTTPProvider):
    calls = 0

    def make_request(self, method: Any, params: Any) -> Any:
        type(self).calls += 1
        return super().make_request(method, params)


def _per_field(w3: Web3, manifest: dict[str, Any], v2: list[str], v3: list[str]) -> None:
    block = w3.eth.block_number
    for address in v2:
        pair = w3.eth.contract(address=address, abi=manifest["abis"]["UniswapV2Pair"])
        for function in (pair.functions.token0(), pair.functions.token1(),
                         pair.functions.getReserves()):
            function.call(block_identifier=block)
    for address in v3:
        pool = w3.eth.contract(address=address, abi=manifest["abis"]["UniswapV3Pool"])
        for function in (pool.functions.token0(), pool.functions.token1(), pool.functions.fee(),
                         pool.functions.liquidity()):
            function.call(block_identifier=block)
        spacing = pool.functions.tickSpacing().call(block_identifier=block)
        tick = pool.functions.slot0().call(block_identifier=block)[1]
        word = (tick // spacing) >> 8
        for position in range(word - _WORDS_EACH_SIDE, word + _WORDS_EACH_SIDE + 1):
            bitmap = pool.functions.tickBitmap(position).call(block_identifier=block)
            for bit in (b for b in range(256) if bitmap >> b & 1):
                pool.functions.ticks((position * 256 + bit) * spacing).call(
                    block_identifier=block)


def _measure(action: Any) -> tuple[float, int]:
    _CountingProvider.calls = 0
    started = time.perf_counter()
    action()
    return time.perf_counter() - started, _CountingProvider.calls


def _quote_speed(manifest: dict[str, Any], w3: Web3) -> tuple[float, float]:
    """Seconds per quote of the same 50 WETH sale: our simulator vs QuoterV2 by eth_call."""
    entry = manifest["uniswap_v3"]["pools"]["WETH/USDC/3000"]
    pool = to_v3_pool(read_pools(w3, [], [entry["address"]], words_each_side=8).v3[0])
    weth, usdc = manifest["tokens"]["WETH"]["address"], manifest["tokens"]["USDC"]["address"]
    zero_for_one, amount = int(weth, 16) < int(usdc, 16), 50 * 10**18
    quoter = w3.eth.contract(address=manifest["uniswap_v3"]["quoter_v2"],
                             abi=manifest["abis"]["QuoterV2"])
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        swap(pool, zero_for_one, amount)
    local_s = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        quoter.functions.quoteExactInputSingle((weth, usdc, amount, 3000, 0)).call()
    return local_s, (time.perf_counter() - started) / rounds


def _venue_speed(manifest: dict[str, Any], w3: Web3) -> tuple[float, float]:
    """Seconds per venue quote (Decimal in and out, gas priced) of the same 50 WETH sale, and
    per 32-point depth curve, both over the venue set's cached state."""
    venue = amm_venues_from_manifest(w3, manifest).by_name("uniswap_v3:WETH/USDC:3000")
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        venue.quote_now("WETH/USDC", Side.SELL, Decimal(50))
    quote_s = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(20):
        venue.depth_now("WETH/USDC", Side.SELL, Decimal(300), points=32)
    return quote_s, (time.perf_counter() - started) / 20


def run() -> list[dict[str, Any]]:
    compile_all()
    with tempfile.TemporaryDirectory() as state_dir, running_devnet(
        Path(state_dir), world=load_world()
    ) as manifest:
        w3 = Web3(_CountingProvider(manifest["rpc_url"]))
        v2 = [p["address"] for p in manifest["uniswap_v2"]["pairs"].values()] * _COPIES
        v3 = [p["address"] for p in manifest["uniswap_v3"]["pools"].values()] * _COPIES
        read_pools(connect(manifest["rpc_url"]), v2[:1], v3[:1])  # warm caches once
        lens_s, lens_calls = _measure(lambda: read_pools(w3, v2, v3, _WORDS_EACH_SIDE))
        field_s, field_calls = _measure(lambda: _per_field(w3, manifest, v2, v3))
        local_s, quoter_s = _quote_speed(manifest, connect(manifest["rpc_url"]))
        venue_s, depth_s = _venue_speed(manifest, connect(manifest["rpc_url"]))
    pools = len(v2) + len(v3)
    return [
        {"name": "v3_quote_local_s", "value": local_s, "unit": "s/quote", "better": "lower",
         "baseline_name": "v3_quote_quoterv2_eth_call_s", "baseline_value": quoter_s,
         "target": "ratio <= 0.005 (at least 200x faster)"},
        {"name": "amm_venue_quote_s", "value": venue_s, "unit": "s/quote", "better": "lower",
         "baseline_name": "v3_quote_quoterv2_eth_call_s", "baseline_value": quoter_s},
        {"name": "amm_venue_depth_32_points_s", "value": depth_s, "unit": "s/curve",
         "better": "lower", "baseline_name": "v3_quote_quoterv2_eth_call_s",
         "baseline_value": quoter_s},
        {"name": f"load_{pools}_pools_lens_s", "value": lens_s, "unit": "s", "better": "lower",
         "baseline_name": f"load_{pools}_pools_per_field_s", "baseline_value": field_s},
        {"name": f"load_{pools}_pools_lens_rpc_calls", "value": lens_calls, "unit": "calls",
         "better": "lower", "baseline_name": f"load_{pools}_pools_per_field_rpc_calls",
         "baseline_value": field_calls},
    ]
