"""CEX benchmarks: local book updates applied per second, and our order path's overhead.

Book: the diff events simex's makers produce for WETH/USDC (requoting a 20-level ladder), as
JSON text, applied to our `LocalOrderBook` (parse, Decimal levels, update-id checks) vs to
ccxt.pro's own `OrderBook` the way its binance handler stores deltas (floats, no checks), in
the same run on the same events.

Order path: the same resting limit order placed through `CexVenue.place` (weight budget,
UNKNOWN handling, report mapping; its book and user streams running) vs a bare
`ccxt.binance.create_order`, against one in-process simex on loopback, interleaved so both see
the same server state. Median and p99 of each, and our overhead over bare.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async
from ccxt.async_support.base.ws.order_book import OrderBook

from connectors.cex import CexVenue, CexVenueConfig, DepthDiff, LocalOrderBook
from connectors.orders import OrderKind, OrderRequest
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    MakerConfig,
    SimexConfig,
    SimexServer,
)
from connectors.simex.makers import SymbolMaker
from connectors.simex.matching import EngineOutput
from connectors.simex.wire import depth_event
from connectors.venue import Side

_ROUNDS = 300
_REQUOTES = 150


class _Recorder:
    """Stands in for a server: makers publish into it, it keeps the diff events as JSON."""

    def __init__(self, server: SimexServer) -> None:
        self.engine, self.config, self.price_source = server.engine, server.config, None
        self.events: list[str] = []

    def publish(self, out: EngineOutput) -> None:
        for symbol, (first, last, changes) in out.depth.items():
            self.events.append(json.dumps(depth_event(symbol, first, last, changes, 0)))


def _book_events() -> tuple[list[str], Any]:
    server = SimexServer(SimexConfig(makers=MakerConfig(enabled=False, levels=20)))
    recorder = _Recorder(server)
    account = server.engine.add_account("bench-maker", "x", {})
    import random
    maker = SymbolMaker(recorder, server.config.symbols[0], account,  # type: ignore[arg-type]
                        random.Random(1))
    maker.requote()
    book = server.engine.books["WETHUSDC"]
    bids, asks = book.snapshot(5000)
    snapshot = (book.last_update_id, bids, asks)
    recorder.events.clear()
    for _ in range(_REQUOTES):
        maker.requote()
    return recorder.events, snapshot


def _book_rates() -> tuple[float, float]:
    events, (last_id, bids, asks) = _book_events()
    ours = LocalOrderBook("WETH/USDC")
    ours.on_snapshot(last_id, bids, asks)
    started = time.perf_counter()
    for text in events:
        ours.on_diff(DepthDiff.from_binance(json.loads(text)))
    ours_rate = len(events) / (time.perf_counter() - started)
    assert ours.updates_applied == len(events)

    theirs = OrderBook({"bids": [[float(p), float(q)] for p, q in bids],
                        "asks": [[float(p), float(q)] for p, q in asks], "nonce": last_id})
    started = time.perf_counter()
    for text in events:
        event = json.loads(text)
        for price, qty in event["b"]:
            theirs["bids"].store(float(price), float(qty))
        for price, qty in event["a"]:
            theirs["asks"].store(float(price), float(qty))
        theirs["nonce"] = event["u"]
    theirs_rate = len(events) / (time.perf_counter() - started)
    return ours_rate, theirs_rate


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _order_paths() -> tuple[list[float], list[float]]:
    config = SimexConfig(makers=MakerConfig(enabled=False))
    async with SimexServer(config) as server:
        bare = ccxt_async.binance({"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET,
                                   "enableRateLimit": False})
        bare.urls["api"] = {**bare.urls["api"], **server.ccxt_urls()}
        await bare.load_markets()
        venue = CexVenue(CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                        urls=server.ccxt_urls(), fill_poll_s=60))
        await venue.start()
        ours: list[float] = []
        theirs: list[float] = []
        try:
            for i in range(_ROUNDS + 20):  # the first 20 of each warm up
                started = time.perf_counter()
                await bare.create_order("WETH/USDC", "limit", "buy", 0.01, 1000,
                                        {"newClientOrderId": f"bare-{i}"})
                bare_s = time.perf_counter() - started
                started = time.perf_counter()
                await venue.place(OrderRequest(f"ours-{i}", "WETH/USDC", Side.BUY,
                                               OrderKind.LIMIT, Decimal("0.01"),
                                               Decimal(1000)))
                ours_s = time.perf_counter() - started
                if i >= 20:
                    theirs.append(bare_s)
                    ours.append(ours_s)
        finally:
            await venue.close()
            await bare.close()
    return ours, theirs


def run() -> list[dict[str, Any]]:
    ours_rate, ccxt_rate = _book_rates()
    ours, bare = asyncio.run(_order_paths())
    ours_med, bare_med = statistics.median(ours), statistics.median(bare)
    ours_p99, bare_p99 = _p99(ours), _p99(bare)
    return [
        {"name": "book_updates_applied_per_s", "value": ours_rate, "unit": "updates/s",
         "better": "higher", "baseline_name": "ccxt_pro_orderbook_store_per_s",
         "baseline_value": ccxt_rate},
        {"name": "order_place_median_s", "value": ours_med, "unit": "s", "better": "lower",
         "baseline_name": "bare_ccxt_create_order_median_s", "baseline_value": bare_med},
        {"name": "order_place_p99_s", "value": ours_p99, "unit": "s", "better": "lower",
         "baseline_name": "bare_ccxt_create_order_p99_s", "baseline_value": bare_p99},
        {"name": "order_path_overhead_median_s", "value": ours_med - bare_med, "unit": "s",
         "better": "lower"},
        {"name": "order_path_overhead_p99_s", "value": ours_p99 - bare_p99, "unit": "s",
         "better": "lower"},
    ]
