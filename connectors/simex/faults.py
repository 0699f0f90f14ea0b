"""Fault injection for simex, switchable while it runs (Python API or `POST /simex/faults`).

Every fault is a counter ("the next N requests") or a probability drawn from a seeded RNG, so a
test run is reproducible. What each one does, as a venue would do it:

- `http_5xx`: the next N REST requests answer 503 (-1001 Internal error).
- `rate_limit`: the next N requests answer 429 (-1003) with `Retry-After: retry_after_s`; a
  request sent before that time is up gets 418 and a ban of `ban_seconds` (Binance's rule for
  clients that do not back off).
- `never_answer_orders`: the next N `POST /api/v3/order` are executed, but the answer is lost:
  the request hangs until the client gives up.
- `delay_ms`: every REST answer is delayed.
- `skip_update_prob`: a diff-depth event is not sent (clients see a gap in update ids).
- `drop_ws_prob`: after a stream message, the connection is closed by the server.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultPlan:
    seed: int = 0
    http_5xx: int = 0
    rate_limit: int = 0
    retry_after_s: int = 1
    never_answer_orders: int = 0
    delay_ms: int = 0
    skip_update_prob: float = 0.0
    drop_ws_prob: float = 0.0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    def update(self, changes: dict[str, Any]) -> None:
        """Change faults by name; unknown names are refused (a typo must not silently pass)."""
        allowed = {"seed", "http_5xx", "rate_limit", "retry_after_s", "never_answer_orders",
                   "delay_ms", "skip_update_prob", "drop_ws_prob"}
        unknown = set(changes) - allowed
        if unknown:
            raise KeyError(f"unknown fault {sorted(unknown)[0]!r}; known: {sorted(allowed)}")
        for name, value in changes.items():
            setattr(self, name, type(getattr(self, name))(value))
        if "seed" in changes:
            self.rng.seed(self.seed)

    def clear(self) -> None:
        self.update({"http_5xx": 0, "rate_limit": 0, "never_answer_orders": 0, "delay_ms": 0,
                     "skip_update_prob": 0.0, "drop_ws_prob": 0.0})

    def take(self, name: str) -> bool:
        """Consume one unit of a counted fault; True if it fires now."""
        left = int(getattr(self, name))
        if left <= 0:
            return False
        setattr(self, name, left - 1)
        return True

    def chance(self, probability: float) -> bool:
        return probability > 0 and self.rng.random() < probability
