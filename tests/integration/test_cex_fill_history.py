"""CexVenue's fill history against simex, in both dialects: a restart resumes after the last
trade read (cursors kept in a file) instead of reading the whole history again, and fills that
arrive while `start()` connects, before anyone listens, are handed over once `on_fill` is set.
"""

from __future__ import annotations

import time
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from connectors.cex import CexVenue, CexVenueConfig
from connectors.orders import VenueFill
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, SimexServer
from connectors.simex.matching import NewOrder, OrderKind, OrderSide, Stp, Tif

pytestmark = pytest.mark.integration
CHUNKS, PER_CHUNK = 12, 100  # 1200 trades of ours: more than one page in either dialect


def config(simex: SimexServer, dialect: str, **overrides: Any) -> CexVenueConfig:
    return CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET, urls=simex.ccxt_urls(),
                          symbols=("WETH/USDC",), dialect=dialect, streams=False,
                          fill_poll_s=60.0, request_timeout_s=2.0, **overrides)


def sweep(simex: SimexServer, makers: int, tag: str, seconds_ago: int = 0) -> None:
    """`makers` asks of 0.01 WETH, then one market buy of ours taking them all: `makers`
    trades of one order, printed `seconds_ago` seconds back on simex's clock."""
    simex.clock_offset_ms = -seconds_ago * 1000
    try:
        for i in range(makers):
            _, out = simex.engine.new_order(NewOrder(
                "hist-maker", "WETHUSDC", OrderSide.SELL, OrderKind.LIMIT, Tif.GTC, D("0.01"),
                None, D(3000), f"{tag}-ask-{i}", Stp.NONE))
            simex.publish(out)
        _, out = simex.engine.new_order(NewOrder(
            DEFAULT_API_KEY, "WETHUSDC", OrderSide.BUY, OrderKind.MARKET, None,
            D("0.01") * makers, None, None, f"{tag}-buy", Stp.NONE))
        simex.publish(out)
    finally:
        simex.clock_offset_ms = 0


def ids(fills: list[VenueFill]) -> list[str]:
    """Trade ids in id order (ccxt orders one millisecond's trades by id as text), each as
    often as it was delivered."""
    return sorted((f.trade_id for f in fills), key=int)


def our_trade_ids(simex: SimexServer) -> list[str]:
    return [str(t.trade_id) for t in simex.engine.account_trades[DEFAULT_API_KEY]]


@pytest.mark.parametrize("dialect", ["binance", "ccxt"])
async def test_restart_with_saved_cursor_when_history_is_long_then_only_new_trades_are_read(
        simex: SimexServer, tmp_path: Path, dialect: str) -> None:
    simex.engine.add_account("hist-maker", "x", {"WETH": D(100)})
    for chunk in range(CHUNKS):  # each chunk in its own second, oldest first
        sweep(simex, PER_CHUNK, f"old{chunk}", seconds_ago=CHUNKS + 5 - chunk)
    history = our_trade_ids(simex)
    assert len(history) == CHUNKS * PER_CHUNK
    cursor_file = tmp_path / "cursors.json"

    async with CexVenue(config(simex, dialect, fill_cursor_path=str(cursor_file))) as first:
        await first.poll_fills()  # the start's own read may still be under way
        assert ids(first.fills) == history
        assert first.link.history_trades_read >= len(history)
        saved = first.fill_cursors
    assert saved["WETH/USDC"].trade_id == history[-1] and cursor_file.exists()

    sweep(simex, 3, "new")  # three more trades while the venue was down
    new = our_trade_ids(simex)[-3:]
    fills: list[VenueFill] = []
    restarted = CexVenue(config(simex, dialect, fill_cursor_path=str(cursor_file)))
    restarted.on_fill = fills.append
    async with restarted:
        assert restarted.fill_cursors["WETH/USDC"].trade_id == new[-1]
        assert ids(fills) == new  # nothing of the old history again
        # binance: fromId one past the cursor, 3 trades in one page; ccxt: from the cursor's
        # millisecond (inclusive), so that millisecond's trades are read and dropped as known
        assert restarted.link.history_requests == 1
        read = restarted.link.history_trades_read
        assert read == 3 if dialect == "binance" else 3 < read <= PER_CHUNK + 3


@pytest.mark.parametrize("dialect", ["binance", "ccxt"])
async def test_fills_read_during_start_when_no_handler_yet_then_delivered_on_attach(
        simex: SimexServer, dialect: str) -> None:
    simex.engine.add_account("hist-maker", "x", {"WETH": D(100)})
    sweep(simex, 4, "early")
    early = our_trade_ids(simex)
    venue = CexVenue(config(simex, dialect))
    async with venue:
        assert ids(venue.fills) == early  # read while starting...
        got: list[VenueFill] = []
        venue.on_fill = got.append  # ...handed over when someone listens, in order
        assert ids(got) == early
        sweep(simex, 1, "late")
        await venue.poll_fills()
        assert ids(got) == our_trade_ids(simex)  # each once, none lost
        assert all(f.client_order_id.startswith(("early", "late")) for f in got)


async def test_unknown_window_when_defaults_then_it_is_answer_or_recv_window_plus_a_query(
        simex: SimexServer) -> None:
    venue = CexVenue(config(simex, "binance", recv_window_ms=5000))
    try:
        # max(request timeout 2 s + 1, recvWindow 5 s + 1) + one query's timeout 2 s
        assert venue.unknown_window_ns == 8 * 10**9
    finally:
        await venue.exchange.close()
    assert time.time_ns() > 0
