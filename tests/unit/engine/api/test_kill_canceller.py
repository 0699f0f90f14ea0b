"""OmsCanceller's waiting: `drain` returns once every cancel it started has finished, even
when some finished before it was called. The OMS here is a stand-in recording the ids it was
asked to cancel (the real OMS against simex is in tests/integration/test_engine_kill_switch)."""

from __future__ import annotations

import asyncio
from typing import Any

from engine.api._kill import OmsCanceller


class _RecordingOms:
    def __init__(self) -> None:
        self.canceled: list[str] = []

    async def cancel(self, coid: str) -> str:
        if coid.startswith("slow"):
            await asyncio.sleep(0.05)
        if coid == "broken":
            raise RuntimeError("venue said no")
        self.canceled.append(coid)
        return coid


async def test_drain_when_cancels_done_before_and_after_it_is_called_then_returns() -> None:
    oms: Any = _RecordingOms()
    canceller = OmsCanceller(oms)
    canceller.cancel_ids(["a", "b"], "test")
    await asyncio.sleep(0.01)  # both finished, their done callbacks may still be queued
    canceller.cancel_ids(["slow-c", "broken"], "test")
    await asyncio.wait_for(canceller.drain(), 2)
    assert sorted(oms.canceled) == ["a", "b", "slow-c"]
    await asyncio.wait_for(canceller.drain(), 2)  # nothing left: returns at once
