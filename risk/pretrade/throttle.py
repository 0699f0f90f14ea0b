"""Message-rate and rolling-notional throttles, per venue and per strategy.

The message rate is a token bucket in integer nanoseconds (no float drift): `burst` tokens at
most, one token back every `per_ns // max_messages` ns. The notional throttle is a rolling
window: the notional accepted in the last `window_ns` plus the new leg must stay within
`max_notional`. Time comes from an injected `Clock`, so tests move time by hand and never sleep.

Checking never consumes: the gate asks with what the group's earlier legs would already use,
and consumes only when the whole group is accepted.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from risk.pretrade.errors import InvalidLimit


class Clock(Protocol):
    def now_ns(self) -> int: ...


class MonotonicClock:
    """The process's monotonic clock: throttles need intervals, not wall time."""

    def now_ns(self) -> int:
        return time.monotonic_ns()


class ThrottleScope(StrEnum):
    VENUE = "venue"
    STRATEGY = "strategy"


@dataclass(frozen=True, slots=True)
class ThrottleSpec:
    """`max_messages` per `per_ns` (bursts up to `burst`, default `max_messages`), and at most
    `max_notional` quote accepted per rolling `window_ns`. Either half may be left out."""

    max_messages: int | None = None
    per_ns: int | None = None
    burst: int | None = None
    max_notional: Decimal | None = None
    window_ns: int | None = None

    def __post_init__(self) -> None:
        if (self.max_messages is None) != (self.per_ns is None):
            raise InvalidLimit("max_messages", "max_messages and per_ns go together")
        if (self.max_notional is None) != (self.window_ns is None):
            raise InvalidLimit("max_notional", "max_notional and window_ns go together")
        for name in ("max_messages", "per_ns", "burst", "window_ns"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value <= 0):
                raise InvalidLimit(name, f"must be a positive int, got {value!r}")
        if self.max_messages is not None and self.per_ns is not None \
                and self.per_ns < self.max_messages:
            raise InvalidLimit("per_ns", "must allow at least 1 ns per message")
        if self.max_notional is not None and (
                not isinstance(self.max_notional, Decimal) or not self.max_notional.is_finite()
                or self.max_notional < 0):
            raise InvalidLimit("max_notional", f"must be a non-negative finite Decimal, got "
                               f"{self.max_notional!r}")


class TokenBucket:
    def __init__(self, burst: int, refill_ns: int, now_ns: int, tokens: int | None = None) -> None:
        self.burst = burst
        self.refill_ns = refill_ns
        self.tokens = burst if tokens is None else min(tokens, burst)
        self._last_ns = now_ns

    def available(self, now_ns: int) -> int:
        gained = (now_ns - self._last_ns) // self.refill_ns
        if gained > 0:
            self.tokens = min(self.burst, self.tokens + gained)
            self._last_ns = now_ns if self.tokens == self.burst else (
                self._last_ns + gained * self.refill_ns)
        return self.tokens

    def take(self, count: int, now_ns: int) -> None:
        self.available(now_ns)
        self.tokens -= count


class NotionalWindow:
    def __init__(self, max_notional: Decimal, window_ns: int) -> None:
        self.max_notional = max_notional
        self.window_ns = window_ns
        self._entries: deque[tuple[int, Decimal]] = deque()
        self._total = Decimal(0)

    def used(self, now_ns: int) -> Decimal:
        horizon = now_ns - self.window_ns
        entries = self._entries
        while entries and entries[0][0] <= horizon:
            self._total -= entries.popleft()[1]
        return self._total

    def add(self, notional: Decimal, now_ns: int) -> None:
        self.used(now_ns)
        self._entries.append((now_ns, notional))
        self._total += notional


class Throttle:
    """One venue's or strategy's throttle: a token bucket, a notional window, or both."""

    __slots__ = ("bucket", "label", "spec", "window")

    def __init__(self, label: str, spec: ThrottleSpec, bucket: TokenBucket | None,
                 window: NotionalWindow | None) -> None:
        self.label = label
        self.spec = spec
        self.bucket = bucket
        self.window = window

    def commit(self, messages: int, notional: Decimal, now_ns: int) -> None:
        if self.bucket is not None:
            self.bucket.take(messages, now_ns)
        if self.window is not None:
            self.window.add(notional, now_ns)


class Throttles:
    """The throttle of every venue and strategy that has a spec."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.by_venue: dict[str, Throttle] = {}
        self.by_strategy: dict[str, Throttle] = {}

    def set(self, scope: ThrottleScope, name: str, spec: ThrottleSpec | None) -> None:
        """Set (or with None remove) the throttle of one venue or strategy, keeping what it has
        already used: a new, smaller bucket starts no fuller than the old one was."""
        if not isinstance(name, str) or not name:
            raise InvalidLimit("name", f"must be a non-empty string, got {name!r}")
        scope = ThrottleScope(scope)
        table = self.by_venue if scope is ThrottleScope.VENUE else self.by_strategy
        old = table.pop(name, None)
        if spec is None:
            return
        now = self._clock.now_ns()
        bucket = window = None
        if spec.max_messages is not None and spec.per_ns is not None:
            tokens = old.bucket.available(now) if old is not None and old.bucket else None
            bucket = TokenBucket(spec.burst or spec.max_messages,
                                 spec.per_ns // spec.max_messages, now, tokens)
        if spec.max_notional is not None and spec.window_ns is not None:
            window = old.window if old is not None and old.window else NotionalWindow(
                spec.max_notional, spec.window_ns)
            window.max_notional, window.window_ns = spec.max_notional, spec.window_ns
        table[name] = Throttle(f"{scope.value}={name}", spec, bucket, window)

    def spec(self, scope: ThrottleScope, name: str) -> ThrottleSpec | None:
        table = self.by_venue if scope is ThrottleScope.VENUE else self.by_strategy
        throttle = table.get(name)
        return throttle.spec if throttle is not None else None
