"""The local book's snapshot + diff rules (Binance's documented procedure) and quoting."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from connectors.cex import BookGap, DepthDiff, LocalOrderBook, quote_from_levels
from connectors.venue import QtyBasis, Side, StateStamp


def diff(first: int, last: int, bids: list[tuple[str, str]] = (),  # type: ignore[assignment]
         asks: list[tuple[str, str]] = ()) -> DepthDiff:  # type: ignore[assignment]
    return DepthDiff(first, last, tuple((D(p), D(q)) for p, q in bids),
                     tuple((D(p), D(q)) for p, q in asks))


def test_snapshot_drops_old_buffered_diffs_and_applies_the_joining_one() -> None:
    book = LocalOrderBook("WETH/USDC")
    book.on_diff(diff(5, 8, bids=[("100", "1")]))  # inside the snapshot: dropped
    book.on_diff(diff(9, 12, bids=[("101", "2")]))  # joins: 9 <= 10+1 <= 12
    book.on_diff(diff(13, 13, asks=[("102", "3")]))
    book.on_snapshot(10, [(D(100), D(5))], [])
    assert book.last_update_id == 13
    assert book.bids == {D(100): D(5), D(101): D(2)} and book.asks == {D(102): D(3)}


def test_diff_after_a_missing_id_raises_gap_and_desyncs() -> None:
    book = LocalOrderBook("WETH/USDC")
    book.on_snapshot(10, [(D(100), D(5))], [])
    book.on_diff(diff(11, 11, bids=[("100", "0")]))
    assert book.bids == {}
    with pytest.raises(BookGap):
        book.on_diff(diff(13, 14))
    assert not book.synced and book.gaps == 1


def test_snapshot_older_than_first_buffered_diff_is_refused() -> None:
    book = LocalOrderBook("WETH/USDC")
    book.on_diff(diff(20, 25))
    with pytest.raises(BookGap):
        book.on_snapshot(10, [], [])
    assert not book.synced


def test_quote_walks_levels_and_flags_partial() -> None:
    asks = [(D(100), D(1)), (D(101), D(1))]
    quote = quote_from_levels("v", "A/B", Side.BUY, asks, D("1.5"), QtyBasis.BASE, D("0.001"),
                              StateStamp(0, sequence=7))
    assert quote.base_qty == D("1.5")
    assert quote.quote_qty == (D(100) + D("50.5")) * D("1.001")
    assert quote.marginal_price == D(101) * D("1.001") and not quote.partial
    short = quote_from_levels("v", "A/B", Side.BUY, asks, D(3), QtyBasis.BASE, D(0),
                              StateStamp(0))
    assert short.partial and short.base_qty == 2
    by_quote = quote_from_levels("v", "A/B", Side.BUY, asks, D(150), QtyBasis.QUOTE, D(0),
                                 StateStamp(0))
    assert by_quote.quote_qty == 150 and by_quote.base_qty == D(1) + D(50) / D(101)
