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
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from connectors.orders import FillHandler, OrderRequest, VenueOrderReport


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
