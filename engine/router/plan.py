"""What the router decided: a RoutePlan of exact legs, its totals, and why.

Every amount in a plan comes from an exact venue quote (`VenueQuote`) at the size the plan
sends, so the plan's cost is what the venues said they would charge, not the optimiser's
float estimate. `explanation` holds one readable line per venue considered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from connectors.venue import QtyBasis, Side, VenueQuote


@dataclass(frozen=True)
class RouteRequest:
    """Route `qty` of `symbol` (in base, or in quote with `basis=QUOTE`) on `side`.

    `limit_price` caps the marginal price the plan may reach (buy: at most, sell: at least);
    `max_slippage_bps` does the same relative to the best price available at zero size.
    """

    symbol: str
    side: Side
    qty: Decimal
    basis: QtyBasis = QtyBasis.BASE
    limit_price: Decimal | None = None
    max_slippage_bps: Decimal | None = None


@dataclass(frozen=True)
class RouteLeg:
    """One venue's part of the plan, as that venue quoted it."""

    venue: str
    quote: VenueQuote
    lot_size: Decimal

    @property
    def base_qty(self) -> Decimal:
        return self.quote.base_qty

    @property
    def quote_qty(self) -> Decimal:
        return self.quote.quote_qty

    def to_json(self) -> dict[str, object]:
        q = self.quote
        return {"venue": self.venue, "base_qty": str(q.base_qty), "quote_qty": str(q.quote_qty),
                "avg_price": str(q.avg_price), "marginal_price": str(q.marginal_price),
                "fee": str(q.fee), "gas": str(q.fixed_cost), "block": q.stamp.block,
                "sequence": q.stamp.sequence, "observed_ns": q.stamp.observed_ns}


@dataclass(frozen=True)
class RoutePlan:
    """The legs to send and what they add up to.

    `all_in_price` includes fees and gas (gas spread over the base quantity); `impact_bps` is
    how far the average price is from `reference_price`, the best price any venue offered at
    zero size; `stop_price` is the marginal price at which every used venue stops.
    `unfilled` is what no venue could take within the limits (0 when the plan fills).
    """

    request: RouteRequest
    legs: tuple[RouteLeg, ...]
    base_qty: Decimal
    quote_qty: Decimal
    fees: Decimal
    gas: Decimal
    avg_price: Decimal
    all_in_price: Decimal
    reference_price: Decimal
    impact_bps: Decimal
    stop_price: Decimal
    unfilled: Decimal
    oldest_observed_ns: int
    blocks: tuple[int, ...]
    planning_ns: int
    exact_venue_choice: bool
    explanation: tuple[str, ...] = field(default=())

    @property
    def all_in_cost(self) -> Decimal:
        """Quote paid plus gas (buy), or quote received minus gas (sell)."""
        sign = 1 if self.request.side is Side.BUY else -1
        return self.quote_qty + sign * self.gas

    def to_json(self) -> dict[str, object]:
        r = self.request
        return {
            "symbol": r.symbol, "side": r.side.value, "qty": str(r.qty), "basis": r.basis.value,
            "limit_price": None if r.limit_price is None else str(r.limit_price),
            "legs": [leg.to_json() for leg in self.legs],
            "base_qty": str(self.base_qty), "quote_qty": str(self.quote_qty),
            "fees": str(self.fees), "gas": str(self.gas), "avg_price": str(self.avg_price),
            "all_in_price": str(self.all_in_price), "all_in_cost": str(self.all_in_cost),
            "reference_price": str(self.reference_price), "impact_bps": str(self.impact_bps),
            "stop_price": str(self.stop_price), "unfilled": str(self.unfilled),
            "oldest_observed_ns": self.oldest_observed_ns, "blocks": list(self.blocks),
            "planning_ms": round(self.planning_ns / 1e6, 3),
            "exact_venue_choice": self.exact_venue_choice,
            "explanation": list(self.explanation),
        }
