"""TWAP and VWAP: a schedule of cumulative targets, each slice taking what brings the parent
to its target. A slice that comes late (paused, or fills short) makes the next one catch up,
since every slice aims at the cumulative target, not at a fixed slice size."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

from pydantic import Field, model_validator

from engine.algos._base import AlgoParams, ExecAlgo
from engine.errors import InvalidValue


class TwapParams(AlgoParams):
    duration_ns: int = Field(gt=0)
    slices: int = Field(ge=1, le=10_000)
    randomize: float = Field(default=0.0, ge=0.0, le=0.9)  # share of a slice interval
    seed: int = 0


class VwapParams(AlgoParams):
    duration_ns: int = Field(gt=0)
    profile: tuple[Decimal, ...] | None = None  # weight of each bucket; normalised
    volumes: tuple[Decimal, ...] | None = None  # recent volume per bucket, to estimate one

    @model_validator(mode="after")
    def _one_profile(self) -> VwapParams:
        weights = self.profile if self.profile is not None else self.volumes
        if (self.profile is None) == (self.volumes is None):
            raise InvalidValue("profile", "give a profile or recent volumes, exactly one")
        assert weights is not None
        if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
            raise InvalidValue("profile", "needs non-negative weights with a positive sum")
        if len(weights) > 10_000:
            raise InvalidValue("profile", "at most 10000 buckets")
        return self


def estimate_profile(trades: Sequence[tuple[int, Decimal]], start_ns: int, bucket_ns: int,
                     buckets: int) -> tuple[Decimal, ...]:
    """Volume per bucket of recent trades `(ts_ns, qty)`, bucket i = [start + i*b, +b)."""
    if bucket_ns <= 0 or buckets <= 0:
        raise InvalidValue("buckets", "bucket_ns and buckets must be positive")
    volumes = [Decimal(0)] * buckets
    for ts_ns, qty in trades:
        index = (ts_ns - start_ns) // bucket_ns
        if 0 <= index < buckets:
            volumes[index] += qty
    return tuple(volumes)


class _Scheduled(ExecAlgo):
    """Slices at (time offset, cumulative fraction) points; subclasses give the points."""

    def points(self) -> list[tuple[int, Decimal]]:
        raise NotImplementedError

    async def _work(self) -> None:
        start = self.start_ns()
        points = self.points()
        index = 0
        while index < len(points):
            await self._sleep_until(start + points[index][0])
            await self._wait_if_paused()
            if self.stopped:
                return
            # every slot whose time has come counts now: one child catches up on them all
            now = self.clock.now_ns()
            while index + 1 < len(points) and start + points[index + 1][0] <= now:
                index += 1
            await self._slice(self.params.qty * points[index][1])
            index += 1
        # the last slot's target is the whole quantity: sweep what is left once more
        if not self.stopped and self.remaining() >= max(self.min_lot(), Decimal("1e-18")):
            await self.take(self.remaining())

    async def _slice(self, target: Decimal) -> None:
        shortfall = target - self.filled() - self.in_doubt()
        lot = self.min_lot()
        if lot > 0:
            shortfall = (shortfall / lot).to_integral_value() * lot
        if shortfall > 0:
            await self.take(min(shortfall, self.remaining()))

    async def _sleep_until(self, at_ns: int) -> None:
        wait = at_ns - self.clock.now_ns()
        if wait > 0:
            await self.clock.sleep(wait)


class Twap(_Scheduled):
    """n equal slices over the duration, each moved at random by up to `randomize` of an
    interval (seeded), so the timing does not reveal the schedule."""

    name = "twap"
    params: TwapParams

    def points(self) -> list[tuple[int, Decimal]]:
        n, duration = self.params.slices, self.params.duration_ns
        interval = duration // n
        jitter = random.Random(f"{self.parent_id}/{self.params.seed}")
        times = []
        for i in range(n):
            shift = int((jitter.random() * 2 - 1) * self.params.randomize * interval / 2)
            times.append(min(max(i * interval + shift, 0), duration))
        times.sort()
        return [(t, Decimal(i + 1) / n) for i, t in enumerate(times)]


class Vwap(_Scheduled):
    """One slice per profile bucket, sized by the bucket's share of the expected volume."""

    name = "vwap"
    params: VwapParams

    def points(self) -> list[tuple[int, Decimal]]:
        weights = self.params.profile if self.params.profile is not None else self.params.volumes
        assert weights is not None
        total = sum(weights, Decimal(0))
        interval = self.params.duration_ns // len(weights)
        cumulative, points = Decimal(0), []
        for i, weight in enumerate(weights):
            cumulative += weight
            points.append((i * interval, cumulative / total))
        return points
