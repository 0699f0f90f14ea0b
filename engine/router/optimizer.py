"""The routing optimiser: the cheapest split of one order over venues with convex curves and
fixed costs. Pure numpy float64 over plain arrays; the router turns its answer into exact
Decimal quotes, so floats never reach an order.

Each venue is a convex piecewise-linear cumulative curve: segments of base size at a constant
unit price (fees included), best first — a CEX book's levels exactly, an AMM's exact quotes
sampled densely. For a fixed set of venues the optimum takes segments across all venues in
price order until the target is met (for convex curves this is marginal-price equalisation:
every used venue stops at the same marginal price, the plan's stop price). Fixed costs (gas)
make the choice of venues combinatorial; it is solved exactly by evaluating every subset of
the venues that have one (venues without one are always in), all subsets at once as one
matrix, up to `MAX_EXACT_FIXED` such venues; beyond that a local search (add/drop one venue
at a time from the all-in start) is used and the solution says so.

Targets are in base (buy or sell an amount of base) or in quote (spend a budget / raise an
amount on the venues). Fixed costs are paid apart (gas is paid in the native coin, not out of
the order's quote), so with a quote target they are converted to base at `fixed_price` (quote
per base) to weigh them. What is minimised is the all-in cost of the order:

    basis  side  objective
    base   buy   quote paid + fixed costs
    base   sell  fixed costs - quote received
    quote  buy   fixed costs / fixed_price - base received
    quote  sell  fixed costs / fixed_price + base given
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MAX_EXACT_FIXED = 12
_EPS = 1e-9

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Curve:
    """One venue for the optimiser: segment sizes (base) and unit prices, best first."""

    sizes: FloatArray
    prices: FloatArray
    fixed: float = 0.0

    @property
    def capacity(self) -> float:
        return float(self.sizes.sum())


@dataclass(frozen=True)
class Solution:
    """Base quantity per venue, the objective (see module doc), the marginal (stop) price,
    how much of the target is met, and whether the venue choice is proven optimal."""

    quantities: tuple[float, ...]
    objective: float
    stop_price: float
    filled: float  # of the target, in the target's unit
    target: float
    exact_subset: bool

    @property
    def complete(self) -> bool:
        return self.filled >= self.target * (1 - 1e-12) - _EPS


def curve_from_points(base: list[float], quote: list[float], fixed: float = 0.0) -> Curve:
    """Segments between cumulative (base, quote) points, starting from (0, 0)."""
    b = np.asarray([0.0, *base], dtype=np.float64)
    q = np.asarray([0.0, *quote], dtype=np.float64)
    sizes = np.diff(b)
    keep = sizes > 0
    prices = np.divide(np.diff(q), sizes, out=np.zeros_like(sizes), where=keep)
    return Curve(sizes[keep], prices[keep], fixed)


def truncate(curve: Curve, max_base: float | None = None, worst_price: float | None = None,
             sell: bool = False) -> Curve:
    """The curve cut at a base cap (inventory) and at a limit price (no worse segment)."""
    sizes, prices = curve.sizes.copy(), curve.prices
    if worst_price is not None:
        ok = prices >= worst_price if sell else prices <= worst_price
        sizes = np.where(ok, sizes, 0.0)
    if max_base is not None:
        before = np.cumsum(sizes) - sizes
        sizes = np.clip(max_base - before, 0.0, sizes)
    keep = sizes > 0
    return Curve(sizes[keep], prices[keep], curve.fixed)


def solve(curves: list[Curve], target: float, by_quote: bool, sell: bool,
          fixed_price: float = 1.0) -> Solution:
    """The best split of `target` over `curves` (see the module docstring)."""
    if target <= 0:
        raise ValueError(f"target must be positive, got {target}")
    if fixed_price <= 0:
        raise ValueError(f"fixed_price must be positive, got {fixed_price}")
    if by_quote:  # weigh fixed costs in base, the unit the objective is counted in
        curves = [Curve(c.sizes, c.prices, c.fixed / fixed_price) for c in curves]
    usable = [i for i, c in enumerate(curves) if c.sizes.size]
    if not usable:
        return Solution(tuple(0.0 for _ in curves), 0.0, float("nan"), 0.0, target, True)
    seg_venue = np.concatenate([np.full(curves[i].sizes.size, i) for i in usable])
    sizes = np.concatenate([curves[i].sizes for i in usable])
    prices = np.concatenate([curves[i].prices for i in usable])
    order = np.argsort(-prices if sell else prices, kind="stable")
    seg_venue, sizes, prices = seg_venue[order], sizes[order], prices[order]
    fixed_venues = [i for i in usable if curves[i].fixed > 0]
    if len(fixed_venues) <= MAX_EXACT_FIXED:
        masks = _all_subsets(len(curves), usable, fixed_venues)
        best = _evaluate(masks, curves, seg_venue, sizes, prices, target, by_quote, sell)
        return _solution(best, masks, curves, seg_venue, sizes, prices, target, by_quote,
                         sell, exact=True)
    return _local_search(curves, usable, fixed_venues, seg_venue, sizes, prices, target,
                         by_quote, sell)


def _all_subsets(n: int, usable: list[int], fixed_venues: list[int]) -> npt.NDArray[np.bool_]:
    free = [i for i in usable if i not in fixed_venues]
    rows = []
    for bits in itertools.product((False, True), repeat=len(fixed_venues)):
        row = np.zeros(n, dtype=bool)
        row[free] = True
        row[[v for v, on in zip(fixed_venues, bits, strict=True) if on]] = True
        if row.any():
            rows.append(row)
    return np.asarray(rows)


def _fill(masks: npt.NDArray[np.bool_], curves: list[Curve], seg_venue: npt.NDArray[np.int_],
          sizes: FloatArray, prices: FloatArray, target: float, by_quote: bool,
          sell: bool) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per subset row: fraction taken of each segment, the row's target, fill and objective."""
    fixed = np.asarray([c.fixed for c in curves]) @ masks.T.astype(np.float64)
    member = masks[:, seg_venue].astype(np.float64)
    measure = sizes * prices if by_quote else sizes
    weight = member * measure
    before = np.cumsum(weight, axis=1) - weight
    row_target = np.full(masks.shape[0], target)
    take = np.clip(np.divide(target - before, measure, out=np.zeros_like(before),
                             where=measure > 0), 0.0, 1.0) * member
    filled = (take * measure).sum(axis=1)
    base = (take * sizes).sum(axis=1)
    quote = (take * sizes * prices).sum(axis=1)
    if by_quote:
        objective = fixed + base if sell else fixed - base
    else:
        objective = fixed - quote if sell else quote + fixed
    return take, row_target, filled, objective


def _evaluate(masks: npt.NDArray[np.bool_], curves: list[Curve],
              seg_venue: npt.NDArray[np.int_], sizes: FloatArray, prices: FloatArray,
              target: float, by_quote: bool, sell: bool) -> int:
    """Index of the best row: complete fills by objective; else the largest fill."""
    _, _, filled, objective = _fill(masks, curves, seg_venue, sizes, prices, target, by_quote,
                                    sell)
    complete = filled >= target * (1 - 1e-12) - _EPS
    if complete.any():
        return int(np.argmin(np.where(complete, objective, np.inf)))
    most = filled.max()
    near = filled >= most * (1 - 1e-12) - _EPS
    return int(np.argmin(np.where(near, objective, np.inf)))


def _solution(row: int, masks: npt.NDArray[np.bool_], curves: list[Curve],
              seg_venue: npt.NDArray[np.int_], sizes: FloatArray, prices: FloatArray,
              target: float, by_quote: bool, sell: bool, exact: bool) -> Solution:
    take, _, filled, objective = _fill(masks[row:row + 1], curves, seg_venue, sizes, prices,
                                       target, by_quote, sell)
    per_segment = take[0] * sizes
    quantities = np.zeros(len(curves))
    np.add.at(quantities, seg_venue, per_segment)
    used = np.nonzero(take[0] > 0)[0]
    stop = float(prices[used[-1]]) if used.size else float("nan")
    return Solution(tuple(float(q) for q in quantities), float(objective[0]), stop,
                    float(filled[0]), target, exact)


def _local_search(curves: list[Curve], usable: list[int], fixed_venues: list[int],
                  seg_venue: npt.NDArray[np.int_], sizes: FloatArray, prices: FloatArray,
                  target: float, by_quote: bool, sell: bool) -> Solution:
    """Too many fixed-cost venues to enumerate: from all venues in, flip one venue in or out
    while that improves the objective."""
    current = np.zeros(len(curves), dtype=bool)
    current[usable] = True
    while True:
        candidates = [current]
        for venue in fixed_venues:
            flipped = current.copy()
            flipped[venue] = not flipped[venue]
            if flipped.any():
                candidates.append(flipped)
        masks = np.asarray(candidates)
        best = _evaluate(masks, curves, seg_venue, sizes, prices, target, by_quote, sell)
        if best == 0:
            return _solution(0, masks, curves, seg_venue, sizes, prices, target, by_quote,
                             sell, exact=False)
        current = masks[best]
