"""simex's public trade tape as Binance serves it: aggTrades and klines over the prints simex
keeps (the last 1000 per symbol; an older window is answered from what is left, as a venue
with a short memory would).

Rules follow Binance's spot REST docs (market data endpoints):
- aggTrades: `fromId`, `startTime`, `endTime` (inclusive), `limit` (default 500, max 1000);
  none of the three: the most recent trades; `startTime` and `endTime` together at most one
  hour apart (ccxt's fetch_trades asks for exactly one hour after `since`). simex never
  merges prints, so each trade is its own aggregate.
- klines: `interval` from Binance's list (1s .. 1w), `startTime`/`endTime` on open times,
  `limit` (default 500, max 1000); every interval of the window is answered, an interval
  without trades as a zero-volume kline at the previous close. Row: open time, open, high,
  low, close, volume, close time, quote volume, trades, taker-buy base, taker-buy quote, "0".
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from connectors.simex import errors as e
from connectors.simex import wire
from connectors.simex.matching import PublicTrade

_HOUR_MS = 3_600_000
INTERVAL_MS = {
    "1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000,
    "30m": 1_800_000, "1h": _HOUR_MS, "2h": 2 * _HOUR_MS, "4h": 4 * _HOUR_MS,
    "6h": 6 * _HOUR_MS, "8h": 8 * _HOUR_MS, "12h": 12 * _HOUR_MS, "1d": 24 * _HOUR_MS,
    "3d": 72 * _HOUR_MS, "1w": 168 * _HOUR_MS,
}


def _int_param(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.lstrip("-").isdigit():
        raise e.BinanceApiError(400, -1100, f"Illegal characters found in parameter "
                                            f"'{name}'; legal range is '^-?[0-9]+$'.")
    return int(raw)


def _limit(params: dict[str, str]) -> int:
    limit = _int_param(params, "limit")
    if limit is None:
        return 500
    if limit <= 0:
        raise e.BinanceApiError(400, -1100, "Illegal characters found in parameter 'limit'.")
    return min(limit, 1000)


def agg_trades_json(trades: Iterable[PublicTrade], params: dict[str, str]) -> list[Any]:
    """GET /api/v3/aggTrades over `trades` (oldest first)."""
    from_id, start, end = (_int_param(params, k) for k in ("fromId", "startTime", "endTime"))
    if start is not None and end is not None and end - start > _HOUR_MS:
        raise e.BinanceApiError(400, -1127, "More than 1 hours between startTime and endTime.")
    limit = _limit(params)
    chosen = [t for t in trades
              if (from_id is None or t.trade_id >= from_id)
              and (start is None or t.time_ms >= start) and (end is None or t.time_ms <= end)]
    if from_id is None and start is None and end is None:
        chosen = chosen[-limit:]  # the most recent
    else:
        chosen = chosen[:limit]  # oldest first from where the caller asked
    return [{"a": t.trade_id, "p": wire.d8(t.price), "q": wire.d8(t.qty), "f": t.trade_id,
             "l": t.trade_id, "T": t.time_ms, "m": t.buyer_is_maker, "M": True}
            for t in chosen]


def klines_json(trades: Iterable[PublicTrade], params: dict[str, str],
                now_ms: int) -> list[list[Any]]:
    """GET /api/v3/klines over `trades` (oldest first)."""
    interval = params.get("interval") or ""
    if not interval:
        raise e.mandatory("interval")
    if interval not in INTERVAL_MS:
        raise e.BinanceApiError(400, -1120, "Invalid interval.")
    step = INTERVAL_MS[interval]
    start, end = _int_param(params, "startTime"), _int_param(params, "endTime")
    limit = _limit(params)
    last_open = ((end if end is not None else now_ms) // step) * step
    if start is None:
        first_open = last_open - (limit - 1) * step
    else:
        first_open = -(-start // step) * step  # the first interval opening at or after start
        last_open = min(last_open, first_open + (limit - 1) * step)
    tape = list(trades)
    close = next((t.price for t in reversed(tape) if t.time_ms < first_open), None)
    rows = []
    for open_ms in range(first_open, last_open + 1, step):
        inside = [t for t in tape if open_ms <= t.time_ms < open_ms + step]
        rows.append(_kline(open_ms, step, inside, close))
        close = inside[-1].price if inside else close
    return rows


def _kline(open_ms: int, step: int, inside: list[PublicTrade],
           previous_close: Decimal | None) -> list[Any]:
    prices = [t.price for t in inside]
    flat = previous_close if previous_close is not None else Decimal(0)
    taker_buys = [t for t in inside if not t.buyer_is_maker]
    return [
        open_ms, wire.d8(prices[0] if prices else flat), wire.d8(max(prices, default=flat)),
        wire.d8(min(prices, default=flat)), wire.d8(prices[-1] if prices else flat),
        wire.d8(sum((t.qty for t in inside), Decimal(0))), open_ms + step - 1,
        wire.d8(sum((t.qty * t.price for t in inside), Decimal(0))), len(inside),
        wire.d8(sum((t.qty for t in taker_buys), Decimal(0))),
        wire.d8(sum((t.qty * t.price for t in taker_buys), Decimal(0))), "0",
    ]
