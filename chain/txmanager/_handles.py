"""Handles the manager gives out: a tracked transaction, and a stream of state changes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from chain.txmanager._model import TxEvent, TxRecord, TxState, TxVersion

if TYPE_CHECKING:
    from chain.txmanager._manager import TxManager


class TrackedTx:
    """A handle on one tracked transaction; the state lives in the manager's store."""

    def __init__(self, manager: TxManager, tx_id: str) -> None:
        self.manager = manager
        self.tx_id = tx_id

    @property
    def record(self) -> TxRecord:
        return self.manager.get(self.tx_id)

    async def wait(self, state: TxState = TxState.FINAL, timeout_s: float = 60.0) -> TxRecord:
        """Wait until the transaction reaches `state` (FINAL also satisfies MINED).

        Raises TxOutcome when it ends in another outcome (failed, replaced, dropped), and
        TimeoutError when nothing decides within `timeout_s`. Progress comes from the tracker:
        run it in the background (`start`, or `async with`) or call `poll()`.
        """
        return await self.manager.wait_for(self.tx_id, state, timeout_s)

    async def speed_up(self) -> TxVersion:
        return await self.manager.speed_up(self.tx_id)

    async def cancel(self) -> TxVersion:
        return await self.manager.cancel(self.tx_id)

    def __repr__(self) -> str:
        return f"TrackedTx({self.tx_id})"


class EventStream:
    """An async iterator over state changes, subscribed from the moment it is created."""

    def __init__(self, manager: TxManager) -> None:
        self._queue: asyncio.Queue[TxEvent] = asyncio.Queue()
        self._unsubscribe = manager.subscribe(self._queue.put_nowait)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> TxEvent:
        return await self._queue.get()

    def close(self) -> None:
        self._unsubscribe()
