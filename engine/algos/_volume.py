"""A VWAP's profile measured from the venues themselves: the volume that traded on every venue
of the symbol over a recent window, in as many buckets as the schedule has.

Each venue with a tape (`connectors.volume.VolumeFeed`: a CEX's public trades or klines, a
pool's Swap events) is asked for its prints since the window opened; the prints of all venues
are summed per bucket. The window is `lookback_ns` long, in `buckets` equal buckets, ending
now (opening on a whole hour, minute or second when the bucket is a multiple of one, so that
klines fit); bucket i of the window weighs slice i of the schedule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from connectors.errors import VenueError
from connectors.volume import TradePrint, VolumeFeed
from engine.errors import CrossbookError, InvalidValue
from engine.router import Router


class VenueVolume(BaseModel):
    """Where a VWAP's profile comes from when it is measured: `buckets` buckets over the last
    `lookback_ns` (default: the VWAP's own duration), on `venues` (default: every venue of the
    symbol that reports its trades)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    buckets: int = Field(ge=1, le=10_000)
    lookback_ns: int | None = Field(default=None, gt=0)
    venues: tuple[str, ...] = ()


class NoVolumeProfile(InvalidValue):
    """The venues could not give a profile: none reports trades, one failed, or nothing
    traded in the window."""

    def __init__(self, reason: str) -> None:
        super().__init__("from_venues", reason)


@dataclass(frozen=True)
class MeasuredVolume:
    """Volume per bucket (summed over venues), per venue in total, and the window."""

    volumes: tuple[Decimal, ...]
    by_venue: dict[str, Decimal]
    start_ns: int
    bucket_ns: int

    def to_json(self) -> dict[str, object]:
        return {"volumes": [str(v) for v in self.volumes],
                "by_venue": {k: str(v) for k, v in sorted(self.by_venue.items())},
                "start_ns": self.start_ns, "bucket_ns": self.bucket_ns}


def bucket_volumes(trades: Sequence[TradePrint], start_ns: int, bucket_ns: int,
                   buckets: int) -> tuple[Decimal, ...]:
    """Volume per bucket of prints `(ts_ns, qty)`, bucket i = [start + i*b, +b); prints outside
    the window are left out."""
    if bucket_ns <= 0 or buckets <= 0:
        raise InvalidValue("buckets", "bucket_ns and buckets must be positive")
    volumes = [Decimal(0)] * buckets
    for ts_ns, qty in trades:
        index = (ts_ns - start_ns) // bucket_ns
        if 0 <= index < buckets:
            volumes[index] += qty
    return tuple(volumes)


_ALIGNMENTS_NS = (3_600 * 10**9, 60 * 10**9, 10**9)


def window_start(now_ns: int, bucket_ns: int, buckets: int) -> int:
    """Where the measured window opens: `buckets` buckets before now, moved back to the
    longest of a whole hour, minute or second that divides the bucket, so that a venue's
    klines fit the buckets exactly (the window then ends up to that much before now)."""
    start = now_ns - bucket_ns * buckets
    for unit in _ALIGNMENTS_NS:
        if bucket_ns % unit == 0:
            return start - start % unit
    return start


def volume_feeds(router: Router, symbol: str, names: Sequence[str] = ()) -> list[VolumeFeed]:
    """The venues of `symbol` that report their trades (restricted to `names` if given)."""
    feeds: list[VolumeFeed] = [venue for venue, _ in router.venues_for(symbol)
                               if isinstance(venue, VolumeFeed)]
    if names:
        unknown = sorted(set(names) - {feed.name for feed in feeds})
        if unknown:
            raise NoVolumeProfile(f"{', '.join(unknown)} trade no {symbol} or report no "
                                  f"trades; venues with a tape: "
                                  f"{', '.join(f.name for f in feeds) or 'none'}")
        feeds = [feed for feed in feeds if feed.name in names]
    if not feeds:
        raise NoVolumeProfile(f"no venue of {symbol} reports its trades")
    return feeds


async def measure_volume(router: Router, symbol: str, source: VenueVolume, now_ns: int,
                         default_lookback_ns: int) -> MeasuredVolume:
    """Volume per bucket over the window ending `now_ns`, summed across the venues; refuses
    (NoVolumeProfile) when a venue fails or nothing traded."""
    feeds = volume_feeds(router, symbol, source.venues)
    lookback = source.lookback_ns or default_lookback_ns
    bucket_ns = lookback // source.buckets
    if bucket_ns <= 0:
        raise NoVolumeProfile(f"a lookback of {lookback} ns cannot hold {source.buckets} "
                              "buckets")
    start_ns = window_start(now_ns, bucket_ns, source.buckets)
    try:
        tapes = await asyncio.gather(*(f.recent_trades(symbol, start_ns, bucket_ns)
                                       for f in feeds))
    except (VenueError, CrossbookError) as error:
        raise NoVolumeProfile(f"a venue's trades could not be read: {error}") from error
    by_venue = {feed.name: sum((q for t, q in tape if start_ns <= t < now_ns), Decimal(0))
                for feed, tape in zip(feeds, tapes, strict=True)}
    volumes = bucket_volumes([p for tape in tapes for p in tape], start_ns, bucket_ns,
                             source.buckets)
    if sum(volumes) <= 0:
        raise NoVolumeProfile(f"nothing traded in {symbol} on {', '.join(sorted(by_venue))} "
                              f"in the last {lookback / 1e9:g} s")
    return MeasuredVolume(volumes, by_venue, start_ns, bucket_ns)
