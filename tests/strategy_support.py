"""A synthetic BTC option board for strategy tests (engine.strategies' paper smile board),
the PaperVenues that trade it, and a fixed clock so expiries and Greeks are reproducible."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from engine.oms import PaperVenue
from engine.strategies import DeribitSymbols, Listing, StaticBoard
from engine.strategies._paper import board_venue, smile_board, smile_iv
from engine.strategies._paper import spot_venue as paper_spot

D = Decimal
NOW_NS = int(datetime(2026, 11, 25, 8, tzinfo=UTC).timestamp()) * 1_000_000_000
INDEX = D(100_000)
EXPIRIES = ("27DEC26", "29JAN27", "26MAR27")
STRIKES = tuple(D(k) for k in range(80_000, 120_001, 5_000))
ATM_VOL, SMILE = D("0.5"), D("0.8")
SPREAD, BOOK_SIZE = D("0.0010"), D(50)


def board(spread: Decimal = SPREAD) -> StaticBoard:
    return smile_board("BTC", INDEX, EXPIRIES, STRIKES, NOW_NS, ATM_VOL, SMILE, spread)


def iv_at(strike: Decimal) -> Decimal:
    return smile_iv(strike, INDEX, ATM_VOL, SMILE)


async def listing(b: StaticBoard | None = None) -> Listing:
    return Listing(await (b or board()).listing("BTC"), NOW_NS)


def option_venue(b: StaticBoard, name: str = "deribit", size: Decimal = BOOK_SIZE) -> PaperVenue:
    return board_venue(b, DeribitSymbols(), name, size)


def spot_venue(name: str = "binance", mid: Decimal = INDEX) -> PaperVenue:
    return paper_spot(name, "BTC/USDT", mid)
