"""Deribit's instruments under symbols the OMS can carry.

`connectors.cex.deribit.DeribitVenue` names markets as ccxt does (`BTC/USD:BTC-261227-100000-C`,
`BTC/USD:BTC`), which the OMS's BASE/QUOTE instruments and leg specs cannot hold (":" and "-").
`AliasedDeribitVenue` is the same venue, as both `Venue` and `ExecutionVenue`, under the
`DeribitSymbols` names (`BTC_27DEC26_100000_C/BTC`, `BTC_PERPETUAL/USD`): requests are
translated on the way in, reports and fills on the way out. Limit prices are put on the
instrument's (stepped) tick grid, towards the market by less than one tick, since the venue
refuses any other price and the remedy orders of a leg group are priced from quotes.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from connectors.cex.deribit import DeribitVenue
from connectors.orders import FillHandler, OrderRequest, VenueFill, VenueOrderReport
from connectors.venue import DepthCurve, Market, QtyBasis, Side, VenueKind, VenueQuote
from engine.model import Instrument, InstrumentKind
from engine.strategies._errors import InvalidStrategy
from engine.strategies._execution import DeribitSymbols
from engine.strategies._names import from_deribit_name


class AliasedDeribitVenue:
    """A DeribitVenue whose options and perpetuals are named by `DeribitSymbols`."""

    def __init__(self, inner: DeribitVenue) -> None:
        self.inner = inner
        self.symbols = DeribitSymbols()
        self._to_inner: dict[str, str] = {}
        self._handler: FillHandler | None = None
        self.refresh()

    def refresh(self) -> None:
        """Learn the aliases of the venue's listed contracts (after it started)."""
        for symbol, contract in self.inner.contracts().items():
            instrument: Instrument | None = None
            if contract.kind == "swap":
                instrument = Instrument(base=contract.underlying, quote="USD",
                                        kind=InstrumentKind.PERPETUAL)
            elif contract.kind == "option":
                try:
                    instrument = from_deribit_name(contract.instrument)
                except InvalidStrategy:
                    instrument = None
            if instrument is not None:
                self._to_inner[self.symbols.symbol(instrument)] = symbol
        self._to_alias = {v: k for k, v in self._to_inner.items()}

    def inner_symbol(self, symbol: str) -> str:
        found = self._to_inner.get(symbol)
        if found is None:
            raise InvalidStrategy("symbol", f"{symbol} is not listed on {self.name}")
        return found

    # ---- Venue ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def kind(self) -> VenueKind:
        return self.inner.kind

    def markets(self) -> tuple[Market, ...]:
        found = []
        for market in self.inner.markets():
            alias = self._to_alias.get(market.symbol)
            if alias is not None:
                base, _, quote = alias.partition("/")
                found.append(replace(market, symbol=alias, base=base, quote=quote))
        return tuple(found)

    async def quote(self, symbol: str, side: Side, qty: Decimal,
                    basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        answer = await self.inner.quote(self.inner_symbol(symbol), side, qty, basis)
        return replace(answer, symbol=symbol)

    async def depth(self, symbol: str, side: Side, max_base: Decimal,
                    points: int = 32) -> DepthCurve:
        answer = await self.inner.depth(self.inner_symbol(symbol), side, max_base, points)
        return replace(answer, symbol=symbol)

    # ---- ExecutionVenue -------------------------------------------------------------------

    @property
    def on_fill(self) -> FillHandler | None:
        return self._handler

    @on_fill.setter
    def on_fill(self, handler: FillHandler | None) -> None:
        self._handler = handler
        self.inner.on_fill = None if handler is None else self._deliver

    def _deliver(self, fill: VenueFill) -> None:
        if self._handler is not None:
            self._handler(replace(fill, symbol=self._to_alias.get(fill.symbol, fill.symbol)))

    def _report(self, report: VenueOrderReport) -> VenueOrderReport:
        return replace(report, symbol=self._to_alias.get(report.symbol, report.symbol))

    async def place(self, request: OrderRequest) -> VenueOrderReport:
        symbol = self.inner_symbol(request.symbol)
        price = request.limit_price
        if price is not None:
            price = self.inner.round_price(symbol, price, up=request.side is Side.BUY)
        return self._report(await self.inner.place(replace(request, symbol=symbol,
                                                           limit_price=price)))

    async def query(self, client_order_id: str, symbol: str) -> VenueOrderReport | None:
        answer = await self.inner.query(client_order_id, self.inner_symbol(symbol))
        return None if answer is None else self._report(answer)

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport:
        return self._report(await self.inner.cancel(client_order_id, self.inner_symbol(symbol)))

    async def poll_fills(self) -> int:
        return await self.inner.poll_fills()
