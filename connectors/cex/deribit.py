"""Deribit derivatives through the real `ccxt.deribit`: options, perpetuals and futures.

A dialect over ccxt's unified API (`CcxtDialect`) with what Deribit does differently:

- every derivatives market is listed (the unified dialect keeps spot only); a `Market`'s
  base and quote are ccxt's (BTC/USD for a coin-settled BTC contract) and its symbol the
  unified one, e.g. `BTC/USD:BTC-261227-100000-C`; amounts are ccxt's (coin for options,
  USD for perpetuals and futures), prices the venue's (coin for options, USD otherwise);
  `taker_fee` is the market's published rate as ccxt gives it (for options Deribit's
  0.0003 coin per contract, capped at 12.5% of the premium);
- our client order id travels in Deribit's `label`; ccxt's unified order has no client id
  for Deribit, so orders are found by label (`private/get_order_state_by_label`) and
  cancelled by the id found there; fills carry the label too;
- fills are polled per currency (`get_user_trades_by_currency_and_time`), not per market;
- positions and the per-currency account (equity, margin, available funds) are read too.

`DeribitVenue` is `CexVenue` speaking this dialect; everything else (quotes from the local
book, UNKNOWN resolution, retries with the same client id, fill dedup) is CexVenue's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from connectors.cex.config import CexVenueConfig
from connectors.cex.errors import InvalidCexConfig, VenueRejected
from connectors.cex.link import CexLink, decimal_of
from connectors.cex.unified import CcxtDialect, report_of
from connectors.cex.venue import CexVenue
from connectors.orders import (
    FillHandler,
    Liquidity,
    OrderKind,
    OrderRequest,
    VenueBalance,
    VenueFill,
    VenueOrderReport,
)
from connectors.venue import Market, Side, VenueKind

_TIF = {"gtc": "GTC", "ioc": "IOC", "fok": "FOK"}


@dataclass(frozen=True, slots=True)
class DerivativeContract:
    """What a derivatives market is, beyond its `Market` filters."""

    symbol: str  # ccxt's unified symbol
    instrument: str  # Deribit's name, e.g. BTC-27DEC26-100000-C
    kind: str  # option | future | swap
    underlying: str  # BTC
    settle: str  # the coin premiums, PnL and margin are in
    contract_size: Decimal  # option: coin per contract; future / swap: USD per contract
    expiry_ms: int | None  # None for a perpetual
    strike: Decimal | None
    option_type: str | None  # call | put
    tick_steps: tuple[tuple[Decimal, Decimal], ...]  # (above this price, this tick)

    def tick_at(self, price: Decimal, base_tick: Decimal) -> Decimal:
        """The tick a price must sit on (Deribit's options tick more coarsely when dear)."""
        tick = base_tick
        for above, step in self.tick_steps:
            if price >= above:
                tick = step
        return tick


@dataclass(frozen=True, slots=True)
class DerivativePosition:
    symbol: str
    size: Decimal  # signed, in the market's amount unit (negative: short)
    average_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal  # in the settlement coin
    realized_pnl: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    delta: Decimal  # in the coin


@dataclass(frozen=True, slots=True)
class DerivativesAccount:
    """One settlement currency's account at the venue, in that coin."""

    currency: str
    balance: Decimal
    equity: Decimal
    available_funds: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal


@dataclass(frozen=True, slots=True)
class InstrumentMark:
    """The venue's mark, index and (options) Greeks of one instrument."""

    symbol: str
    mark_price: Decimal
    index_price: Decimal
    underlying_price: Decimal | None
    mark_iv: Decimal | None  # percent, as Deribit gives it
    delta: Decimal | None
    gamma: Decimal | None
    vega: Decimal | None
    theta: Decimal | None


def _optional(value: Any) -> Decimal | None:
    return None if value is None else decimal_of(value)


class DeribitDialect(CcxtDialect):
    def __init__(self, link: CexLink) -> None:
        super().__init__(link)
        self.contracts: dict[str, DerivativeContract] = {}
        self._since_by_currency: dict[str, int] = {}

    async def prepare(self) -> None:
        raw = await self.link.call(1, self.exchange.load_markets)
        for symbol, market in raw.items():
            if market.get("contract") and market.get("active") is not False \
                    and self.link.wanted(symbol):
                self.link.add_market(self._market(symbol, market), str(market["id"]))
                self.contracts[symbol] = self._contract(symbol, market)

    def _market(self, symbol: str, market: dict[str, Any]) -> Market:
        plain = super()._market(symbol, market)
        return Market(venue=plain.venue, kind=VenueKind.CEX, symbol=symbol, base=plain.base,
                      quote=plain.quote, lot_size=plain.lot_size, tick_size=plain.tick_size,
                      min_qty=plain.min_qty, min_notional=Decimal(0),
                      taker_fee=plain.taker_fee)

    @staticmethod
    def _contract(symbol: str, market: dict[str, Any]) -> DerivativeContract:
        info = market.get("info") or {}
        steps = tuple((decimal_of(s["above_price"]), decimal_of(s["tick_size"]))
                      for s in info.get("tick_size_steps") or [])
        kind = "option" if market.get("option") else "swap" if market.get("swap") else "future"
        return DerivativeContract(
            symbol=symbol, instrument=str(market["id"]), kind=kind,
            underlying=str(market["base"]), settle=str(market["settle"]),
            contract_size=decimal_of(market.get("contractSize")),
            expiry_ms=None if market.get("swap") else market.get("expiry"),
            strike=_optional(market.get("strike")), option_type=market.get("optionType"),
            tick_steps=steps)

    # ---- orders by label -----------------------------------------------------------------

    async def create(self, request: OrderRequest) -> VenueOrderReport:
        params: dict[str, Any] = {"label": request.client_order_id}
        if request.kind is not OrderKind.MARKET:
            params["timeInForce"] = _TIF[request.time_in_force.value]
        if request.kind is OrderKind.LIMIT_MAKER:
            params["postOnly"] = True
        kind = "market" if request.kind is OrderKind.MARKET else "limit"
        price = str(request.limit_price) if request.limit_price is not None else None
        order = await self.exchange.create_order(request.symbol, kind, request.side.value,
                                                 str(request.qty), price, params)
        return self._remember(report_of(self.name, request.symbol, order,
                                        request.client_order_id))

    async def _by_label(self, client_order_id: str, symbol: str) -> list[dict[str, Any]]:
        """Our orders carrying `client_order_id` as label, oldest first (parsed by ccxt)."""
        contract = self.contracts[symbol]
        answer = await self.link.call(1, self.exchange.private_get_get_order_state_by_label,
                                      {"currency": contract.settle,
                                       "label": client_order_id})
        raw = [o for o in answer.get("result") or []
               if o.get("instrument_name") == contract.instrument]
        raw.sort(key=lambda o: int(o.get("creation_timestamp") or 0))
        return [self.exchange.parse_order(o) for o in raw]

    async def _order_by_client_id(self, client_order_id: str,
                                  symbol: str) -> dict[str, Any] | None:
        found = await self._by_label(client_order_id, symbol)
        return found[-1] if found else None

    async def _cancel(self, client_order_id: str, symbol: str) -> dict[str, Any]:
        found = await self._by_label(client_order_id, symbol)
        open_orders = [o for o in found if o.get("status") == "open"]
        target = open_orders[-1] if open_orders else (found[-1] if found else None)
        if target is None:
            raise ccxt_async.OrderNotFound(f"{self.name}: no order labelled "
                                           f"{client_order_id}")
        cancelled: dict[str, Any] = await self.link.call(1, self.exchange.cancel_order,
                                                         target["id"], symbol)
        return cancelled

    # ---- fills --------------------------------------------------------------------------

    async def poll_fills(self) -> None:
        """Trades per settlement currency since the last one seen (inclusive: the link
        drops a trade delivered twice)."""
        page = 500
        for currency in sorted({c.settle for c in self.contracts.values()}):
            while True:
                since = self._since_by_currency.get(currency)
                trades = await self.link.call(1, self.exchange.fetch_my_trades, None, since,
                                              page, {"code": currency})
                for trade in trades:
                    await self._take(trade)
                stamps = [int(t["timestamp"]) for t in trades if t.get("timestamp")]
                if stamps:
                    self._since_by_currency[currency] = max([*stamps, since or 0])
                if len(trades) < page or self._since_by_currency.get(currency) == since:
                    break

    async def _take(self, trade: dict[str, Any]) -> None:
        symbol = trade.get("symbol")
        if symbol not in self.link.markets or (symbol, str(trade["id"])) in \
                self.link.seen_trades:
            return
        info = trade.get("info") or {}
        fee = trade.get("fee") or {}
        order_id = str(trade.get("order") or "")
        client_id = str(info.get("label") or self.client_ids.get(order_id, ""))
        self.link.deliver(VenueFill(
            self.name, client_id, order_id, str(trade["id"]), symbol, Side(trade["side"]),
            decimal_of(trade.get("amount")), decimal_of(trade.get("price")),
            decimal_of(fee.get("cost")), str(fee.get("currency") or ""),
            Liquidity.MAKER if trade.get("takerOrMaker") == "maker" else Liquidity.TAKER,
            int(trade.get("timestamp") or 0) * 1_000_000))

    # ---- account ------------------------------------------------------------------------

    async def balances(self) -> dict[str, VenueBalance]:
        """Per coin: free = available funds, locked = initial margin in use."""
        return {a.currency: VenueBalance(a.currency, a.available_funds,
                                         a.equity - a.available_funds)
                for a in await self.accounts()}

    async def accounts(self) -> list[DerivativesAccount]:
        answer = await self.link.call(1, self.exchange.private_get_get_account_summaries)
        return [DerivativesAccount(
            str(s["currency"]), decimal_of(s.get("balance")), decimal_of(s.get("equity")),
            decimal_of(s.get("available_funds")), decimal_of(s.get("initial_margin")),
            decimal_of(s.get("maintenance_margin")))
            for s in (answer.get("result") or {}).get("summaries") or []]

    async def positions(self) -> list[DerivativePosition]:
        raw = await self.link.call(1, self.exchange.private_get_get_positions, {})
        out = []
        for p in raw.get("result") or []:
            symbol = self.link.ids.get(str(p.get("instrument_name")))
            if symbol is None or not decimal_of(p.get("size")):
                continue
            out.append(DerivativePosition(
                symbol, decimal_of(p.get("size")), decimal_of(p.get("average_price")),
                decimal_of(p.get("mark_price")), decimal_of(p.get("floating_profit_loss")),
                decimal_of(p.get("realized_profit_loss")), decimal_of(p.get("initial_margin")),
                decimal_of(p.get("maintenance_margin")), decimal_of(p.get("delta"))))
        return out

    async def mark(self, symbol: str) -> InstrumentMark:
        contract = self.contracts[symbol]
        answer = await self.link.call(1, self.exchange.public_get_ticker,
                                      {"instrument_name": contract.instrument})
        t = answer.get("result") or {}
        greeks = t.get("greeks") or {}
        return InstrumentMark(
            symbol, decimal_of(t.get("mark_price")), decimal_of(t.get("index_price")),
            _optional(t.get("underlying_price")), _optional(t.get("mark_iv")),
            _optional(greeks.get("delta")), _optional(greeks.get("gamma")),
            _optional(greeks.get("vega")), _optional(greeks.get("theta")))


class DeribitVenue(CexVenue):
    """Deribit's options, perpetuals and futures as a Crossbook venue (ccxt.deribit)."""

    def __init__(self, config: CexVenueConfig, on_fill: FillHandler | None = None) -> None:
        if config.exchange_id != "deribit":
            raise InvalidCexConfig("exchange_id", "DeribitVenue speaks to 'deribit' only")
        super().__init__(config, on_fill)
        self.deribit = DeribitDialect(self.link)
        self.dialect = self.deribit

    def contracts(self) -> dict[str, DerivativeContract]:
        return dict(self.deribit.contracts)

    def contract(self, symbol: str) -> DerivativeContract:
        contract = self.deribit.contracts.get(symbol)
        if contract is None:
            raise VenueRejected(None, f"{symbol} is not listed on {self.name}", symbol)
        return contract

    def round_price(self, symbol: str, price: Decimal, up: bool) -> Decimal:
        """`price` onto the instrument's tick (Deribit's stepped option ticks included)."""
        tick = self.contract(symbol).tick_at(price, self.link.markets[symbol].tick_size)
        steps = (price / tick).to_integral_value(rounding="ROUND_CEILING" if up
                                                 else "ROUND_FLOOR")
        return steps * tick

    async def positions(self) -> list[DerivativePosition]:
        return await self.deribit.positions()

    async def accounts(self) -> list[DerivativesAccount]:
        return await self.deribit.accounts()

    async def mark(self, symbol: str) -> InstrumentMark:
        self.contract(symbol)
        return await self.deribit.mark(symbol)
