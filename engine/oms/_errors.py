"""Errors of the OMS, under the engine's error root (see engine/errors.py)."""

from __future__ import annotations

from engine.errors import InvalidValue, TerminalError


class NotAccepting(TerminalError):
    """The OMS is not accepting orders: it is starting (reconciling) or stopped."""


class UnknownOrder(InvalidValue):
    """No order with this client order id is known to the OMS."""

    def __init__(self, client_order_id: str) -> None:
        super().__init__("client_order_id", f"no order {client_order_id!r} is known")


class UnknownVenue(InvalidValue):
    """The OMS has no execution venue of this name."""

    def __init__(self, venue: str) -> None:
        super().__init__("venue", f"no execution venue named {venue!r}")
