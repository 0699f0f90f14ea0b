"""Chain benchmarks: how long a devnet takes to be ready with the whole world deployed, and
the gas of swaps through our executor vs Uniswap's SwapRouter (bench_execution), signing
latency per signer type (bench_signing) and the transaction manager's overhead
(bench_txmanager).

Baseline: starting the same anvil with nothing deployed, in the same run. The ratio is the cost of
the world (tokens, Uniswap V2/V3 with liquidity, periphery, Safe) on top of the bare node.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_execution  # scripts/ is on the path of every bench area
import bench_signing
import bench_txmanager

from chain.compile import compile_all
from chain.devnet import running_devnet
from chain.world import load_world

_ROUNDS = 3


def _seconds_to_ready(deploy: bool) -> float:
    world = load_world() if deploy else None
    samples = []
    for _ in range(_ROUNDS):
        with tempfile.TemporaryDirectory() as state_dir:
            started = time.perf_counter()
            with running_devnet(Path(state_dir), world=world):
                samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run() -> list[dict[str, Any]]:
    compile_all()  # compile once up front so neither measurement pays for solc
    bare = _seconds_to_ready(deploy=False)
    world = _seconds_to_ready(deploy=True)
    return [{
        "name": "devnet_up_with_world_s", "value": world, "unit": "s", "better": "lower",
        "baseline_name": "anvil_up_bare_s", "baseline_value": bare,
    }, *bench_execution.run(), *bench_signing.run(), *bench_txmanager.run()]
