"""A Deribit venue for the strategy CLI (placeholder until the Deribit ExecutionVenue lands)."""

from __future__ import annotations

from typing import Any


async def deribit_session(url: str, now_ns: int) -> Any:
    from engine.strategies._errors import InvalidStrategy

    raise InvalidStrategy("venue", f"{url}: the Deribit venue is not wired yet")
