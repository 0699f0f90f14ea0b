"""The matching engine: price-time priority books, balances with locking, fees, STP.

Pure and synchronous: a command (`new_order`, `cancel_order`) changes state and returns what
happened as an `EngineOutput` (book level changes with update ids, public trades, execution
reports and touched accounts); the server turns that into HTTP answers and stream events.

Binance spot rules followed here:
- price-time priority; a taker trades at the maker's price;
- LIMIT GTC rests, IOC expires its remainder, FOK trades fully or expires untouched;
- MARKET by `quantity` or by `quoteOrderQty`; what the book cannot fill expires;
- LIMIT_MAKER that would take is rejected (-2010 "Order would immediately match and take.");
- a buy locks price * qty of quote (market buys: the estimated cost), a sell locks qty of base;
- commission is charged in the asset received, at the maker or taker rate;
- self-trade prevention: NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH; an order expired by
  STP ends EXPIRED_IN_MATCH.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from connectors.simex import errors as e
from connectors.simex.config import SimexConfig, SymbolConfig

ASSET_PLACES = Decimal("0.00000001")  # Binance shows every asset amount with 8 decimals


class OrderSide(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderKind(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    LIMIT_MAKER = "LIMIT_MAKER"


class Tif(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderState(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"

    @property
    def is_open(self) -> bool:
        return self in (OrderState.NEW, OrderState.PARTIALLY_FILLED)


class Stp(StrEnum):
    NONE = "NONE"
    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"
    EXPIRE_BOTH = "EXPIRE_BOTH"


def q8(value: Decimal) -> Decimal:
    return value.quantize(ASSET_PLACES, rounding=ROUND_DOWN)


@dataclass(slots=True)
class Balance:
    free: Decimal = Decimal(0)
    locked: Decimal = Decimal(0)


@dataclass
class Account:
    api_key: str
    secret: bytes
    balances: dict[str, Balance] = field(default_factory=dict)
    taker_fee: Decimal = Decimal("0.001")
    maker_fee: Decimal = Decimal("0.001")
    update_ms: int = 0

    def balance(self, asset: str) -> Balance:
        return self.balances.setdefault(asset, Balance())

    def __repr__(self) -> str:  # never show the secret
        return f"Account(api_key={self.api_key!r})"


@dataclass
class SimOrder:
    order_id: int
    client_order_id: str
    account: Account
    symbol: str
    side: OrderSide
    kind: OrderKind
    tif: Tif | None
    price: Decimal | None
    orig_qty: Decimal  # 0 for a market order by quoteOrderQty until it ends
    orig_quote_qty: Decimal
    stp: Stp
    time_ms: int
    update_ms: int
    executed_qty: Decimal = Decimal(0)
    cum_quote: Decimal = Decimal(0)
    state: OrderState = OrderState.NEW
    locked: Decimal = Decimal(0)  # still locked for this order, in the asset it spends
    on_book: bool = False

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty


@dataclass(frozen=True, slots=True)
class AccountTrade:
    """One account's side of one trade (what myTrades and executionReport show)."""

    trade_id: int
    order_id: int
    client_order_id: str
    symbol: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    is_buyer: bool
    is_maker: bool


@dataclass(frozen=True, slots=True)
class PublicTrade:
    trade_id: int
    symbol: str
    price: Decimal
    qty: Decimal
    time_ms: int
    buyer_is_maker: bool


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """An order's change as the user stream reports it: `execution` is Binance's `x` field."""

    order: SimOrderView
    execution: str  # NEW, TRADE, CANCELED, EXPIRED, TRADE_PREVENTION, REJECTED
    trade: AccountTrade | None
    time_ms: int


@dataclass(frozen=True, slots=True)
class SimOrderView:
    """A frozen copy of an order at one moment (reports must not change afterwards)."""

    order_id: int
    client_order_id: str
    api_key: str
    symbol: str
    side: OrderSide
    kind: OrderKind
    tif: Tif | None
    price: Decimal | None
    orig_qty: Decimal
    orig_quote_qty: Decimal
    executed_qty: Decimal
    cum_quote: Decimal
    state: OrderState
    stp: Stp
    time_ms: int
    update_ms: int
    on_book: bool

    @staticmethod
    def of(order: SimOrder) -> SimOrderView:
        return SimOrderView(
            order.order_id, order.client_order_id, order.account.api_key, order.symbol,
            order.side, order.kind, order.tif, order.price, order.orig_qty,
            order.orig_quote_qty, order.executed_qty, order.cum_quote, order.state, order.stp,
            order.time_ms, order.update_ms, order.on_book)


@dataclass
class EngineOutput:
    """What one command did: level changes per symbol (update ids first..last), trades,
    reports, the accounts whose balances changed."""

    depth: dict[str, tuple[int, int, dict[tuple[OrderSide, Decimal], Decimal]]] = field(
        default_factory=dict)
    trades: list[PublicTrade] = field(default_factory=list)
    reports: list[ExecutionReport] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    fills: list[AccountTrade] = field(default_factory=list)  # the taker's, for FULL answers


class SymbolBook:
    """One symbol's book: price levels of FIFO queues, and its last update id."""

    def __init__(self, spec: SymbolConfig) -> None:
        self.spec = spec
        self.symbol = spec.venue_symbol
        self.bids: dict[Decimal, deque[SimOrder]] = {}
        self.asks: dict[Decimal, deque[SimOrder]] = {}
        self.bid_prices: list[Decimal] = []  # ascending; best bid is last
        self.ask_prices: list[Decimal] = []  # ascending; best ask is first
        self.last_update_id = 1
        self.pending: dict[tuple[OrderSide, Decimal], Decimal] = {}

    def level_qty(self, side: OrderSide, price: Decimal) -> Decimal:
        levels = self.bids if side is OrderSide.BUY else self.asks
        return sum((o.remaining for o in levels.get(price, ())), Decimal(0))

    def _touch(self, side: OrderSide, price: Decimal) -> None:
        self.pending[(side, price)] = Decimal(0)

    def add(self, order: SimOrder) -> None:
        assert order.price is not None
        levels, prices = self._side(order.side)
        if order.price not in levels:
            levels[order.price] = deque()
            bisect.insort(prices, order.price)
        levels[order.price].append(order)
        order.on_book = True
        self._touch(order.side, order.price)

    def remove(self, order: SimOrder) -> None:
        assert order.price is not None
        levels, prices = self._side(order.side)
        queue = levels.get(order.price)
        if queue is not None and order in queue:
            queue.remove(order)
            if not queue:
                del levels[order.price]
                prices.pop(bisect.bisect_left(prices, order.price))
        order.on_book = False
        self._touch(order.side, order.price)

    def _side(self, side: OrderSide) -> tuple[dict[Decimal, deque[SimOrder]], list[Decimal]]:
        return (self.bids, self.bid_prices) if side is OrderSide.BUY else (
            self.asks, self.ask_prices)

    def opposite_levels(self, taker: OrderSide) -> Iterator[tuple[Decimal, deque[SimOrder]]]:
        """Levels a taker on `taker` side meets, best first (a snapshot of the price list)."""
        if taker is OrderSide.BUY:
            for price in list(self.ask_prices):
                if price in self.asks:
                    yield price, self.asks[price]
        else:
            for price in reversed(list(self.bid_prices)):
                if price in self.bids:
                    yield price, self.bids[price]

    def best(self, side: OrderSide) -> Decimal | None:
        prices = self.bid_prices if side is OrderSide.BUY else self.ask_prices
        if not prices:
            return None
        return prices[-1] if side is OrderSide.BUY else prices[0]

    def snapshot(self, limit: int) -> tuple[list[tuple[Decimal, Decimal]],
                                            list[tuple[Decimal, Decimal]]]:
        bids = [(p, self.level_qty(OrderSide.BUY, p)) for p in reversed(self.bid_prices[-limit:])]
        asks = [(p, self.level_qty(OrderSide.SELL, p)) for p in self.ask_prices[:limit]]
        return bids, asks

    def flush(self) -> tuple[int, int, dict[tuple[OrderSide, Decimal], Decimal]] | None:
        """The pending level changes as one diff event (U, u, {level: new qty}), or None."""
        if not self.pending:
            return None
        changes = {key: self.level_qty(*key) for key in self.pending}
        self.pending = {}
        first = self.last_update_id + 1
        self.last_update_id += len(changes)
        return first, self.last_update_id, changes


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A validated order request (the server parses and checks parameters first)."""

    api_key: str
    symbol: str
    side: OrderSide
    kind: OrderKind
    tif: Tif | None
    qty: Decimal | None
    quote_qty: Decimal | None
    price: Decimal | None
    client_order_id: str
    stp: Stp


class MatchingEngine:
    """All books and accounts of one simex instance."""

    def __init__(self, config: SimexConfig, clock_ms: Callable[[], int]) -> None:
        self.config = config
        self.clock_ms = clock_ms
        self.books = {s.venue_symbol: SymbolBook(s) for s in config.symbols}
        self.accounts: dict[str, Account] = {}
        self.orders: dict[int, SimOrder] = {}
        self.by_client_id: dict[tuple[str, str, str], SimOrder] = {}
        self.account_trades: dict[str, list[AccountTrade]] = {}
        self.public_trades: dict[str, deque[PublicTrade]] = {
            s: deque(maxlen=1000) for s in self.books}
        self._next_order_id = 1
        self._next_trade_id = 1
        for account in config.accounts:
            self.add_account(account.api_key, account.api_secret.get_secret_value(),
                             account.balances)

    def now(self) -> int:
        return self.clock_ms()

    def add_account(self, api_key: str, secret: str, balances: dict[str, Decimal]) -> Account:
        account = Account(api_key, secret.encode(), taker_fee=self.config.taker_fee,
                          maker_fee=self.config.maker_fee, update_ms=self.now())
        for asset, amount in balances.items():
            account.balance(asset).free = Decimal(amount)
        self.accounts[api_key] = account
        self.account_trades[api_key] = []
        return account

    # ---- commands -------------------------------------------------------------------------

    def new_order(self, request: NewOrder) -> tuple[SimOrderView, EngineOutput]:
        """Accept, match and (for GTC) rest an order; raise BinanceApiError on rejection."""
        account = self.accounts[request.api_key]
        book = self.books.get(request.symbol)
        if book is None:
            raise e.bad_symbol()
        key = (request.api_key, request.symbol, request.client_order_id)
        existing = self.by_client_id.get(key)
        if existing is not None and existing.state.is_open:
            raise e.order_rejected(e.DUPLICATE_ORDER)
        self._check_filters(book.spec, request)
        now = self.now()
        order = SimOrder(
            self._next_order_id, request.client_order_id, account, request.symbol, request.side,
            request.kind, request.tif, request.price, request.qty or Decimal(0),
            request.quote_qty or Decimal(0), request.stp, now, now)
        if request.kind is OrderKind.LIMIT_MAKER and self._would_take(book, order):
            raise e.order_rejected(e.WOULD_TAKE)
        self._lock(book, order)
        self._next_order_id += 1
        self.orders[order.order_id] = order
        self.by_client_id[key] = order
        out = EngineOutput()
        out.accounts[account.api_key] = account
        self._report(out, order, "NEW", None)
        if order.kind is OrderKind.LIMIT and order.tif is Tif.FOK and not self._fok_fills(
                book, order):
            self._end(out, order, OrderState.EXPIRED, "EXPIRED")
        else:
            spent_quote = self._match(book, order, out)
            if spent_quote and order.state.is_open:
                order.orig_qty = order.executed_qty  # a quote-sized market order spent it all
                order.state = OrderState.FILLED
                self._release(order)
                last = next(i for i in reversed(range(len(out.reports)))
                            if out.reports[i].order.order_id == order.order_id)
                report = out.reports[last]
                out.reports[last] = ExecutionReport(SimOrderView.of(order), report.execution,
                                                    report.trade, report.time_ms)
            if order.state.is_open:
                if order.kind is OrderKind.MARKET or order.tif in (Tif.IOC, Tif.FOK):
                    self._end(out, order, OrderState.EXPIRED, "EXPIRED")
                else:
                    book.add(order)
        self._flush(book, out)
        return SimOrderView.of(order), out

    def cancel_order(self, api_key: str, symbol: str, order_id: int | None,
                     client_order_id: str | None) -> tuple[SimOrderView, EngineOutput]:
        order = self.find(api_key, symbol, order_id, client_order_id)
        if order is None or not order.state.is_open:
            raise e.cancel_unknown()
        book = self.books[symbol]
        out = EngineOutput()
        book.remove(order)
        self._end(out, order, OrderState.CANCELED, "CANCELED")
        self._flush(book, out)
        return SimOrderView.of(order), out

    def find(self, api_key: str, symbol: str, order_id: int | None,
             client_order_id: str | None) -> SimOrder | None:
        if order_id is not None:
            order = self.orders.get(order_id)
            if order is None or order.account.api_key != api_key or order.symbol != symbol:
                return None
            return order
        if client_order_id is not None:
            return self.by_client_id.get((api_key, symbol, client_order_id))
        return None

    def open_orders(self, api_key: str, symbol: str | None) -> list[SimOrder]:
        return [o for o in self.orders.values() if o.account.api_key == api_key
                and o.state.is_open and (symbol is None or o.symbol == symbol)]

    # ---- checks and locking ---------------------------------------------------------------

    def _check_filters(self, spec: SymbolConfig, request: NewOrder) -> None:
        if request.price is not None and (request.price % spec.tick_size != 0):
            raise e.filter_failure("PRICE_FILTER")
        if request.qty is not None and (request.qty < spec.min_qty or request.qty > spec.max_qty
                                        or request.qty % spec.lot_size != 0):
            raise e.filter_failure(
                "MARKET_LOT_SIZE" if request.kind is OrderKind.MARKET and
                request.qty > spec.max_qty else "LOT_SIZE")
        notional = (request.quote_qty if request.quote_qty is not None
                    else (request.price or self._reference(spec)) * (request.qty or 0))
        if notional < spec.min_notional:
            raise e.filter_failure("NOTIONAL")

    def _reference(self, spec: SymbolConfig) -> Decimal:
        book = self.books[spec.venue_symbol]
        bid, ask = book.best(OrderSide.BUY), book.best(OrderSide.SELL)
        if bid is not None and ask is not None:
            return (bid + ask) / 2
        return ask or bid or spec.reference_price

    def _would_take(self, book: SymbolBook, order: SimOrder) -> bool:
        best = book.best(OrderSide.SELL if order.side is OrderSide.BUY else OrderSide.BUY)
        assert order.price is not None
        if best is None:
            return False
        return order.price >= best if order.side is OrderSide.BUY else order.price <= best

    def _market_buy_cost(self, book: SymbolBook, qty: Decimal) -> Decimal:
        cost, left = Decimal(0), qty
        for price, queue in book.opposite_levels(OrderSide.BUY):
            for maker in queue:
                take = min(left, maker.remaining)
                cost += take * price
                left -= take
                if left == 0:
                    return cost
        return cost

    def _lock(self, book: SymbolBook, order: SimOrder) -> None:
        spec = book.spec
        if order.side is OrderSide.SELL:
            asset, amount = spec.base, order.orig_qty
        elif order.kind is OrderKind.MARKET:
            asset = spec.quote
            amount = (order.orig_quote_qty if order.orig_quote_qty > 0
                      else self._market_buy_cost(book, order.orig_qty))
        else:
            assert order.price is not None
            asset, amount = spec.quote, order.price * order.orig_qty
        balance = order.account.balance(asset)
        if balance.free < amount:
            raise e.order_rejected(e.INSUFFICIENT_BALANCE)
        balance.free -= amount
        balance.locked += amount
        order.locked = amount

    def _release(self, order: SimOrder) -> None:
        spec = self.books[order.symbol].spec
        asset = spec.base if order.side is OrderSide.SELL else spec.quote
        balance = order.account.balance(asset)
        balance.locked -= order.locked
        balance.free += order.locked
        order.locked = Decimal(0)

    def _fok_fills(self, book: SymbolBook, order: SimOrder) -> bool:
        assert order.price is not None
        available = Decimal(0)
        for price, queue in book.opposite_levels(order.side):
            if (price > order.price if order.side is OrderSide.BUY else price < order.price):
                break
            available += sum((m.remaining for m in queue), Decimal(0))
            if available >= order.orig_qty:
                return True
        return False

    # ---- matching -------------------------------------------------------------------------

    def _crosses(self, taker: SimOrder, price: Decimal) -> bool:
        if taker.price is None or taker.kind is OrderKind.MARKET:
            return True
        return price <= taker.price if taker.side is OrderSide.BUY else price >= taker.price

    def _match(self, book: SymbolBook, taker: SimOrder, out: EngineOutput) -> bool:
        """Trade `taker` against the book; True when a quote-sized order spent its budget."""
        by_quote = taker.kind is OrderKind.MARKET and taker.orig_quote_qty > 0
        for price, queue in book.opposite_levels(taker.side):
            if not self._crosses(taker, price):
                return False
            for maker in list(queue):
                if maker.account is taker.account and taker.stp is not Stp.NONE:
                    if self._prevent(book, taker, maker, out):
                        return False
                    continue
                if by_quote:
                    left = taker.orig_quote_qty - taker.cum_quote
                    qty = min(maker.remaining, q_lot(left / price, book.spec.lot_size))
                    if qty <= 0:
                        return taker.executed_qty > 0
                else:
                    qty = min(maker.remaining, taker.remaining)
                self._trade(book, taker, maker, price, qty, out)
                if by_quote and taker.cum_quote >= taker.orig_quote_qty:
                    return True
                if not by_quote and taker.remaining == 0:
                    return False
        return False

    def _prevent(self, book: SymbolBook, taker: SimOrder, maker: SimOrder,
                 out: EngineOutput) -> bool:
        """Apply self-trade prevention; True when the taker is done."""
        if taker.stp in (Stp.EXPIRE_MAKER, Stp.EXPIRE_BOTH):
            book.remove(maker)
            self._end(out, maker, OrderState.EXPIRED_IN_MATCH, "TRADE_PREVENTION")
        if taker.stp in (Stp.EXPIRE_TAKER, Stp.EXPIRE_BOTH):
            self._end(out, taker, OrderState.EXPIRED_IN_MATCH, "TRADE_PREVENTION")
            return True
        return False

    def _trade(self, book: SymbolBook, taker: SimOrder, maker: SimOrder, price: Decimal,
               qty: Decimal, out: EngineOutput) -> None:
        spec, now = book.spec, self.now()
        trade_id = self._next_trade_id
        self._next_trade_id += 1
        notional = q8(price * qty)
        buyer = taker if taker.side is OrderSide.BUY else maker
        for order, fee_rate, is_maker in ((taker, taker.account.taker_fee, False),
                                          (maker, maker.account.maker_fee, True)):
            is_buyer = order is buyer
            spent_asset = spec.quote if is_buyer else spec.base
            spent = notional if is_buyer else qty
            got_asset, got = (spec.base, qty) if is_buyer else (spec.quote, notional)
            commission = q8(got * fee_rate)
            account = order.account
            account.balance(spent_asset).locked -= spent
            order.locked -= spent
            account.balance(got_asset).free += got - commission
            account.update_ms = now
            order.executed_qty += qty
            order.cum_quote += notional
            order.update_ms = now
            fill = AccountTrade(trade_id, order.order_id, order.client_order_id, order.symbol,
                                price, qty, notional, commission, got_asset, now, is_buyer,
                                is_maker)
            self.account_trades[account.api_key].append(fill)
            out.accounts[account.api_key] = account
            if order is taker:
                out.fills.append(fill)
            if order.orig_qty > 0 and order.remaining == 0:
                order.state = OrderState.FILLED
            else:
                order.state = OrderState.PARTIALLY_FILLED
            self._report(out, order, "TRADE", fill)
        public = PublicTrade(trade_id, book.symbol, price, qty, now, buyer is maker)
        self.public_trades[book.symbol].append(public)
        out.trades.append(public)
        book._touch(maker.side, price)
        if maker.remaining == 0:
            book.remove(maker)
            self._release(maker)
        if taker.state is OrderState.FILLED:
            self._release(taker)

    def _end(self, out: EngineOutput, order: SimOrder, state: OrderState,
             execution: str) -> None:
        if order.kind is OrderKind.MARKET and order.orig_quote_qty > 0:
            order.orig_qty = order.executed_qty  # as Binance shows a quote-sized market order
        order.state = state
        order.update_ms = self.now()
        self._release(order)
        out.accounts[order.account.api_key] = order.account
        self._report(out, order, execution, None)

    def _report(self, out: EngineOutput, order: SimOrder, execution: str,
                trade: AccountTrade | None) -> None:
        out.reports.append(ExecutionReport(SimOrderView.of(order), execution, trade,
                                           self.now()))

    def _flush(self, book: SymbolBook, out: EngineOutput) -> None:
        diff = book.flush()
        if diff is not None:
            out.depth[book.symbol] = diff


def q_lot(qty: Decimal, lot: Decimal) -> Decimal:
    """`qty` rounded down to a multiple of the lot size."""
    return (qty / lot).to_integral_value(rounding=ROUND_DOWN) * lot
