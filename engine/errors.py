"""Errors raised by the engine, split by whether trying again can help.

    CrossbookError
    ├── RetryableError               the same request may succeed later (network, rate limit)
    │   └── VenueTimeout             no answer in time: the outcome is UNKNOWN, not a rejection
    └── TerminalError                repeats until something is changed
        ├── InvalidValue             a value broke a rule; names the field and the rule
        ├── IllegalTransition        an order event that its current state does not allow
        ├── OverFill                 fills would exceed the order quantity
        ├── AssetMismatch            arithmetic across different assets or scales
        └── JournalError             the journal refused a write; nothing was written
            └── DuplicateEvent       an event id that is already in the journal

A timeout is deliberately not terminal and not a rejection: the order becomes UNKNOWN and is
reconciled with the venue, never silently resent.
"""

from __future__ import annotations


class CrossbookError(Exception):
    """Root of every error the engine raises."""


class RetryableError(CrossbookError):
    """A transient failure: the same request may succeed if tried again."""


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
        super().__init__(f"order {client_order_id}: fills of {filled} exceed quantity {quantity}")


class AssetMismatch(TerminalError):
    """Amounts of different assets (or scales) were combined."""


class JournalError(TerminalError):
    """The journal refused a write; the journal is unchanged."""


class DuplicateEvent(JournalError):
    """An event with this id was already journaled."""

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(f"event {event_id} is already in the journal; nothing was written")
