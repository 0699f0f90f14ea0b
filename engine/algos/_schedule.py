"""TWAP and VWAP: a schedule of cumulative targets, each slice taking what brings the parent
to its target. A slice that comes late (paused, or fills short) makes the next one catch up,
since every slice aims at the cumulative target, not at a fixed slice size."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

from pydantic import Field, model_validator

from engine.algos._base import AlgoParams, AlgoProgress, AlgoState, ExecAlgo
from engine.algos._volume import (
    MeasuredVolume,
    NoVolumeProfile,
    VenueVolume,
    bucket_volumes,
    measure_volume,
)
from engine.errors import InvalidValue


class TwapParams(AlgoParams):
    duration_ns: int = Field(gt=0)
    slices: int = Field(ge=1, le=10_000)
    randomize: float = Field(default=0.0, ge=0.0, le=0.9)  # share of a slice interval
    seed: int = 0


class VwapParams(AlgoParams):
    """Exactly one of: `profile` (weights), `volumes` (recent volume per bucket), or
    `from_venues` (measure the volume on the venues when the VWAP starts; the measured
    volumes then replace it in the journaled parameters, so a restart keeps the schedule)."""

    duration_ns: int = Field(gt=0)
    profile: tuple[Decimal, ...] | None = None  # weight of each bucket; normalised
    volumes: tuple[Decimal, ...] | None = None  # recent volume per bucket, to estimate one
    from_venues: VenueVolume | None = None  # measure recent volume on the venues

    @model_validator(mode="after")
    def _one_profile(self) -> VwapParams:
        given = [self.profile is not None, self.volumes is not None,
                 self.from_venues is not None]
        if sum(given) != 1:
            raise InvalidValue("profile", "give a profile, recent volumes or from_venues, "
                                          "exactly one")
        if self.from_venues is not None:
            return self
        weights = self.profile if self.profile is not None else self.volumes
        assert weights is not None
        if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
            raise InvalidValue("profile", "needs non-negative weights with a positive sum")
        if len(weights) > 10_000:
            raise InvalidValue("profile", "at most 10000 buckets")
        return self


def estimate_profile(trades: Sequence[tuple[int, Decimal]], start_ns: int, bucket_ns: int,
                     buckets: int) -> tuple[Decimal, ...]:
    """Volume per bucket of recent trades `(ts_ns, qty)`, bucket i = [start + i*b, +b)."""
    return bucket_volumes(trades, start_ns, bucket_ns, buckets)


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
    """One slice per profile bucket, sized by the bucket's share of the expected volume.
    With `from_venues`, the profile is the volume measured on the venues as the VWAP starts;
    when it cannot be measured the VWAP ends canceled, the refusal in `reason`."""

    name = "vwap"
    params: VwapParams
    measured: MeasuredVolume | None = None

    async def run(self) -> AlgoProgress:
        source = self.params.from_venues
        if source is not None and self.parent_id not in self.oms.parents():
            try:
                self.measured = await measure_volume(self.router, self.params.symbol, source,
                                                     self.clock.now_ns(),
                                                     self.params.duration_ns)
            except NoVolumeProfile as refusal:
                return self._refuse(str(refusal))
            self.params = VwapParams.model_validate({
                **self.params.model_dump(), "from_venues": None,
                "volumes": self.measured.volumes})
        return await super().run()

    def _creation_detail(self) -> dict[str, object]:
        if self.measured is None:
            return {}
        return {"volume_source": self.measured.to_json()}

    def _refuse(self, reason: str) -> AlgoProgress:
        self.state, self.reason = AlgoState.CANCELED, reason
        self.oms.record_parent(self.parent_id, "canceled", {
            "algo": self.name, "params": self.params.model_dump(mode="json"),
            "reason": reason})
        self._publish()
        return self.progress()

    def points(self) -> list[tuple[int, Decimal]]:
        weights = self.params.profile if self.params.profile is not None else self.params.volumes
        if weights is None:
            raise InvalidValue("from_venues", "the profile has not been measured yet")
        total = sum(weights, Decimal(0))
        interval = self.params.duration_ns // len(weights)
        cumulative, points = Decimal(0), []
        for i, weight in enumerate(weights):
            cumulative += weight
            points.append((i * interval, cumulative / total))
        return points
