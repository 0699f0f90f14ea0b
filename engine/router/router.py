"""The smart order router: one order, every venue, the cheapest all-in split, explained.

    plan(request)
      1. ask every venue trading the symbol for its depth curve (concurrently)
      2. cut each curve at the venue's inventory and at the limit / slippage price
      3. solve the split (engine.router.optimizer: marginal-price equalisation, fixed costs
         handled exactly by subset enumeration)
      4. refine: quote each chosen AMM venue again densely around its allocation and re-solve
      5. round to each venue's lot (or quote step), drop legs under a venue's minimums and
         give what rounding freed to the venues that can still take it
      6. quote every leg exactly at its final size; keep the plan only if it beats the best
         single venue quoted the same way, else route to that venue alone

Everything a plan reports comes from step 6. `replan` routes what is left of a plan after
fills, on fresh quotes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from connectors.errors import InvalidQuoteRequest, VenueError
from connectors.venue import DepthCurve, Market, QtyBasis, Side, Venue, VenueKind, VenueQuote
from engine.errors import InvalidValue
from engine.model import plain
from engine.router.optimizer import Curve, Solution, curve_from_points, solve, truncate
from engine.router.plan import RouteLeg, RoutePlan, RouteRequest

_BPS = Decimal(10_000)


class NoRoute(InvalidValue):
    """No venue can take any of the order within its limits."""


@dataclass
class _Candidate:
    venue: Venue
    market: Market
    depth: DepthCurve
    curve: Curve
    points: list[tuple[Decimal, Decimal]]  # cumulative (base, quote) from the venue, exact
    capped: bool = False  # cut at the limit price


def _validate(request: RouteRequest) -> None:
    if not isinstance(request.qty, Decimal) or not request.qty.is_finite() or request.qty <= 0:
        raise InvalidValue("qty", f"must be a positive decimal, got {request.qty}")
    if request.limit_price is not None and request.limit_price <= 0:
        raise InvalidValue("limit_price", f"must be positive, got {request.limit_price}")
    if request.max_slippage_bps is not None and request.max_slippage_bps < 0:
        raise InvalidValue("max_slippage_bps", f"must not be negative, "
                                               f"got {request.max_slippage_bps}")


class Router:
    """Routes over a fixed set of venues; `points` and `refine_points` set curve resolution."""

    def __init__(self, venues: Sequence[Venue], points: int = 32, refine_points: int = 16,
                 max_quote_age_s: float | None = None) -> None:
        self.venues = tuple(venues)
        self.points = points
        self.refine_points = refine_points
        self.max_quote_age_ns = None if max_quote_age_s is None else int(max_quote_age_s * 1e9)
        self.stale: list[str] = []  # venues left out of the last plan: their state was too old

    def venues_for(self, symbol: str) -> list[tuple[Venue, Market]]:
        found = []
        for venue in self.venues:
            for market in venue.markets():
                if market.symbol == symbol:
                    found.append((venue, market))
        return found

    async def plan(self, request: RouteRequest,
                   inventory: Mapping[str, Decimal] | None = None) -> RoutePlan:
        """The best split of `request`. `inventory` maps a venue name to what we hold there
        of the asset we give (quote for a buy, base for a sell); absent means unlimited."""
        started = time.perf_counter_ns()
        _validate(request)
        markets = self.venues_for(request.symbol)
        if not markets:
            raise NoRoute("symbol", f"no venue trades {request.symbol}")
        candidates = await self._candidates(request, markets)
        if not candidates:
            if self.stale:
                raise NoRoute("state", "every venue's state is too old: " + "; ".join(self.stale))
            raise NoRoute("qty", f"no venue has depth for {request.symbol} on the "
                                 f"{request.side.value} side")
        reference = _best_price(candidates, request.side)
        worst = _worst_allowed(request, reference)
        target = float(request.qty)
        by_quote = request.basis is QtyBasis.QUOTE
        sell = request.side is Side.SELL
        if worst is not None:
            await self._cap_at_limit(candidates, request, worst)
        curves = [self._limited(c, request, inventory) for c in candidates]
        fixed_price = float(reference)
        solution = solve(curves, target, by_quote, sell, fixed_price)
        if self.refine_points:
            await self._refine(candidates, solution, request)
            curves = [self._limited(c, request, inventory) for c in candidates]
            solution = solve(curves, target, by_quote, sell, fixed_price)
        if solution.filled <= 0:
            raise NoRoute("limit_price" if worst is not None else "qty",
                          f"no venue can take any of {request.qty} {request.basis.value} of "
                          f"{request.symbol} within the limits")
        legs = await self._exact_legs(candidates, curves, solution, request)
        legs = await self._at_least_best_single(candidates, legs, request, inventory, worst)
        return self._assemble(request, candidates, curves, solution, legs, reference,
                              time.perf_counter_ns() - started)

    async def replan(self, plan: RoutePlan, filled: Decimal,
                     inventory: Mapping[str, Decimal] | None = None) -> RoutePlan | None:
        """Route what is left after `filled` (in the request's basis) on fresh quotes; None
        when nothing is left."""
        remaining = plan.request.qty - filled
        if remaining <= 0:
            return None
        r = plan.request
        return await self.plan(RouteRequest(r.symbol, r.side, remaining, r.basis, r.limit_price,
                                            r.max_slippage_bps), inventory)

    # ------------------------------------------------------------------ curves

    async def _candidates(self, request: RouteRequest,
                          markets: list[tuple[Venue, Market]]) -> list[_Candidate]:
        async def one(venue: Venue, market: Market) -> _Candidate | None:
            try:
                max_base = await self._max_base(venue, request)
                if max_base <= 0:
                    return None
                depth = await venue.depth(request.symbol, request.side, max_base, self.points)
            except InvalidQuoteRequest as refused:
                if refused.field in ("qty", "max_base"):
                    return None  # too small for this venue or no depth at all
                raise
            if not depth.points:
                return None
            points = [(p.base_qty, p.quote_qty) for p in depth.points]
            return _Candidate(venue, market, depth, _curve(points, depth.fixed_cost), points)

        found = [c for c in await asyncio.gather(*(one(v, m) for v, m in markets))
                 if c is not None]
        self.stale = []
        if self.max_quote_age_ns is not None:
            for candidate in found:
                age = candidate.depth.stamp.age_ns()
                if age > self.max_quote_age_ns:
                    self.stale.append(f"{candidate.venue.name}: unused; its state is "
                                      f"{age / 1e9:.1f} s old, over the "
                                      f"{self.max_quote_age_ns / 1e9:.1f} s limit")
            found = [c for c in found if c.depth.stamp.age_ns() <= self.max_quote_age_ns]
        return found

    async def _max_base(self, venue: Venue, request: RouteRequest) -> Decimal:
        if request.basis is QtyBasis.BASE:
            return request.qty
        # A budget in quote: how much base that budget reaches on this venue alone.
        whole = await venue.quote(request.symbol, request.side, request.qty, QtyBasis.QUOTE)
        return whole.base_qty

    async def _refine(self, candidates: list[_Candidate], solution: Solution,
                      request: RouteRequest) -> None:
        """Quote AMM venues densely around their allocation (one coarse step either side), so
        the split is decided on near-exact curves where it matters."""
        async def one(candidate: _Candidate, qty: float) -> None:
            if candidate.venue.kind is not VenueKind.AMM or qty <= 0:
                return
            base = [b for b, _ in candidate.points]
            step = (base[-1] / len(base)) if base else Decimal(0)
            center = Decimal(repr(qty))
            low, high = max(center - step, step / 8), min(center + step, base[-1])
            if high <= low:
                return
            lot = candidate.market.lot_size
            sizes = {((low + (high - low) * i / self.refine_points) / lot).to_integral_value(
                ROUND_DOWN) * lot for i in range(self.refine_points + 1)}
            quotes = await asyncio.gather(*(
                candidate.venue.quote(request.symbol, request.side, s)
                for s in sorted(sizes) if s > 0), return_exceptions=True)
            extra = [(q.base_qty, q.quote_qty) for q in quotes
                     if isinstance(q, VenueQuote) and q.base_qty <= base[-1]]
            merged = sorted(set(candidate.points) | set(extra))
            candidate.points = merged
            candidate.curve = _curve(merged, candidate.depth.fixed_cost)

        await asyncio.gather(*(one(c, q) for c, q in zip(candidates, solution.quantities,
                                                           strict=True)))

    async def _cap_at_limit(self, candidates: list[_Candidate], request: RouteRequest,
                            worst: Decimal) -> None:
        """Where the limit price falls inside a venue's curve, find by bisection on exact
        quotes the largest size whose marginal price is still within it, and cut there."""
        def within(quote: VenueQuote) -> bool:
            if request.side is Side.BUY:
                return quote.marginal_price <= worst
            return quote.marginal_price >= worst

        async def one(candidate: _Candidate) -> None:
            lot = candidate.market.lot_size
            low, high = Decimal(0), candidate.points[-1][0]
            top = await candidate.venue.quote(request.symbol, request.side, high)
            if within(top):
                return
            for _ in range(40):
                middle = ((low + high) / 2 / lot).to_integral_value(ROUND_DOWN) * lot
                if middle <= low or middle >= high:
                    break
                try:
                    ok = within(await candidate.venue.quote(request.symbol, request.side,
                                                            middle))
                except InvalidQuoteRequest:
                    ok = True  # too small to trade at all: at the best price, so within
                low, high = (middle, high) if ok else (low, middle)
            kept = [(b, q) for b, q in candidate.points if b < low]
            if low > 0:
                try:
                    edge = await candidate.venue.quote(request.symbol, request.side, low)
                    kept.append((edge.base_qty, edge.quote_qty))
                except InvalidQuoteRequest:
                    kept = []
            candidate.points = kept
            candidate.curve = _curve(kept, candidate.depth.fixed_cost)
            candidate.capped = True

        await asyncio.gather(*(one(c) for c in candidates))

    def _limited(self, candidate: _Candidate, request: RouteRequest,
                 inventory: Mapping[str, Decimal] | None) -> Curve:
        held = None if inventory is None else inventory.get(candidate.venue.name)
        if held is None:
            return candidate.curve
        if request.side is Side.SELL:
            max_base = float(held)
        else:  # gas is paid in the native coin, not out of the quote held
            max_base = _base_affordable(candidate.points, held)
        return truncate(candidate.curve, max_base)

    # ------------------------------------------------------------------ exact legs

    async def _exact_legs(self, candidates: list[_Candidate], curves: list[Curve],
                          solution: Solution, request: RouteRequest) -> list[VenueQuote]:
        amounts = _rounded(candidates, curves, solution, request)
        basis = request.basis
        quotes = await asyncio.gather(*(
            c.venue.quote(request.symbol, request.side, amount, basis)
            for c, amount in zip(candidates, amounts, strict=True) if amount > 0))
        return list(quotes)

    async def _at_least_best_single(
        self, candidates: list[_Candidate], legs: list[VenueQuote], request: RouteRequest,
        inventory: Mapping[str, Decimal] | None, worst: Decimal | None,
    ) -> list[VenueQuote]:
        """The split, unless one venue alone (quoted exactly for the whole order, within its
        inventory and the limits) fills as much at a better all-in cost."""
        best = legs
        best_key = _plan_key(legs, request)
        for candidate in candidates:
            try:
                alone = await candidate.venue.quote(request.symbol, request.side, request.qty,
                                                    request.basis)
            except VenueError:
                continue
            if not _within(alone, candidate, request, inventory, worst):
                continue
            key = _plan_key([alone], request)
            if key < best_key:
                best, best_key = [alone], key
        return best

    # ------------------------------------------------------------------ the plan

    def _assemble(self, request: RouteRequest, candidates: list[_Candidate],
                  curves: list[Curve], solution: Solution, legs: list[VenueQuote],
                  reference: Decimal, planning_ns: int) -> RoutePlan:
        lots = {c.venue.name: c.market.lot_size for c in candidates}
        route_legs = tuple(RouteLeg(q.venue, q, lots[q.venue]) for q in legs)
        base = sum((q.base_qty for q in legs), Decimal(0))
        quote = sum((q.quote_qty for q in legs), Decimal(0))
        fees = sum((q.fee for q in legs), Decimal(0))
        gas = sum((q.fixed_cost for q in legs), Decimal(0))
        sign = 1 if request.side is Side.BUY else -1
        avg = quote / base if base else Decimal(0)
        all_in = (quote + sign * gas) / base if base else Decimal(0)
        impact = (sign * (avg - reference) / reference * _BPS) if reference else Decimal(0)
        done = quote if request.basis is QtyBasis.QUOTE else base
        stop = max((q.marginal_price for q in legs), default=Decimal(0)) if sign > 0 else min(
            (q.marginal_price for q in legs), default=Decimal(0))
        return RoutePlan(
            request=request, legs=route_legs, base_qty=base, quote_qty=quote, fees=fees,
            gas=gas, avg_price=avg, all_in_price=all_in, reference_price=reference,
            impact_bps=impact.quantize(Decimal("0.01")), stop_price=stop,
            unfilled=max(request.qty - done, Decimal(0)),
            oldest_observed_ns=min(q.stamp.observed_ns for q in legs),
            blocks=tuple(sorted({q.stamp.block for q in legs if q.stamp.block is not None})),
            planning_ns=planning_ns, exact_venue_choice=solution.exact_subset,
            explanation=(*_explain(request, candidates, curves, legs, stop,
                                   complete=done >= request.qty), *self.stale),
        )


def _curve(points: list[tuple[Decimal, Decimal]], fixed: Decimal) -> Curve:
    return curve_from_points([float(b) for b, _ in points], [float(q) for _, q in points],
                             float(fixed))


def _best_price(candidates: list[_Candidate], side: Side) -> Decimal:
    firsts = [c.points[0][1] / c.points[0][0] for c in candidates if c.points[0][0] > 0]
    return min(firsts) if side is Side.BUY else max(firsts)


def _worst_allowed(request: RouteRequest, reference: Decimal) -> Decimal | None:
    bounds = []
    if request.limit_price is not None:
        bounds.append(request.limit_price)
    if request.max_slippage_bps is not None:
        move = reference * request.max_slippage_bps / _BPS
        bounds.append(reference + move if request.side is Side.BUY else reference - move)
    if not bounds:
        return None
    return min(bounds) if request.side is Side.BUY else max(bounds)


def _base_affordable(points: list[tuple[Decimal, Decimal]], budget: Decimal) -> float:
    """Base reachable on a cumulative curve for at most `budget` quote (interpolated)."""
    if budget <= 0:
        return 0.0
    previous = (Decimal(0), Decimal(0))
    for base, quote in points:
        if quote >= budget:
            span = quote - previous[1]
            share = (budget - previous[1]) / span if span else Decimal(0)
            return float(previous[0] + (base - previous[0]) * share)
        previous = (base, quote)
    return float(previous[0])


def _rounded(candidates: list[_Candidate], curves: list[Curve], solution: Solution,
             request: RouteRequest) -> list[Decimal]:
    """Each venue's amount on its lot (base) or quote step, minimums enforced; what rounding
    frees goes to the used venue with the finest step that still has room."""
    by_quote = request.basis is QtyBasis.QUOTE
    amounts: list[Decimal] = []
    for candidate, curve, qty in zip(candidates, curves, solution.quantities, strict=True):
        market = candidate.market
        step = market.quote_step if by_quote else market.lot_size
        if by_quote:
            qty = _quote_of(curve, qty)
        amount = (Decimal(repr(qty)) / step).to_integral_value(ROUND_DOWN) * step if qty > 0 \
            else Decimal(0)
        base_equiv = amount if not by_quote else Decimal(repr(
            qty)) / Decimal(repr(max(_quote_of(curve, 1e-12) / 1e-12, 1e-30)))
        notional = amount if by_quote else amount * _first_price(candidate)
        if amount > 0 and (base_equiv < market.min_qty or notional < market.min_notional):
            amount = Decimal(0)
        amounts.append(amount)
    # A complete solution owes the whole order; float rounding must not leave a sliver unsent.
    goal = request.qty if solution.complete else min(Decimal(repr(solution.filled)), request.qty)
    freed = goal - sum(amounts, Decimal(0))
    used = [i for i, a in enumerate(amounts) if a > 0]
    steps = {i: (candidates[i].market.quote_step if by_quote else
                 candidates[i].market.lot_size) for i in used}
    for i in sorted(used, key=lambda i: steps[i]):
        if freed > 0:  # what rounding down freed, to the finest venue with room
            room = Decimal(repr(_capacity(curves[i], by_quote))) - amounts[i]
            extra = (min(freed, room) / steps[i]).to_integral_value(ROUND_DOWN) * steps[i]
        elif freed < 0:  # float noise over-allocated: take it back from the finest venue
            extra = -min((-freed / steps[i]).to_integral_value(ROUND_UP) * steps[i], amounts[i])
        else:
            break
        amounts[i] += extra
        freed -= extra
    return amounts


def _quote_of(curve: Curve, base: float) -> float:
    before = 0.0
    total = 0.0
    for size, price in zip(curve.sizes, curve.prices, strict=True):
        take = min(max(base - before, 0.0), float(size))
        total += take * float(price)
        before += float(size)
    return total


def _capacity(curve: Curve, by_quote: bool) -> float:
    return float((curve.sizes * curve.prices).sum()) if by_quote else curve.capacity


def _first_price(candidate: _Candidate) -> Decimal:
    if not candidate.points:
        return Decimal(0)
    base, quote = candidate.points[0]
    return quote / base if base else Decimal(0)


def _within(quote: VenueQuote, candidate: _Candidate, request: RouteRequest,
            inventory: Mapping[str, Decimal] | None, worst: Decimal | None) -> bool:
    market = candidate.market
    steps = quote.base_qty / market.lot_size
    if (steps != steps.to_integral_value() or quote.base_qty < market.min_qty
            or quote.quote_qty < market.min_notional):
        return False  # the venue would refuse this order whole
    held = None if inventory is None else inventory.get(candidate.venue.name)
    if held is not None:
        given = quote.base_qty if request.side is Side.SELL else quote.quote_qty
        if given > held:
            return False
    if worst is not None:
        if request.side is Side.BUY and quote.marginal_price > worst:
            return False
        if request.side is Side.SELL and quote.marginal_price < worst:
            return False
    return True


def _plan_key(legs: list[VenueQuote], request: RouteRequest) -> tuple[Decimal, Decimal]:
    """(minus what is filled, all-in cost): more filled first, then cheaper."""
    base = sum((q.base_qty for q in legs), Decimal(0))
    quote = sum((q.quote_qty for q in legs), Decimal(0))
    gas = sum((q.fixed_cost for q in legs), Decimal(0))
    if request.basis is QtyBasis.BASE:
        filled = min(base, request.qty)
        cost = quote + gas if request.side is Side.BUY else gas - quote
    else:
        filled = min(quote, request.qty)
        cost = -base if request.side is Side.BUY else base
        cost += gas / (quote / base) if base and quote else Decimal(0)
    return (-filled, cost)


def _explain(request: RouteRequest, candidates: list[_Candidate], curves: list[Curve],
             legs: list[VenueQuote], stop: Decimal, complete: bool) -> list[str]:
    by_venue = {q.venue: q for q in legs}
    lines = []
    for candidate, curve in zip(candidates, curves, strict=True):
        name = candidate.venue.name
        leg = by_venue.get(name)
        best = _first_price(candidate)
        if leg is not None:
            reason = "its marginal price reached the plan's stop price"
            if len(legs) == 1 and complete:
                reason = "it fills the whole order cheaper all-in than any split"
            elif leg.partial:
                reason = "it ran out of depth"
            elif candidate.capped and Decimal(repr(curve.capacity)) <= leg.base_qty * Decimal(
                    "1.0001"):
                reason = "the limit price stops it"
            elif Decimal(repr(curve.capacity)) <= leg.base_qty * Decimal("1.0001"):
                reason = "inventory caps it"
            lines.append(f"{name}: {plain(leg.base_qty)} at avg {leg.avg_price:.4f}, "
                         f"marginal {leg.marginal_price:.4f}; not more because {reason}")
        elif curve.capacity <= 0 or not candidate.points:
            lines.append(f"{name}: unused; nothing available within inventory and the limit "
                         f"price")
        elif (request.side is Side.BUY and best > stop) or (
                request.side is Side.SELL and best < stop):
            lines.append(f"{name}: unused; its best price {best:.4f} is worse than the plan's "
                         f"stop price {stop:.4f}")
        elif candidate.depth.fixed_cost > 0:
            lines.append(f"{name}: unused; its fixed cost {candidate.depth.fixed_cost:.4f} "
                         f"would exceed what it saves")
        else:
            lines.append(f"{name}: unused; below its minimum size or notional")
    return lines
