"""Errors raised by venue connectors, split by whether trying again can help.

    VenueError
    ├── RetryableVenueError        network, rate limit, timeout: may succeed later
    └── TerminalVenueError         the venue (or the request) says no
        └── InvalidQuoteRequest    not a pool, token not in the pool, bad amount

Chain errors from below (`chain.errors`) are passed through unchanged.
"""

from __future__ import annotations


class VenueError(Exception):
    """Root of every error raised by `connectors`."""


class RetryableVenueError(VenueError):
    """A transient failure: the same request may succeed later."""


class TerminalVenueError(VenueError):
    """A failure that repeats until the request changes."""


class InvalidQuoteRequest(TerminalVenueError):
    """A quote request that no pool could answer; `field` names what was wrong."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")
