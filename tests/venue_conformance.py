"""What every Venue must do, whatever it is: one suite run against each implementation.

Call `check_venue_conforms(venue, symbol, sizes)` from a test that has a live venue (an AMM
pool venue on the devnet, a CEX venue on simex). It checks the protocol's promises, not any
venue's numbers: amounts and prices agree with each other, bigger trades cost more per unit,
a quote by quote amount agrees with the quote by base amount it implies, depth points equal
quotes of the same size, and bad requests are refused with `InvalidQuoteRequest` naming the
field.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.errors import InvalidQuoteRequest
from connectors.venue import QtyBasis, Side, Venue, VenueQuote, market_for

# Quotes are exact but computed at different sizes, so a reverse quote may differ by rounding
# to the venue's smallest unit; this is the relative slack allowed on such round trips.
ROUND_TRIP_SLACK = Decimal("1e-6")


def _check_quote_consistent(quote: VenueQuote, venue: Venue, symbol: str, side: Side) -> None:
    assert quote.venue == venue.name
    assert quote.symbol == symbol and quote.side is side
    assert quote.base_qty > 0 and quote.quote_qty > 0
    assert abs(quote.avg_price - quote.quote_qty / quote.base_qty) <= quote.avg_price * Decimal(
        "1e-20")
    assert quote.fee >= 0 and quote.fixed_cost >= 0
    # The next unit is never cheaper (buy) or dearer (sell) than the average so far.
    if side is Side.BUY:
        assert quote.marginal_price >= quote.avg_price
    else:
        assert quote.marginal_price <= quote.avg_price
    assert quote.stamp.observed_ns > 0 and quote.stamp.age_ns() >= 0


async def check_venue_conforms(venue: Venue, symbol: str, sizes: list[Decimal]) -> None:
    """Run every protocol check for `symbol` at the increasing base `sizes`."""
    assert isinstance(venue, Venue)
    market = market_for(venue, symbol)
    assert market.venue == venue.name and market.kind is venue.kind
    # a derivatives symbol adds ":SETTLE[-expiry...]" to BASE/QUOTE (ccxt's unified form)
    assert f"{market.base}/{market.quote}" == symbol.split(":")[0]
    for side in Side:
        quotes = [await venue.quote(symbol, side, size) for size in sizes]
        for size, quote in zip(sizes, quotes, strict=True):
            _check_quote_consistent(quote, venue, symbol, side)
            assert quote.base_qty == size or quote.partial
        prices = [q.avg_price for q in quotes]
        assert prices == (sorted(prices) if side is Side.BUY else sorted(prices, reverse=True))
        # By quote amount: spending (or receiving) what the base quote said gives that base.
        middle = quotes[len(quotes) // 2]
        by_quote = await venue.quote(symbol, side, middle.quote_qty, QtyBasis.QUOTE)
        _check_quote_consistent(by_quote, venue, symbol, side)
        assert by_quote.quote_qty == middle.quote_qty
        assert abs(by_quote.base_qty - middle.base_qty) <= middle.base_qty * ROUND_TRIP_SLACK
        curve = await venue.depth(symbol, side, sizes[-1], points=8)
        assert curve.venue == venue.name and curve.side is side and curve.points
        sizes_along = [point.base_qty for point in curve.points]
        assert sizes_along == sorted(set(sizes_along))
        for point in curve.points:
            same = await venue.quote(symbol, side, point.base_qty)
            assert (same.quote_qty, same.avg_price) == (point.quote_qty, point.avg_price)
    await check_venue_refuses_bad_requests(venue, symbol)


async def check_venue_refuses_bad_requests(venue: Venue, symbol: str) -> None:
    """Zero, negative, non-Decimal and unknown-symbol requests are refused by field."""
    bad: list[tuple[str, object, str]] = [
        (symbol, Decimal(0), "qty"),
        (symbol, Decimal(-1), "qty"),
        (symbol, Decimal("NaN"), "qty"),
        (symbol, 1.5, "qty"),
        ("NOPE/NADA", Decimal(1), "symbol"),
    ]
    for bad_symbol, qty, field in bad:
        with pytest.raises(InvalidQuoteRequest) as refused:
            await venue.quote(bad_symbol, Side.BUY, qty)  # type: ignore[arg-type]
        assert refused.value.field == field, (bad_symbol, qty)
