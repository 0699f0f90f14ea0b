"""How the CEX venue reads a venue's answers: statuses and error codes onto ours.

One table per mapping, keyed on the venue's structured values (Binance spot "ENUM
definitions" and "Error codes"); the raw answer stays on the exception.

    VenueError
    ├── RetryableVenueError
    │   └── VenueUnavailable   network, 5xx, rate limit, no answer: try again later
    └── TerminalVenueError
        └── VenueRejected      the venue said no: `code` (e.g. -2010) and `raw`
"""

from __future__ import annotations

import contextlib
import json

from connectors.errors import RetryableVenueError, TerminalVenueError
from connectors.orders import VenueOrderStatus

# Binance order statuses onto ours (spot "ENUM definitions", order status).
STATUS_OF = {
    "NEW": VenueOrderStatus.OPEN, "PENDING_NEW": VenueOrderStatus.OPEN,
    "PARTIALLY_FILLED": VenueOrderStatus.PARTIALLY_FILLED, "FILLED": VenueOrderStatus.FILLED,
    "CANCELED": VenueOrderStatus.CANCELED, "PENDING_CANCEL": VenueOrderStatus.OPEN,
    "REJECTED": VenueOrderStatus.REJECTED, "EXPIRED": VenueOrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": VenueOrderStatus.EXPIRED,
}
NO_SUCH_ORDER = -2013


class VenueRejected(TerminalVenueError):
    """The venue refused a request; `code` and `raw` keep its own answer."""

    def __init__(self, code: int | None, message: str, raw: str) -> None:
        self.code, self.raw = code, raw
        super().__init__(f"{code}: {message}" if code is not None else message)


class VenueUnavailable(RetryableVenueError):
    """The venue did not answer usefully (network, 5xx, rate limit): try again later."""


# ccxt raises some Binance errors with the message alone ("binance Duplicate order sent."),
# having matched it exactly; these are the codes Binance sends with those messages.
_CODE_OF_MESSAGE = {
    "Order would immediately match and take.": -2010,
    "Account has insufficient balance for requested action.": -2010,
    "Duplicate order sent.": -2010,
    "Order does not exist.": -2013,
    "Unknown order sent.": -2011,
    "Signature for this request is not valid.": -1022,
    "Timestamp for this request is outside of the recvWindow.": -1021,
    "Invalid API-key, IP, or permissions for action.": -2015,
    "API-key format invalid.": -2014,
    "Invalid symbol.": -1121,
}


def venue_error(error: Exception) -> tuple[int | None, str]:
    """The venue's code and message out of a ccxt exception ("binance {json}" or
    "binance <message>")."""
    text = str(error)
    start = text.find("{")
    if start >= 0:
        with contextlib.suppress(ValueError):
            body = json.loads(text[start:])
            return int(body.get("code")), str(body.get("msg"))
    message = text.split(" ", 1)[1] if " " in text else text
    return _CODE_OF_MESSAGE.get(message), message


class InvalidCexConfig(TerminalVenueError):
    """A CEX venue configuration that cannot work; `field` names what was wrong."""

    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")
