"""A local order book from a REST snapshot plus buffered diff events, with gap detection.

Binance's procedure ("How to manage a local order book correctly", spot WebSocket streams):
buffer diff events from the stream; fetch a snapshot (`lastUpdateId`); drop buffered events
with `u <= lastUpdateId`; the first event applied must have `U <= lastUpdateId + 1 <= u`;
after that every event's `U` must be the previous event's `u + 1`. Anything else is a gap: the
book is out of sync and must be rebuilt from a new snapshot. Quantities are absolute; zero
removes a level. Pure: no I/O, so the rules are tested directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.errors import RetryableVenueError


class BookGap(RetryableVenueError):
    """A diff event does not follow the last one applied: resync from a snapshot."""

    def __init__(self, symbol: str, expected: int, got_first: int) -> None:
        self.symbol, self.expected, self.got_first = symbol, expected, got_first
        super().__init__(f"{symbol}: expected update id {expected}, event starts at {got_first}")


@dataclass(frozen=True, slots=True)
class DepthDiff:
    first_update_id: int
    last_update_id: int
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]

    @staticmethod
    def from_binance(event: dict[str, Any]) -> DepthDiff:
        return DepthDiff(int(event["U"]), int(event["u"]),
                         tuple((Decimal(p), Decimal(q)) for p, q in event["b"]),
                         tuple((Decimal(p), Decimal(q)) for p, q in event["a"]))


@dataclass
class LocalOrderBook:
    symbol: str
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)
    last_update_id: int | None = None  # None: not synced
    buffered: list[DepthDiff] = field(default_factory=list)
    updates_applied: int = 0
    gaps: int = 0

    @property
    def synced(self) -> bool:
        return self.last_update_id is not None

    def desync(self) -> None:
        """Forget the book (gap or lost stream); diffs are buffered until the next snapshot."""
        self.last_update_id = None
        self.buffered = []

    def on_diff(self, diff: DepthDiff) -> None:
        """Apply a diff, or buffer it while unsynced; raise BookGap (and desync) on a gap."""
        if self.last_update_id is None:
            self.buffered.append(diff)
            return
        if diff.last_update_id <= self.last_update_id:
            return  # already inside the snapshot
        if diff.first_update_id != self.last_update_id + 1:
            expected = self.last_update_id + 1
            self.gaps += 1
            self.desync()
            raise BookGap(self.symbol, expected, diff.first_update_id)
        self._apply(diff)

    def on_snapshot(self, last_update_id: int, bids: list[tuple[Decimal, Decimal]],
                    asks: list[tuple[Decimal, Decimal]]) -> None:
        """Install a snapshot and replay the buffered diffs that follow it.

        Raises BookGap when the buffer does not join the snapshot (the snapshot is older than
        the first buffered event, or an event is missing): fetch another snapshot."""
        self.bids = {p: q for p, q in bids if q > 0}
        self.asks = {p: q for p, q in asks if q > 0}
        self.last_update_id = last_update_id
        pending, self.buffered = self.buffered, []
        first = True
        for diff in pending:
            if diff.last_update_id <= last_update_id:
                continue
            if first and not diff.first_update_id <= last_update_id + 1 <= diff.last_update_id:
                self.gaps += 1
                self.desync()
                raise BookGap(self.symbol, last_update_id + 1, diff.first_update_id)
            if first:
                first = False
                self._apply(diff)  # overlaps the snapshot: levels are absolute, so safe
                continue
            self.on_diff(diff)

    def _apply(self, diff: DepthDiff) -> None:
        for levels, changes in ((self.bids, diff.bids), (self.asks, diff.asks)):
            for price, qty in changes:
                if qty == 0:
                    levels.pop(price, None)
                else:
                    levels[price] = qty
        self.last_update_id = diff.last_update_id
        self.updates_applied += 1

    def levels(self, side_of_book: str, limit: int | None = None) -> list[tuple[Decimal,
                                                                               Decimal]]:
        """Bids best (highest) first, or asks best (lowest) first."""
        if side_of_book == "bids":
            ordered = sorted(self.bids.items(), key=lambda level: level[0], reverse=True)
        else:
            ordered = sorted(self.asks.items(), key=lambda level: level[0])
        return ordered if limit is None else ordered[:limit]
