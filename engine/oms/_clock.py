"""Time for the OMS and its algorithms: injectable, so unit tests never really sleep."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """UTC nanoseconds now, and a way to wait."""

    def now_ns(self) -> int: ...

    async def sleep(self, ns: int) -> None: ...


class WallClock:
    """The real clock."""

    def now_ns(self) -> int:
        return time.time_ns()

    async def sleep(self, ns: int) -> None:
        await asyncio.sleep(max(ns, 0) / 1e9)


class ManualClock:
    """A clock the test moves: `sleep` waits until `advance` passes its deadline.

    `advance` wakes sleepers in deadline order, setting `now` to each deadline first, and lets
    the event loop run the woken tasks before moving on.
    """

    def __init__(self, start_ns: int = 1_700_000_000_000_000_000) -> None:
        self._now = start_ns
        self._sleepers: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now_ns(self) -> int:
        return self._now

    async def sleep(self, ns: int) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + max(ns, 0), next(self._order), future))
        await future

    @property
    def sleepers(self) -> int:
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def settle(self, rounds: int = 50) -> None:
        """Let every runnable task run until the loop has nothing left to do now."""
        for _ in range(rounds):
            await asyncio.sleep(0)

    async def advance(self, ns: int) -> None:
        """Move time forward by `ns`, waking every sleeper whose deadline is passed."""
        target = self._now + ns
        await self.settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not future.done():
                future.set_result(None)
            await self.settle()
        self._now = target
        await self.settle()
