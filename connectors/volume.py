"""Where recent traded volume comes from: one small protocol every venue with a tape answers.

A VWAP schedule follows the market's volume shape; the shape is measured from what traded on
each venue of the symbol: a CEX's public trades, an AMM pool's Swap events (timestamped by
their blocks). The engine sums the prints of every venue of a symbol into buckets.

    VolumeFeed (Protocol)
        name
        recent_trades(symbol, since_ns) -> [TradePrint]   everything traded from since_ns on

A print is `(ts_ns, base_qty)`: when it traded (UTC ns, the venue's own clock: exchange time
for a CEX, block time for a chain) and how much base changed hands, a positive Decimal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

from connectors.errors import InvalidQuoteRequest

TradePrint = tuple[int, Decimal]


@runtime_checkable
class VolumeFeed(Protocol):
    """A venue that can say what traded on it recently."""

    @property
    def name(self) -> str: ...

    async def recent_trades(self, symbol: str, since_ns: int) -> list[TradePrint]:
        """Every trade of `symbol` at or after `since_ns`, oldest first."""
        ...


def require_since(since_ns: int) -> int:
    """Refuse a start time that is not a non-negative int of UTC ns, naming the field. (A
    start in the future is allowed: a devnet's block clock may run ahead of ours.)"""
    if not isinstance(since_ns, int) or isinstance(since_ns, bool) or since_ns < 0:
        raise InvalidQuoteRequest("since_ns", f"must be a non-negative int of UTC ns, got "
                                              f"{since_ns!r}")
    return since_ns
