"""Errors raised by the engine, split by whether trying again can help.

    CrossbookError
    ├── RetryableError               the same request may succeed later
    │   ├── VenueUnreachable         no connection to the venue or node (network, DNS, 5xx)
    │   ├── RateLimited              the venue asked us to slow down; `retry_after_ns` if it said
    │   └── VenueTimeout             no answer in time: the outcome is UNKNOWN, not a rejection
    └── TerminalError                repeats until something is changed
        ├── InvalidValue             a value broke a rule; names the field and the rule
        ├── IllegalTransition        an order event that its current state does not allow
        ├── OverFill                 fills would exceed the order quantity
        ├── DuplicateFill            a venue trade id already booked on the order
        ├── AssetMismatch            arithmetic across different assets or scales
        ├── VenueRejected            the venue refused the request; its code and raw payload kept
        └── JournalError             the journal refused a write; nothing was written
            └── DuplicateEvent       an event id that is already in the journal

A timeout is deliberately not terminal and not a rejection: the order becomes UNKNOWN and is
reconciled with the venue, never silently resent (Hummingbot #8457).
"""

from __future__ import annotations

from collections.abc import Mapping


class CrossbookError(Exception):
    """Root of every error the engine raises."""


class RetryableError(CrossbookError):
    """A transient failure: the same request may succeed if tried again."""


class VenueUnreachable(RetryableError):
    """The venue or node could not be reached; nothing is known to have happened there."""


class RateLimited(RetryableError):
    """The venue throttled us. `retry_after_ns` is its hint, when it gave one."""

    def __init__(self, venue: str, retry_after_ns: int | None = None) -> None:
        self.venue = venue
        self.retry_after_ns = retry_after_ns
        hint = f"; retry after {retry_after_ns} ns" if retry_after_ns is not None else ""
        super().__init__(f"{venue} rate-limited the request{hint}")


class VenueTimeout(RetryableError):
    """A venue did not answer in time; what happened to the request is not known."""


class TerminalError(CrossbookError):
    """A failure that repeats until something is changed."""


class InvalidValue(TerminalError):
    """A value broke a rule. `field` names it; `reason` states the rule."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class IllegalTransition(TerminalError):
    """An event arrived that the order's current state does not allow."""

    def __init__(self, client_order_id: str, state: str, event: str) -> None:
        self.client_order_id = client_order_id
        self.state = state
        self.event = event
        super().__init__(f"order {client_order_id}: {event} is not allowed in state {state}")


class OverFill(TerminalError):
    """Fills would take the filled quantity past the order quantity."""

    def __init__(self, client_order_id: str, quantity: str, filled: str) -> None:
        self.client_order_id = client_order_id
        self.quantity = quantity
        self.filled = filled
        super().__init__(f"order {client_order_id}: fills of {filled} exceed quantity {quantity}")


class DuplicateFill(TerminalError):
    """A fill with this venue trade id was already booked on the order.

    Venues re-deliver fills after a reconnect; booking one twice would double a position.
    """

    def __init__(self, client_order_id: str, trade_id: str) -> None:
        self.client_order_id = client_order_id
        self.trade_id = trade_id
        super().__init__(f"order {client_order_id}: trade {trade_id} is already booked")


class AssetMismatch(TerminalError):
    """Amounts of different assets (or scales) were combined."""


class VenueRejected(TerminalError):
    """The venue refused the request. `code` is its structured code; `raw` its whole answer."""

    def __init__(self, venue: str, code: str, message: str,
                 raw: Mapping[str, object] | None = None) -> None:
        self.venue = venue
        self.code = code
        self.raw: Mapping[str, object] = raw if raw is not None else {}
        super().__init__(f"{venue} rejected the request ({code}): {message}")


class JournalError(TerminalError):
    """The journal refused a write; the journal is unchanged."""


class DuplicateEvent(JournalError):
    """An event with this id was already journaled."""

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(f"event {event_id} is already in the journal; nothing was written")
