"""Quotes and depth curves from book levels: pure functions of the levels and the taker fee.

The fee is modelled in the quote asset (a buy pays notional * (1 + fee), a sell receives
notional * (1 - fee)), as the Venue protocol asks. Binance charges a buyer's commission in the
base asset it receives instead; to first order the cost is the same (fee * notional).
"""

from __future__ import annotations

from decimal import Decimal

from connectors.venue import DepthCurve, DepthPoint, QtyBasis, Side, StateStamp, VenueQuote

Level = tuple[Decimal, Decimal]


def _walk_base(levels: list[Level], qty: Decimal) -> tuple[Decimal, Decimal, Decimal | None]:
    """(base filled, notional, price of the next unit) taking `qty` base from `levels`."""
    filled, notional = Decimal(0), Decimal(0)
    for price, size in levels:
        take = min(size, qty - filled)
        filled += take
        notional += take * price
        if filled == qty:
            return filled, notional, price if take < size else _next_price(levels, price)
    return filled, notional, None


def _next_price(levels: list[Level], price: Decimal) -> Decimal | None:
    prices = [p for p, _ in levels]
    index = prices.index(price) + 1
    return prices[index] if index < len(prices) else None


def _walk_notional(levels: list[Level], budget: Decimal) -> tuple[Decimal, Decimal,
                                                                  Decimal | None]:
    filled, notional = Decimal(0), Decimal(0)
    for price, size in levels:
        take = min(size, (budget - notional) / price)
        filled += take
        notional += take * price
        if notional >= budget:
            return filled, notional, price
    return filled, notional, None


def quote_from_levels(venue: str, symbol: str, side: Side, levels: list[Level], qty: Decimal,
                      basis: QtyBasis, fee_rate: Decimal, stamp: StateStamp) -> VenueQuote:
    """What trading `qty` (in `basis`) against `levels` (best first) gets, fees included."""
    sign = 1 if side is Side.BUY else -1
    if basis is QtyBasis.BASE:
        filled, notional, next_price = _walk_base(levels, qty)
        partial = filled < qty
    else:
        budget = qty / (1 + sign * fee_rate)
        filled, notional, next_price = _walk_notional(levels, budget)
        partial = notional < budget
    fee = notional * fee_rate
    quote_qty = notional + sign * fee
    if basis is QtyBasis.QUOTE and not partial:
        quote_qty = qty  # exactly what was asked; the walk differs only by Decimal rounding
    marginal_base = next_price if next_price is not None else (
        levels[-1][0] if levels else Decimal(0))
    marginal = marginal_base * (1 + sign * fee_rate)
    avg = quote_qty / filled if filled else marginal
    return VenueQuote(venue, symbol, side, filled, quote_qty, avg, marginal, fee, Decimal(0),
                      partial, stamp, detail=f"{len(levels)} levels in book")


def curve_from_levels(venue: str, symbol: str, side: Side, levels: list[Level],
                      max_base: Decimal, points: int, fee_rate: Decimal,
                      stamp: StateStamp) -> DepthCurve:
    """Cumulative size against average and marginal price, `points` evenly spaced sizes."""
    sign = 1 if side is Side.BUY else -1
    available = sum((size for _, size in levels), Decimal(0))
    top = min(max_base, available)
    curve: list[DepthPoint] = []
    for i in range(1, points + 1) if top > 0 else ():
        size = top * i / points
        filled, notional, next_price = _walk_base(levels, size)
        quote_qty = notional * (1 + sign * fee_rate)
        marginal = (next_price if next_price is not None else levels[-1][0]) * (
            1 + sign * fee_rate)
        if curve and filled <= curve[-1].base_qty:
            continue
        curve.append(DepthPoint(filled, quote_qty, quote_qty / filled, marginal))
    return DepthCurve(venue, symbol, side, tuple(curve), Decimal(0), stamp)
