"""Immediate: route now over every venue, then re-route whatever did not fill."""

from __future__ import annotations

from pydantic import Field

from engine.algos._base import AlgoParams, ExecAlgo


class ImmediateParams(AlgoParams):
    max_rounds: int = Field(default=5, ge=1, le=100)


class Immediate(ExecAlgo):
    name = "immediate"
    params: ImmediateParams

    async def _work(self) -> None:
        for _ in range(self.params.max_rounds):
            await self._wait_if_paused()
            remaining = self.remaining()
            if self.stopped or remaining <= 0 or remaining < self.min_lot():
                return
            if await self.take(remaining) == 0 and self.no_route_count:
                return  # nothing can be had within the limit now: Immediate does not wait
