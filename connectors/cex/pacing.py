"""Request pacing: capped exponential backoff with jitter, and a request-weight budget.

The weight budget follows the venue's own count (Binance's `X-MBX-USED-WEIGHT-<interval>`
header) and keeps under `limit * headroom` per window (the venue's REQUEST_WEIGHT rate limit).
A 429/418 with `Retry-After` blocks every request until that time has passed, since a venue
bans clients that keep sending (Binance: 418).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays base * 2**attempt, capped, with full jitter (AWS architecture blog's rule)."""

    base_s: float = 0.05
    cap_s: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.base_s * float(2 ** self.attempt))
        self.attempt += 1
        return float(ceiling / 2 + self.rng.uniform(0, ceiling / 2))

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class WeightBudget:
    limit: int = 6000
    window_s: float = 60.0
    headroom: float = 0.8
    used: int = 0
    window: int = 0
    blocked_until: float = 0.0  # wall clock seconds
    waits: int = 0
    retry_afters: int = 0

    async def acquire(self, weight: int) -> None:
        """Wait until `weight` can be spent without crossing the limit or a Retry-After."""
        while True:
            now = time.time()
            if now < self.blocked_until:
                self.waits += 1
                await asyncio.sleep(self.blocked_until - now)
                continue
            window = int(now // self.window_s)
            if window != self.window:
                self.window, self.used = window, 0
            if self.used + weight <= self.limit * self.headroom:
                self.used += weight
                return
            self.waits += 1
            await asyncio.sleep((window + 1) * self.window_s - now)

    def observe(self, headers: dict[str, str] | None) -> None:
        """Take the venue's own count of used weight when it tells us."""
        for key, value in (headers or {}).items():
            if key.lower().startswith("x-mbx-used-weight-") and value.isdigit():
                window = int(time.time() // self.window_s)
                # requests of ours still in flight may not be in the venue's count yet
                self.used = max(self.used, int(value)) if window == self.window else int(value)
                self.window = window

    def retry_after(self, headers: dict[str, str] | None, default_s: float = 1.0) -> float:
        """Block all requests for the venue's Retry-After (or `default_s`); the delay."""
        delay = default_s
        for key, value in (headers or {}).items():
            if key.lower() == "retry-after":
                with contextlib.suppress(ValueError):
                    delay = float(value)
        self.retry_afters += 1
        self.blocked_until = max(self.blocked_until, time.time() + delay)
        return delay
