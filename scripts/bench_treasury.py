"""Treasury benchmark: planning time for 20 venues x 5 chains x 10 assets.

Each asset is held by a Safe on each of 5 chains and an account on each of 20 venues: 250
holdings. Paths: a deposit and a withdrawal between every venue and every chain (2,000), and a
bridge between every ordered pair of chains (200), every one with a proportional fee, gas and
withdrawal fees where the venue charges them, so the plan is a mixed-integer programme. Balances
and targets are random (seeded) with a third of the venue accounts short.

Measured: the planner as it runs (one programme per asset), against the baseline of the same
programme solved jointly over all assets; and the LP alone (no fixed costs) the same two ways.
"""

from __future__ import annotations

import itertools
import random
import time
from decimal import Decimal
from typing import Any

from engine.treasury import Holding, Path, PathKind, PlanRequest, Position, plan_transfers

VENUES, CHAINS, ASSETS = 20, 5, 10
_ROUNDS = 3


def instance(seed: int = 7, fixed_costs: bool = True) -> PlanRequest:
    """The benchmark's planning problem."""
    rng = random.Random(seed)
    assets = [f"A{i}" for i in range(ASSETS)]
    chains = list(range(1, CHAINS + 1))
    positions: list[Position] = []
    paths: list[Path] = []

    def fixed(value: int) -> Decimal:
        return Decimal(value) if fixed_costs else Decimal(0)

    for asset in assets:
        safes = [Holding("safe", chain, asset) for chain in chains]
        venues = [Holding(f"venue{v}", None, asset) for v in range(VENUES)]
        positions += [Position(h, Decimal(rng.randint(20_000, 80_000)), Decimal(5_000))
                      for h in safes]
        positions += [Position(h, Decimal(rng.randint(0, 8_000)),
                               Decimal(rng.choice([0, 0, 6_000]))) for h in venues]
        for venue, safe in itertools.product(venues, safes):
            paths.append(Path(f"dep-{venue}-{safe}", PathKind.CEX_DEPOSIT, safe, venue,
                              gas_cost=fixed(rng.randint(1, 20)), seconds=rng.randint(60, 900)))
            paths.append(Path(f"wd-{venue}-{safe}", PathKind.CEX_WITHDRAWAL, venue, safe,
                              fee_rate=Decimal(rng.randint(0, 10)) / 10_000,
                              fixed_fee=fixed(rng.randint(0, 3)), seconds=rng.randint(60, 1800),
                              cap=Decimal(rng.randint(5_000, 50_000))))
        for source, destination in itertools.permutations(safes, 2):
            paths.append(Path(f"br-{source}-{destination}", PathKind.BRIDGE, source, destination,
                              fee_rate=Decimal(rng.randint(1, 30)) / 10_000,
                              gas_cost=fixed(rng.randint(2, 30)), seconds=rng.randint(60, 1200)))
    prices = {a: Decimal(rng.randint(1, 4000)) for a in assets}
    return PlanRequest(positions, paths, prices, dict.fromkeys(assets, 6), max_seconds=3600)


def _seconds(request: PlanRequest, decompose: bool) -> float:
    best = float("inf")
    for _ in range(_ROUNDS):
        started = time.perf_counter()
        plan_transfers(request, decompose=decompose)
        best = min(best, time.perf_counter() - started)
    return best


def run() -> list[dict[str, Any]]:
    results = []
    size = f"{VENUES}v_{CHAINS}c_{ASSETS}a"
    for label, fixed_costs in (("milp", True), ("lp", False)):
        request = instance(fixed_costs=fixed_costs)
        per_asset = _seconds(request, decompose=True)
        joint = _seconds(request, decompose=False)
        results.append({
            "name": f"plan_{label}_{size}_s", "value": per_asset, "unit": "s", "better": "lower",
            "baseline_name": f"plan_{label}_{size}_joint_s", "baseline_value": joint,
        })
    return results


if __name__ == "__main__":
    for row in run():
        print(row)
