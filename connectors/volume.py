"""Where recent traded volume comes from: one small protocol every venue with a tape answers.

A VWAP schedule follows the market's volume shape; the shape is measured from what traded on
each venue of the symbol: a CEX's public trades, an AMM pool's Swap events (timestamped by
their blocks). The engine sums the prints of every venue of a symbol into buckets.

    VolumeFeed (Protocol)
        name
        recent_trades(symbol, since_ns, bar_ns) -> [TradePrint]   what traded from since_ns on

A print is `(ts_ns, base_qty)`: when it traded (UTC ns, the venue's own clock: exchange time
for a CEX, block time for a chain) and how much base changed hands, a positive Decimal.

`bar_ns` says how finely the caller will look: it sums prints in buckets of `bar_ns` from
`since_ns` on. A feed may then answer with bars instead of trades (a CEX's klines: one print
per bar, its volume stamped at its open), as long as each bar lies inside one of those
buckets: a bar length that divides `bar_ns` and an open aligned with `since_ns`. That keeps a
day's profile to a few requests where the trade list would take thousands.
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

    async def recent_trades(self, symbol: str, since_ns: int,
                            bar_ns: int | None = None) -> list[TradePrint]:
        """What traded in `symbol` at or after `since_ns`, oldest first (trades, or bars
        that fit the caller's `bar_ns` buckets)."""
        ...


def require_since(since_ns: int) -> int:
    """Refuse a start time that is not a non-negative int of UTC ns, naming the field. (A
    start in the future is allowed: a devnet's block clock may run ahead of ours.)"""
    if not isinstance(since_ns, int) or isinstance(since_ns, bool) or since_ns < 0:
        raise InvalidQuoteRequest("since_ns", f"must be a non-negative int of UTC ns, got "
                                              f"{since_ns!r}")
    return since_ns


# Binance's kline intervals that open on multiples of their length since the epoch (3d, 1w
# and 1M do not), longest first: the feed picks the longest that fits the caller's buckets.
KLINE_INTERVALS_MS: tuple[tuple[str, int], ...] = (
    ("1d", 86_400_000), ("12h", 43_200_000), ("8h", 28_800_000), ("6h", 21_600_000),
    ("4h", 14_400_000), ("2h", 7_200_000), ("1h", 3_600_000), ("30m", 1_800_000),
    ("15m", 900_000), ("5m", 300_000), ("3m", 180_000), ("1m", 60_000), ("1s", 1_000))


def bar_interval(since_ns: int, bar_ns: int | None,
                 offered: tuple[str, ...] | None = None) -> tuple[str, int] | None:
    """The longest kline interval (name, ms) whose bars fit buckets of `bar_ns` from
    `since_ns` (it divides both), among `offered` names if given; None: read trades."""
    if bar_ns is None or bar_ns % 1_000_000 or since_ns % 1_000_000:
        return None
    for name, length_ms in KLINE_INTERVALS_MS:
        if offered is not None and name not in offered:
            continue
        if (bar_ns // 1_000_000) % length_ms == 0 and (since_ns // 1_000_000) % length_ms == 0:
            return name, length_ms
    return None
