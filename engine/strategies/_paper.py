"""A paper options venue: a board priced from a volatility smile, and PaperVenues that trade it.

For dry runs and tests where no Deribit venue runs: marks are Black-76 on a forward equal to
the index at iv(K) = atm_vol + smile x ln(K/F)^2, in coin as Deribit quotes coin-settled
options (USD premium / forward), with books `spread` either side of the mark on the tick.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.model import Money, OptionRight
from engine.oms import PaperVenue
from engine.strategies._board import OptionTicker, StaticBoard
from engine.strategies._errors import InvalidStrategy
from engine.strategies._execution import SymbolMap
from engine.strategies._names import format_expiry, option, parse_expiry
from risk.margin import black76_price

OPTION_TICK = Decimal("0.0001")
OPTION_LOT = Decimal("0.1")  # Deribit BTC options: 0.1 contract minimum and step
_MIN_MARK = Decimal("0.0005")


def smile_iv(strike: Decimal, forward: Decimal, atm_vol: Decimal, smile: Decimal) -> Decimal:
    """The smile's vol at `strike`, a fraction rounded to 6 places."""
    log_moneyness = math.log(float(strike / forward))
    return Decimal(repr(round(float(atm_vol) + float(smile) * log_moneyness**2, 6)))


def smile_ticker(underlying: str, expiry: str, strike: Decimal, right: OptionRight,
                 index: Decimal, now_ns: int, atm_vol: Decimal, smile: Decimal,
                 spread: Decimal) -> OptionTicker:
    """One option's mark, book and IV on the smile (forward = index)."""
    instrument = option(underlying, parse_expiry(expiry), strike, right)
    days = (parse_expiry(expiry) - now_ns) / 86_400e9
    iv = smile_iv(strike, index, atm_vol, smile)
    usd = float(black76_price(float(index), float(strike), days, float(iv),
                              right is OptionRight.CALL))
    mark = max((Decimal(repr(usd)) / index).quantize(OPTION_TICK), _MIN_MARK)
    bid = (mark - spread).quantize(OPTION_TICK, ROUND_FLOOR)
    ask = (mark + spread).quantize(OPTION_TICK, ROUND_CEILING)
    return OptionTicker(instrument, bid if bid > 0 else None, ask, mark, iv, index, index)


def smile_board(underlying: str, index: Decimal, expiries: Sequence[str],
                strikes: Sequence[Decimal], now_ns: int, atm_vol: Decimal = Decimal("0.5"),
                smile: Decimal = Decimal("0.8"),
                spread: Decimal = Decimal("0.0010")) -> StaticBoard:
    """Every call and put at every expiry and strike, priced on the smile."""
    return StaticBoard.of([smile_ticker(underlying, e, k, r, index, now_ns, atm_vol, smile,
                                        spread)
                           for e in expiries for k in strikes for r in OptionRight],
                          {underlying: index})


def board_venue(board: StaticBoard, symbols: SymbolMap, name: str = "deribit",
                size: Decimal = Decimal(50)) -> PaperVenue:
    """A PaperVenue with one book per listed option: `size` contracts at its bid and ask."""
    books = {}
    for t in board.tickers.values():
        asks = [(t.ask, size)] if t.ask is not None else []
        bids = [(t.bid, size)] if t.bid is not None else []
        books[symbols.symbol(t.instrument)] = (asks, bids)
    return PaperVenue(name, books, taker_fee=Decimal(0), lot_size=OPTION_LOT,
                      tick_size=OPTION_TICK)


def spot_venue(name: str, symbol: str, mid: Decimal, levels: int = 10,
               size: Decimal = Decimal(1)) -> PaperVenue:
    """A spot book around `mid`: `levels` levels of `size` a dollar apart on each side."""
    asks = [(mid + i, size) for i in range(1, levels + 1)]
    bids = [(mid - i, size) for i in range(1, levels + 1)]
    return PaperVenue(name, {symbol: (asks, bids)}, taker_fee=Decimal(0),
                      lot_size=Decimal("0.001"), tick_size=Decimal("0.01"))


class PaperHedgeConfig(BaseModel):
    """A spot venue in memory to hedge on: `symbol` around the index."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="binance", min_length=1)
    symbol: str = Field(default="BTC/USDT", pattern=r"^[A-Z0-9]{2,10}/[A-Z0-9]{2,10}$")
    levels: int = Field(default=10, ge=1, le=1000)
    level_size: Money = Field(default=Decimal(1), gt=0)


class PaperOptionsConfig(BaseModel):
    """A paper options venue: the smile board, its books, and the account's collateral.

    Every field has a default; a TOML file overrides any of them (unknown keys are refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="deribit", min_length=1)
    underlying: str = Field(default="BTC", pattern=r"^[A-Z0-9]{2,10}$")
    index: Money = Field(default=Decimal(100_000), gt=0)
    expiries: tuple[str, ...] | None = Field(default=None, min_length=1)  # None: Fridays
    strikes: tuple[Money, ...] = Field(
        default=tuple(Decimal(k) for k in range(80_000, 120_001, 5_000)), min_length=1)
    atm_vol: Money = Field(default=Decimal("0.5"), gt=0)
    smile: Money = Field(default=Decimal("0.8"), ge=0)
    spread: Money = Field(default=Decimal("0.0010"), ge=0)
    book_size: Money = Field(default=Decimal(50), gt=0)
    collateral: dict[str, Money] = Field(default_factory=lambda: {"BTC": Decimal(10),
                                                                  "USDT": Decimal(500_000)})
    hedge: PaperHedgeConfig = Field(default_factory=PaperHedgeConfig)

    def board(self, now_ns: int) -> StaticBoard:
        expiries = self.expiries or friday_expiries(now_ns)
        return smile_board(self.underlying, self.index, expiries, self.strikes, now_ns,
                           self.atm_vol, self.smile, self.spread)


def friday_expiries(now_ns: int, days: Sequence[int] = (7, 30, 90)) -> tuple[str, ...]:
    """The first Friday (08:00 UTC, Deribit's expiry time) at least each of `days` away."""
    start = datetime.fromtimestamp(now_ns // 1_000_000_000, UTC)
    found = []
    for ahead in days:
        day = (start + timedelta(days=ahead)).date()
        day += timedelta(days=(4 - day.weekday()) % 7)
        found.append(format_expiry(int(datetime(day.year, day.month, day.day, 8,
                                                tzinfo=UTC).timestamp()) * 1_000_000_000))
    return tuple(found)


def load_paper_config(path: Path) -> PaperOptionsConfig:
    """The paper venue in `path` (TOML); InvalidStrategy naming the field when it is wrong."""
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InvalidStrategy("venue", f"cannot read {path}: {error}") from error
    try:
        return PaperOptionsConfig.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidStrategy(f"venue.{'.'.join(str(p) for p in first['loc'])}",
                              first["msg"]) from error
