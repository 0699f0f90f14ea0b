"""Router benchmarks on a fixed, seeded scenario set (`make bench AREA=router`).

Scenarios: 2, 5, 10 and 20 venues, half order books (fees 5-20 bps, 1-8 levels) and half
constant-product pools (fees 5-100 bps, gas 2-15 USDC per leg), sizes of 0.1%, 1%, 5% and
20% of the set's depth (book sizes plus a tenth of each pool's base reserve), buys and sells.
The venues are the in-memory book and pool of tests/router_venues.py, exact in Decimal, so
every cost below is an exact venue quote, not an estimate.

For each scenario the router's plan is compared, all-in (fees and gas), with three baselines
computed in the same run from the same venues: (a) the best single venue, (b) an equal split
over every venue, (c) a greedy split in fixed 5% steps, each step to the venue whose next step
is cheapest including its gas the first time, the way public DEX aggregators split. The
advantage is reported in bps of notional, averaged over scenarios (positive: the router is
cheaper). Planning time is measured twice: the optimiser alone on curves already fetched
(the per-decision cost once venues have answered), and the whole `plan()` with its quotes.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from connectors.venue import Side, Venue  # noqa: E402
from engine.router import Router, RouteRequest, solve  # noqa: E402
from engine.router.router import _curve  # noqa: E402

from router_venues import BookVenue, PoolVenue  # noqa: E402

MID = Decimal(3000)
SYMBOL = "WETH/USDC"


def _venues(n: int, rng: random.Random) -> tuple[list[Venue], Decimal]:
    venues: list[Venue] = []
    depth = Decimal(0)
    for i in range(n):
        if i % 2 == 0:
            levels, price_up, price_down, asks, bids = rng.randint(1, 8), MID, MID, [], []
            spread = Decimal(rng.randint(1, 30)) / 10
            price_up, price_down = MID + spread, MID - spread
            for _ in range(levels):
                size = Decimal(rng.randint(5, 400)) / 20
                asks.append((price_up, size))
                bids.append((price_down, size))
                depth += size
                step = Decimal(rng.randint(1, 40)) / 10
                price_up, price_down = price_up + step, price_down - step
            venues.append(BookVenue(f"book{i}", asks, bids,
                                    Decimal(rng.choice([5, 10, 20])) / 10_000))
        else:
            reserve = Decimal(rng.randint(100, 3_000))
            skew = 1 + Decimal(rng.randint(-20, 20)) / 10_000
            venues.append(PoolVenue(f"pool{i}", reserve, reserve * MID * skew,
                                    Decimal(rng.randint(2, 15)),
                                    Decimal(rng.choice([5, 30, 100])) / 10_000))
            depth += reserve / 10
    return venues, depth


async def _cost(venues: dict[str, Venue], amounts: dict[str, Decimal],
                side: Side) -> Decimal | None:
    """All-in cost (buy: paid + gas; sell: gas - received) of sending `amounts`."""
    total = Decimal(0)
    sign = 1 if side is Side.BUY else -1
    for name, qty in amounts.items():
        if qty <= 0:
            continue
        q = await venues[name].quote(SYMBOL, side, qty)
        if q.partial:
            return None
        total += sign * q.quote_qty + q.fixed_cost
    return total


async def _greedy_5pct(venues: dict[str, Venue], qty: Decimal, side: Side) -> Decimal | None:
    step = qty / 20
    amounts = dict.fromkeys(venues, Decimal(0))
    sign = 1 if side is Side.BUY else -1
    for _ in range(20):
        best_name, best_extra = None, None
        for name, venue in venues.items():
            before = amounts[name]
            after_q = await venue.quote(SYMBOL, side, before + step)
            if after_q.partial:
                continue
            cost_after = sign * after_q.quote_qty + after_q.fixed_cost
            if before > 0:
                b = await venue.quote(SYMBOL, side, before)
                cost_before = sign * b.quote_qty + b.fixed_cost
            else:
                cost_before = Decimal(0)
            extra = cost_after - cost_before
            if best_extra is None or extra < best_extra:
                best_name, best_extra = name, extra
        if best_name is None:
            return None
        amounts[best_name] += step
    return await _cost(venues, amounts, side)


async def _scenario(n: int, share: Decimal, side: Side, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    venue_list, depth = _venues(n, rng)
    venues = {v.name: v for v in venue_list}
    qty = (depth * share).quantize(Decimal("0.001"))
    router = Router(venue_list)
    started = time.perf_counter_ns()
    plan = await router.plan(RouteRequest(SYMBOL, side, qty))
    plan_ns = time.perf_counter_ns() - started
    sign = 1 if side is Side.BUY else -1
    ours = sign * plan.quote_qty + plan.gas
    singles = [c for c in [await _cost(venues, {name: qty}, side) for name in venues]
               if c is not None]
    equal = await _cost(venues, {name: qty / n for name in venues}, side)
    greedy = await _greedy_5pct(venues, qty, side)
    notional = qty * MID

    def bps(other: Decimal | None) -> float:
        return float((other - ours) / notional * 10_000) if other is not None else float("nan")

    # The optimiser alone, on the curves this plan used.
    curves = []
    for venue in venue_list:
        depth_curve = await venue.depth(SYMBOL, side, qty, 32)
        curves.append(_curve([(p.base_qty, p.quote_qty) for p in depth_curve.points],
                             depth_curve.fixed_cost))
    solve_started = time.perf_counter_ns()
    for _ in range(20):
        solve(curves, float(qty), False, side is Side.SELL)
    solve_ns = (time.perf_counter_ns() - solve_started) / 20
    return {"n": n, "vs_single": bps(min(singles) if singles else None), "vs_equal": bps(equal),
            "vs_greedy": bps(greedy), "plan_ms": plan_ns / 1e6, "solve_ms": solve_ns / 1e6}


def run() -> list[dict[str, Any]]:
    rows = []
    seed = 0
    for n in (2, 5, 10, 20):
        for share in (Decimal("0.001"), Decimal("0.01"), Decimal("0.05"), Decimal("0.2")):
            for side in Side:
                seed += 1
                rows.append(asyncio.run(_scenario(n, share, side, seed)))

    def mean(key: str, subset: list[dict[str, float]] | None = None) -> float:
        values = [r[key] for r in (subset or rows) if r[key] == r[key]]
        return round(statistics.fmean(values), 3)

    ten = [r for r in rows if r["n"] == 10]
    return [
        {"name": "advantage_vs_best_single_venue_bps", "value": mean("vs_single"),
         "unit": "bps", "better": "higher", "target": ">= 0 (never worse)"},
        {"name": "advantage_vs_equal_split_bps", "value": mean("vs_equal"), "unit": "bps",
         "better": "higher"},
        {"name": "advantage_vs_greedy_5pct_split_bps", "value": mean("vs_greedy"),
         "unit": "bps", "better": "higher"},
        {"name": "worst_advantage_vs_best_single_bps",
         "value": round(min(r["vs_single"] for r in rows), 4), "unit": "bps",
         "better": "higher", "target": ">= 0"},
        {"name": "optimiser_ms_10_venues", "value": mean("solve_ms", ten), "unit": "ms",
         "better": "lower", "target": "< 1 ms"},
        {"name": "optimiser_ms_20_venues", "value": mean("solve_ms", [r for r in rows
                                                                       if r["n"] == 20]),
         "unit": "ms", "better": "lower"},
        {"name": "plan_with_quotes_ms_10_venues", "value": mean("plan_ms", ten), "unit": "ms",
         "better": "lower"},
        {"name": "scenarios", "value": len(rows), "unit": "count", "better": "higher"},
    ]
