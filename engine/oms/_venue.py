"""The one protocol every execution venue implements for the OMS (CEX now, on-chain next).

It speaks the venue-neutral types of `connectors.orders`: the OMS sends an `OrderRequest` under
its own deterministic client order id and reads back `VenueOrderReport`s and `VenueFill`s.
`connectors.cex.CexVenue` satisfies it as it is; so does the in-memory `PaperVenue`.

    ExecutionVenue (Protocol)
        name
        on_fill                          set by the OMS: every fill, once per trade id
        place(request) -> report         UNKNOWN when the answer never came
        query(client_order_id, symbol)   the venue's state, None when it has no such order
        cancel(client_order_id, symbol)  by our id; the venue's refusal raises
        poll_fills()                     deliver (through on_fill) fills a stream missed

A venue that resolves an unanswered placement itself (`ResolvesUnknown`: the CEX connector)
states how long that can take; `check_request_timeout` refuses an OMS whose request timeout
would expire first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from connectors.orders import FillHandler, OrderRequest, VenueOrderReport
from engine.errors import InvalidValue


@runtime_checkable
class ExecutionVenue(Protocol):
    """Where orders go. Everything is keyed on our client order id."""

    on_fill: FillHandler | None

    @property
    def name(self) -> str: ...

    async def place(self, request: OrderRequest) -> VenueOrderReport: ...

    async def query(self, client_order_id: str, symbol: str) -> VenueOrderReport | None: ...

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport: ...

    async def poll_fills(self) -> int: ...


@runtime_checkable
class ResolvesUnknown(Protocol):
    """A venue that resolves an unanswered placement itself before it answers UNKNOWN (the
    CEX connector asks the venue by client id until the request can no longer execute).
    `unknown_window_ns` is the longest that can take."""

    @property
    def name(self) -> str: ...

    @property
    def unknown_window_ns(self) -> int: ...


class RequestTimeoutTooShort(InvalidValue):
    """The OMS would give up on a request while its venue is still resolving it: the OMS would
    then reconcile (and possibly resend) an order the connector may also be resending."""

    def __init__(self, venue: str, request_timeout_ns: int, unknown_window_ns: int) -> None:
        self.venue = venue
        self.request_timeout_ns = request_timeout_ns
        self.unknown_window_ns = unknown_window_ns
        super().__init__(
            "request_timeout_ns",
            f"the OMS request timeout ({request_timeout_ns / 1e9:g} s) must exceed the "
            f"UNKNOWN-resolution window of venue {venue} ({unknown_window_ns / 1e9:g} s: "
            "its request timeout, or recvWindow + 1 s, plus one query); raise "
            "OmsConfig.request_timeout_ns or lower the venue's request_timeout_s / "
            "recv_window_ms")


def check_request_timeout(request_timeout_ns: int, venues: Iterable[object]) -> None:
    """Refuse (RequestTimeoutTooShort, naming both values) an OMS request timeout that does
    not exceed every venue's UNKNOWN-resolution window; venues without one pass."""
    for venue in venues:
        if isinstance(venue, ResolvesUnknown) and \
                request_timeout_ns <= venue.unknown_window_ns:
            raise RequestTimeoutTooShort(venue.name, request_timeout_ns,
                                         venue.unknown_window_ns)
