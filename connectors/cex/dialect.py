"""The seam between the CEX venue and one exchange API: what a dialect must do.

`CexVenue` holds one `ExchangeDialect` and never branches on which: the venue owns quoting,
the UNKNOWN-order resolution and the retry loop (retries reuse the client id); the dialect
owns the wire: markets and limits, books, orders by client id, balances and fills.

Implementations: `BinanceDialect` (Binance's own spot API: simex, Binance) and
`CcxtDialect` (ccxt's unified API: any ccxt exchange id).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, Protocol

from connectors.cex.link import CexLink
from connectors.cex.localbook import LocalOrderBook
from connectors.orders import OrderRequest, VenueBalance, VenueOrderReport
from connectors.venue import StateStamp
from connectors.volume import TradePrint


class ExchangeDialect(Protocol):
    link: CexLink  # client, pacing, books and fill ledger shared with the venue
    exchange: Any  # the ccxt client
    placement_weight: int  # budget weight of one placement

    async def prepare(self) -> None:
        """Learn rate limits, markets and fees into the link (books are created there)."""

    def background(self) -> list[Coroutine[Any, Any, None]]:
        """The loops that keep books and fills current; they set the link's ready events."""

    def stamp(self, book: LocalOrderBook) -> StateStamp:
        """When and at which sequence `book` was known to be the venue's state."""

    async def create(self, request: OrderRequest) -> VenueOrderReport:
        """Send one placement; ccxt errors propagate so the venue can classify them."""

    def rejection(self, error: Exception) -> str:
        """The venue's reason for refusing a placement, as text for the report."""

    async def query(self, client_order_id: str, symbol: str) -> VenueOrderReport | None:
        """Our order's state at the venue; None when it provably has no such order.
        Raises VenueUnavailable (no answer) or VenueRejected."""

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport:
        """Cancel by client id; raises VenueRejected (unknown or closed) or
        VenueUnavailable."""

    async def balances(self) -> dict[str, VenueBalance]: ...

    async def poll_fills(self) -> None:
        """Fetch our trades of every market over REST from the link's cursors on, deliver
        them to the link and advance its cursors."""

    async def recent_trades(self, symbol: str, since_ms: int,
                            bar_ns: int | None) -> list[TradePrint]:
        """The public tape of `symbol` from `since_ms` on: (venue time ns, base qty), as
        klines where an interval fits `bar_ns` (see `connectors.volume`)."""

    async def close(self) -> None:
        """Release what `background` opened (the client itself is closed by the venue)."""
