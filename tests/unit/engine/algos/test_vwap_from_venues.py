"""A VWAP whose profile is measured on the venues, over PaperVenues and a ManualClock.

`TapedPaper` adds a scripted tape to the in-memory PaperVenue (it has none): it stands in for
the real feeds (simex aggTrades/klines, pool Swap logs), which are tested against simex and
the devnet in tests/integration/test_vwap_venue_volume.py.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.errors import RetryableVenueError
from connectors.volume import TradePrint, VolumeFeed, bar_interval
from engine.algos import (
    AlgoState,
    NoVolumeProfile,
    VenueVolume,
    Vwap,
    VwapParams,
    algo_for,
    measure_volume,
)
from engine.algos._volume import window_start
from engine.errors import InvalidValue
from engine.model import Side
from engine.oms import ManualClock, PaperVenue
from engine.router import Router

from oms_support import SECOND, StaticGate, journal_at, paper, started_oms

D = Decimal
START = 1_700_000_000 * SECOND  # the ManualClock's default start: a whole second


class TapedPaper(PaperVenue):
    """A PaperVenue with a scripted public tape (see the module docstring)."""

    tape: list[TradePrint]
    asked: list[tuple[int, int | None]]
    broken: bool = False

    async def recent_trades(self, symbol: str, since_ns: int,
                            bar_ns: int | None = None) -> list[TradePrint]:
        self.asked.append((since_ns, bar_ns))
        if self.broken:
            raise RetryableVenueError(f"{self.name}: tape unavailable")
        return [p for p in self.tape if p[0] >= since_ns]


def taped(name: str, tape: list[TradePrint], mid: str = "3000") -> TapedPaper:
    venue = paper(name, mid=mid, size="100")
    venue.__class__ = TapedPaper
    assert isinstance(venue, TapedPaper)
    venue.tape, venue.asked = tape, []
    return venue


def vwap_params(**overrides: object) -> VwapParams:
    fields: dict[str, object] = {"symbol": "WETH/USDC", "side": Side.BUY, "qty": D(6),
                                 "duration_ns": 30 * SECOND}
    fields.update(overrides)
    return VwapParams.model_validate(fields)


def test_vwap_params_when_from_venues_and_a_profile_then_refused_naming_the_rule() -> None:
    with pytest.raises(InvalidValue, match="exactly one"):
        vwap_params(profile=(D(1),), from_venues=VenueVolume(buckets=2))
    with pytest.raises(ValueError, match="buckets"):
        vwap_params(from_venues={"buckets": 0})
    assert vwap_params(from_venues={"buckets": 3}).from_venues == VenueVolume(buckets=3)


def test_window_start_when_bucket_is_whole_seconds_then_aligned_for_klines() -> None:
    now = START + 59 * SECOND + 250_000_000
    assert window_start(now, 10 * SECOND, 3) == START + 29 * SECOND  # a whole second
    assert window_start(now, 60 * SECOND, 2) % (60 * SECOND) == 0  # a whole minute
    assert window_start(now, 1500 * 10**6, 2) == now - 3 * SECOND  # no whole unit: as is


def test_bar_interval_when_bucket_and_start_allow_then_longest_kline_that_fits() -> None:
    minute = 60 * SECOND
    assert bar_interval(90 * minute, 15 * minute) == ("15m", 900_000)
    assert bar_interval(100 * minute + SECOND, 15 * minute) == ("1s", 1_000)
    assert bar_interval(100 * minute, 10 * SECOND) == ("1s", 1_000)
    assert bar_interval(100 * minute, 1500 * 10**6) is None  # 1.5 s: no kline divides it
    assert bar_interval(100 * minute, None) is None  # the caller wants trades
    assert bar_interval(90 * minute, 15 * minute, ("1m", "1h")) == ("1m", 60_000)


async def test_measure_volume_when_two_venues_traded_then_summed_per_bucket() -> None:
    now = START + 30 * SECOND
    a = taped("a", [(START + 1 * SECOND, D(1)), (START + 12 * SECOND, D(2)),
                    (START - SECOND, D(50))])
    b = taped("b", [(START + 13 * SECOND, D("0.5")), (START + 29 * SECOND, D(3)),
                    (now + SECOND, D(40))])  # after now: left out
    router = Router([a, b, paper("no-tape")], refine_points=0)
    measured = await measure_volume(router, "WETH/USDC", VenueVolume(buckets=3), now,
                                    30 * SECOND)
    assert measured.volumes == (D(1), D("2.5"), D(3))
    assert measured.by_venue == {"a": D(3), "b": D("3.5")}
    assert (measured.start_ns, measured.bucket_ns) == (START, 10 * SECOND)
    assert a.asked == b.asked == [(START, 10 * SECOND)]  # the buckets, so bars may be used
    assert isinstance(a, VolumeFeed) and not isinstance(paper("x"), VolumeFeed)


async def test_measure_volume_when_venues_named_then_only_those_and_unknown_refused() -> None:
    a = taped("a", [(START + SECOND, D(1))])
    b = taped("b", [(START + SECOND, D(7))])
    router = Router([a, b], refine_points=0)
    only_b = await measure_volume(router, "WETH/USDC", VenueVolume(buckets=1, venues=("b",)),
                                  START + 10 * SECOND, 10 * SECOND)
    assert only_b.volumes == (D(7),) and not a.asked
    with pytest.raises(NoVolumeProfile, match="c trade no WETH/USDC") as refused:
        await measure_volume(router, "WETH/USDC", VenueVolume(buckets=1, venues=("c",)),
                             START + 10 * SECOND, 10 * SECOND)
    assert refused.value.field == "from_venues"


async def test_measure_volume_when_a_venue_tape_fails_then_refused_not_partial() -> None:
    a = taped("a", [(START + SECOND, D(1))])
    b = taped("b", [])
    b.broken = True
    with pytest.raises(NoVolumeProfile, match="b: tape unavailable"):
        await measure_volume(Router([a, b], refine_points=0), "WETH/USDC",
                             VenueVolume(buckets=1), START + 10 * SECOND, 10 * SECOND)


async def test_vwap_from_venues_when_run_then_slices_follow_measured_volume_and_journaled(
        tmp_path: Path) -> None:
    clock = ManualClock(START + 30 * SECOND)
    a = taped("a", [(START + 2 * SECOND, D(1)), (START + 25 * SECOND, D(2))])
    b = taped("b", [(START + 15 * SECOND, D(3))], mid="3000.5")
    oms = await started_oms(journal_at(tmp_path), [a, b], StaticGate(), clock)
    router = Router([a, b], refine_points=0)
    algo = Vwap(oms, router, "vwap-m", vwap_params(from_venues={"buckets": 3}))
    task = asyncio.create_task(algo.run())
    for _ in range(35):
        await clock.advance(SECOND)
    progress = await task
    assert progress.state is AlgoState.DONE and progress.filled == D(6)
    assert algo.params.volumes == (D(1), D(3), D(2)) and algo.params.from_venues is None
    # each child takes its bucket's share of 6: 1/6, 3/6, 2/6 of it
    assert [sum((c.qty for c in oms.orders("vwap-m") if c.created_ts_ns // SECOND == t), D(0))
            for t in sorted({c.created_ts_ns // SECOND for c in oms.orders("vwap-m")})] \
        == [D(1), D(3), D(2)]
    record = oms.parents()["vwap-m"]
    assert record["params"]["volumes"] == ["1", "3", "2"]  # type: ignore[index]
    assert record["volume_source"]["by_venue"] == {"a": "3", "b": "3"}  # type: ignore[index]

    # a restart rebuilds it from the journal: the measured volumes, never measured again
    a.asked.clear()
    again = algo_for(oms, router, "vwap-m", "vwap", record["params"])  # type: ignore[arg-type]
    assert isinstance(again, Vwap) and again.params.volumes == (D(1), D(3), D(2))
    await again.run()
    assert not a.asked


async def test_vwap_from_venues_when_nothing_traded_then_canceled_with_reason_and_no_child(
        tmp_path: Path) -> None:
    clock = ManualClock(START + 30 * SECOND)
    quiet = taped("a", [(START - 5 * SECOND, D(4))])  # before the window only
    oms = await started_oms(journal_at(tmp_path), [quiet], StaticGate(), clock)
    algo = Vwap(oms, Router([quiet], refine_points=0), "vwap-q",
                vwap_params(from_venues={"buckets": 3}))
    progress = await algo.run()
    assert progress.state is AlgoState.CANCELED and not oms.orders("vwap-q")
    assert progress.reason is not None and "nothing traded in WETH/USDC on a" in progress.reason
    assert progress.to_json()["reason"] == progress.reason
    assert oms.parents()["vwap-q"]["state"] == "canceled"
