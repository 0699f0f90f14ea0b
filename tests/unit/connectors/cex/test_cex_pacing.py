"""Backoff stays within its cap with jitter; the weight budget honours Retry-After."""

from __future__ import annotations

import random
import time

from connectors.cex import Backoff, WeightBudget


def test_backoff_grows_exponentially_then_stays_jittered_under_the_cap() -> None:
    backoff = Backoff(base_s=0.1, cap_s=1.0, rng=random.Random(5))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [min(1.0, 0.1 * 2 ** i) for i in range(8)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len({round(d, 6) for d in delays[4:]}) > 1  # jitter: capped delays still differ
    backoff.reset()
    assert backoff.next_delay() <= 0.1


async def test_budget_blocks_for_retry_after_then_admits() -> None:
    budget = WeightBudget(limit=100, window_s=60)
    delay = budget.retry_after({"Retry-After": "0.2"})
    assert delay == 0.2
    started = time.monotonic()
    await budget.acquire(1)
    assert time.monotonic() - started >= 0.15 and budget.waits >= 1


def test_budget_follows_the_venue_count_of_used_weight() -> None:
    budget = WeightBudget(limit=100)
    budget.window = int(time.time() // budget.window_s)
    budget.observe({"X-MBX-USED-WEIGHT-1M": "70"})
    assert budget.used == 70
