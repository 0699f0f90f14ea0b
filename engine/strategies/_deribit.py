"""The Deribit board: listing and tickers of a `DeribitVenue` (simex's dialect or Deribit) read
through the real ccxt.deribit client (`public/ticker`: best bid/ask, mark, mark IV in percent,
the expiry's underlying price, the index)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from connectors.cex.deribit import DeribitVenue
from connectors.cex.link import decimal_of
from engine.model import Instrument
from engine.strategies._board import OptionTicker
from engine.strategies._errors import InvalidStrategy, NotListed
from engine.strategies._names import deribit_name, from_deribit_name

_PERCENT = Decimal(100)


def _positive(value: Any) -> Decimal | None:
    if value is None:
        return None
    number = decimal_of(value)
    return number if number > 0 else None


class DeribitBoard:
    """`OptionBoard` over a started DeribitVenue."""

    def __init__(self, venue: DeribitVenue) -> None:
        self.venue = venue

    def _names(self) -> dict[str, str]:
        return {c.instrument: symbol for symbol, c in self.venue.contracts().items()}

    async def listing(self, underlying: str) -> tuple[Instrument, ...]:
        found = []
        for contract in self.venue.contracts().values():
            if contract.kind == "option" and contract.underlying == underlying:
                try:
                    found.append(from_deribit_name(contract.instrument))
                except InvalidStrategy:
                    continue
        return tuple(found)

    async def _raw(self, name: str) -> dict[str, Any]:
        dialect = self.venue.deribit
        answer = await dialect.link.call(1, dialect.exchange.public_get_ticker,
                                         {"instrument_name": name})
        result: dict[str, Any] = answer.get("result") or {}
        return result

    async def ticker(self, instrument: Instrument) -> OptionTicker:
        name = deribit_name(instrument)
        if name not in self._names():
            raise NotListed("instrument", f"{name} is not listed on {self.venue.name}")
        t = await self._raw(name)
        return OptionTicker(instrument, _positive(t.get("best_bid_price")),
                            _positive(t.get("best_ask_price")), decimal_of(t.get("mark_price")),
                            decimal_of(t.get("mark_iv")) / _PERCENT,
                            decimal_of(t.get("underlying_price")), decimal_of(t.get("index_price")))

    async def index_price(self, underlying: str) -> Decimal:
        t = await self._raw(f"{underlying}-PERPETUAL")
        return decimal_of(t.get("index_price"))


async def deribit_session(url: str, now_ns: int) -> NoReturn:
    """The CLI's Deribit URL mode is not wired yet (the venue, board and gate are: see
    tests/integration/test_strategy_deribit.py); refused by name until it is."""
    raise InvalidStrategy("venue", f"{url}: the CLI's Deribit URL mode is not wired yet; "
                                   "use --venue paper or a paper venue .toml")
