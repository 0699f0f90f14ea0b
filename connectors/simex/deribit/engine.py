"""The derivatives matching engine: orders, trades, positions, cash and margin per currency.

Pure and synchronous, like the spot engine: a command changes state and returns what changed
(`Changes`: order snapshots, account trades, public trades, book level changes); the server
answers and publishes from that. Deribit's rules followed here:

- price-time priority, a taker trades at the maker's price; limit orders rest
  (good_til_cancelled), immediate_or_cancel and market orders cancel what the book cannot
  fill, fill_or_kill trades fully or is cancelled untouched;
- order states open, filled, cancelled (rejected requests are refused with an error and
  never become orders); `label` is the client's own tag, as Deribit keeps it;
- an option trade moves its premium in the coin at once (buyer pays price x amount); fees
  0.0003 coin per contract capped at 12.5% of the premium;
- perpetuals and futures are inverse: amounts in USD, PnL in coin
  (size x (1 / entry - 1 / exit)), realised into the balance when a position shrinks; fees
  a rate of the coin notional;
- funding moves coin from perpetual longs to shorts (or back) at the damped premium rate;
- post-only orders that would take are rejected (11054), whether or not reject_post_only
  is set (Deribit would otherwise reprice them; documented simplification);
- a self-trade is allowed (Deribit's default rejects it with 10003 unless enabled).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable
from decimal import Decimal

from connectors.simex.deribit import errors as e
from connectors.simex.deribit.book import DerivBook
from connectors.simex.deribit.config import DeribitConfig
from connectors.simex.deribit.instruments import Instrument, list_instruments
from connectors.simex.deribit.margin import InstrumentMargin, instrument_margin
from connectors.simex.deribit.marks import MarkBoard
from connectors.simex.deribit.model import (
    Changes,
    DerivAccount,
    DerivOrder,
    OrderRequest,
    Position,
    PublicTrade,
    Summary,
    UserTrade,
    fill_position,
)

EIGHT_HOURS_MS = 8 * 3_600_000
_DAMPER = Decimal("0.0005")
_ZERO = Decimal(0)
_COIN = Decimal("0.0000000001")


class DerivativesEngine:
    """All books, accounts and positions of one Deribit-dialect simulator."""

    def __init__(self, config: DeribitConfig, clock_ms: Callable[[], int]) -> None:
        self.config, self.clock_ms = config, clock_ms
        self.start_ms = clock_ms()
        self.instruments = {i.name: i for i in list_instruments(config, self.start_ms)}
        self.marks = MarkBoard(config, self.start_ms, clock_ms)
        self.books = {name: DerivBook(name) for name in self.instruments}
        self.accounts: dict[str, DerivAccount] = {}
        self.orders: dict[str, DerivOrder] = {}  # every order, but the makers' closed ones
        # api key -> instrument -> open orders by id
        self._open: dict[str, dict[str, dict[str, DerivOrder]]] = {}
        self.user_trades: dict[str, list[UserTrade]] = {}
        self.public_trades: dict[str, deque[PublicTrade]] = {
            name: deque(maxlen=1000) for name in self.instruments}
        self._trade_seq: dict[str, int] = {}
        self.settled: dict[str, Decimal] = {}  # expired instrument -> delivery price
        self._next_order = 1
        self._next_trade = 1
        for account in config.accounts:
            self.add_account(account.api_key, account.api_secret.get_secret_value(),
                             account.balances)

    def add_account(self, api_key: str, secret: str, balances: dict[str, Decimal],
                    unlimited: bool = False) -> DerivAccount:
        account = DerivAccount(api_key, secret.encode(), unlimited=unlimited)
        for currency in self.config.currencies:
            account.cash[currency.currency] = Decimal(balances.get(currency.currency, 0))
        self.accounts[api_key] = account
        self.user_trades[api_key] = []
        self._open[api_key] = {}
        return account

    def instrument(self, name: str) -> Instrument:
        instrument = self.instruments.get(name)
        if instrument is None:
            raise e.instrument_not_found(name)
        return instrument

    def active(self, instrument: Instrument) -> bool:
        return instrument.name not in self.settled

    # ---- commands -------------------------------------------------------------------------

    def place(self, request: OrderRequest) -> tuple[DerivOrder, list[UserTrade], Changes]:
        """Accept, match and rest (or cancel the rest of) an order; DeribitApiError when the
        request is refused (nothing changes then)."""
        account = self.accounts[request.api_key]
        instrument = self.instrument(request.instrument)
        if not self.active(instrument):
            raise e.book_closed()
        book = self.books[instrument.name]
        amount = self._checked_amount(instrument, request.amount)
        price = request.price if request.order_type == "limit" else None
        if request.order_type == "limit":
            self._check_price(instrument, price)
        if request.reduce_only:
            amount = self._reducible(account, instrument, request.direction, amount)
        now = self.clock_ms()
        order = DerivOrder(self._order_id(instrument), account, instrument, request.direction,
                           request.order_type, request.time_in_force, price, amount,
                           request.label, request.post_only, request.reduce_only, now, now)
        if request.post_only and self._would_take(book, order):
            raise e.post_only_reject()
        if not account.unlimited and not request.reduce_only:
            self._check_margin(account, instrument, order)
        self._next_order += 1
        self.orders[order.order_id] = order
        changes = Changes()
        trades = self._execute(book, order, changes)
        self._flush(book, changes)
        return order, trades, changes

    def cancel(self, api_key: str, order_id: str, reason: str = "user_request"
               ) -> tuple[DerivOrder, Changes]:
        order = self.owned(api_key, order_id)
        if order.state != "open":
            raise e.not_open_order()
        changes = Changes()
        self._cancel(order, reason, changes)
        self._flush(self.books[order.instrument.name], changes)
        return order, changes

    def _cancel(self, order: DerivOrder, reason: str, changes: Changes) -> None:
        self.books[order.instrument.name].remove(order)
        self._end(order, "cancelled", reason, changes)

    def cancel_many(self, api_key: str, currency: str | None = None,
                    instrument: str | None = None, label: str | None = None
                    ) -> tuple[int, Changes]:
        changes, touched = Changes(), set()
        for order in self.open_orders(api_key, currency, instrument):
            if label is None or order.label == label:
                self._cancel(order, "user_request", changes)
                touched.add(order.instrument.name)
        for name in touched:
            self._flush(self.books[name], changes)
        return sum(1 for o in changes.orders if o.state == "cancelled"), changes

    def edit(self, api_key: str, order_id: str, amount: Decimal, price: Decimal | None
             ) -> tuple[DerivOrder, list[UserTrade], Changes]:
        """Deribit's edit: a new amount (total, filled part included) and price for an open
        order, which keeps its id; it may trade at once and loses its queue place."""
        order = self.owned(api_key, order_id)
        if order.state != "open":
            raise e.not_open_order()
        amount = self._checked_amount(order.instrument, amount)
        if amount <= order.filled:
            raise e.invalid_amount("must exceed the filled amount")
        if order.order_type == "limit":
            price = order.price if price is None else price
            self._check_price(order.instrument, price)
        book = self.books[order.instrument.name]
        edited = copy.copy(order)
        edited.amount, edited.price = amount, price
        if order.post_only and book.best("sell" if order.direction == "buy" else "buy") and \
                self._would_take(book, edited):
            raise e.post_only_reject()
        book.remove(order)
        if not order.account.unlimited and not order.reduce_only:
            try:
                self._check_margin(order.account, order.instrument, edited)
            except e.DeribitApiError:
                book.add(order)
                raise
        order.amount, order.price, order.replaced = amount, price, True
        order.updated_ms = self.clock_ms()
        changes = Changes()
        trades = self._execute(book, order, changes)
        self._flush(book, changes)
        return order, trades, changes

    def owned(self, api_key: str, order_id: str) -> DerivOrder:
        order = self.orders.get(order_id)
        if order is None or order.account.api_key != api_key:
            raise e.order_not_found()
        return order

    def open_orders(self, api_key: str, currency: str | None = None,
                    instrument: str | None = None) -> list[DerivOrder]:
        mine = self._open[api_key]
        books = [mine.get(instrument, {})] if instrument is not None else list(mine.values())
        return [o for orders in books for o in orders.values()
                if currency is None or o.instrument.currency == currency]

    # ---- delivery -----------------------------------------------------------------------

    def settle_expired(self) -> Changes:
        """Deliver every instrument past its expiry at the index (Deribit delivers at the
        30-minute TWAP of its index; the simulator takes the index at expiry): open orders
        are cancelled, options pay their intrinsic value in the coin (a call
        max(S - K, 0) / S per contract), futures realise size x (1 / entry - 1 / S)."""
        changes, now = Changes(), self.clock_ms()
        for instrument in self.instruments.values():
            if instrument.perpetual or instrument.expiry_ms > now or not self.active(
                    instrument):
                continue
            delivery = self.marks.index[instrument.currency]
            self.settled[instrument.name] = delivery
            for account in self.accounts.values():
                for order in self.open_orders(account.api_key, instrument=instrument.name):
                    self._cancel(order, "settlement", changes)
                position = account.positions.get(instrument.name)
                if position is not None and position.size:
                    self._deliver(account, position, delivery)
            self._flush(self.books[instrument.name], changes)
        return changes

    @staticmethod
    def _deliver(account: DerivAccount, position: Position, delivery: Decimal) -> None:
        instrument = position.instrument
        if instrument.is_option:
            assert instrument.strike is not None
            intrinsic = (delivery - instrument.strike if instrument.is_call
                         else instrument.strike - delivery)
            payoff = max(intrinsic, _ZERO) / delivery
            account.cash[instrument.currency] += (position.size * payoff).quantize(_COIN)
            pnl = (payoff - position.average_price) * position.size
        else:
            pnl = position.size * (1 / position.average_price - 1 / delivery)
            account.cash[instrument.currency] += pnl.quantize(_COIN)
        position.realized += pnl.quantize(_COIN)
        position.size, position.average_price = _ZERO, _ZERO

    # ---- funding ------------------------------------------------------------------------

    def funding_rate_8h(self, currency: str) -> Decimal:
        """Deribit's damped rate: max(0.05%, premium) + min(-0.05%, premium)."""
        premium = self.marks.perp_premium(currency)
        return max(_DAMPER, premium) + min(-_DAMPER, premium)

    def apply_funding(self, elapsed_ms: int) -> Changes:
        """Move `elapsed_ms` of funding between every perpetual position and the venue:
        size / index x rate x elapsed / 8h, longs pay a positive rate."""
        changes = Changes()
        fraction = Decimal(elapsed_ms) / EIGHT_HOURS_MS
        for account in self.accounts.values():
            for position in account.positions.values():
                instrument = position.instrument
                if not instrument.perpetual or position.size == 0:
                    continue
                index = self.marks.index[instrument.currency]
                rate = self.funding_rate_8h(instrument.currency)
                paid = (position.size / index * rate * fraction).quantize(_COIN)
                account.cash[instrument.currency] -= paid
                position.funding -= paid
                changes.funding.append((account.api_key, instrument.name, -paid))
        return changes

    # ---- accounts -----------------------------------------------------------------------

    def summary(self, account: DerivAccount, currency: str,
                extra: DerivOrder | None = None) -> Summary:
        """The account in one currency; `extra`: an order not yet placed, counted as open."""
        futures_upl = options_value = options_upl = _ZERO
        futures_realized = options_realized = delta = _ZERO
        initial = maintenance = _ZERO
        index = self.marks.index[currency]
        names = {n for n, p in account.positions.items()
                 if p.instrument.currency == currency}
        orders = self.open_orders(account.api_key, currency)
        if extra is not None:
            orders.append(extra)
        names |= {o.instrument.name for o in orders}
        for name in names:
            instrument = self.instruments[name]
            position = account.positions.get(name) or Position(instrument)
            mark = self.marks.mark(instrument)
            mine = [o for o in orders if o.instrument.name == name]
            margin = self._instrument_margin(instrument, position.size, mine, mark, index)
            initial += margin.initial
            maintenance += margin.maintenance
            if instrument.is_option:
                options_value += mark * position.size
                options_upl += (mark - position.average_price) * position.size
                options_realized += position.realized
                if position.size:
                    delta += Decimal(str(self.marks.option(instrument).value.delta)) * \
                        position.size
            else:
                futures_upl += self.upl(position, mark)
                futures_realized += position.realized
                delta += position.size / mark
        balance = account.cash.get(currency, _ZERO)
        margin_balance = balance + futures_upl
        return Summary(currency, balance, margin_balance + options_value, margin_balance,
                       initial, maintenance, margin_balance - initial, futures_upl,
                       options_value, options_upl, futures_realized, options_realized, delta)

    @staticmethod
    def upl(position: Position, mark: Decimal) -> Decimal:
        """Unrealised PnL in coin: options (mark - entry) x size, inverse futures
        size x (1 / entry - 1 / mark)."""
        if position.size == 0:
            return _ZERO
        if position.instrument.is_option:
            return (mark - position.average_price) * position.size
        return position.size * (1 / position.average_price - 1 / mark)

    def position_margin(self, account: DerivAccount, position: Position) -> InstrumentMargin:
        instrument = position.instrument
        mine = self.open_orders(account.api_key, instrument=instrument.name)
        return self._instrument_margin(instrument, position.size, mine,
                                       self.marks.mark(instrument),
                                       self.marks.index[instrument.currency])

    def _instrument_margin(self, instrument: Instrument, size: Decimal,
                           orders: list[DerivOrder], mark: Decimal,
                           index: Decimal) -> InstrumentMargin:
        buys = sum((o.remaining for o in orders if o.direction == "buy"), _ZERO)
        sells = sum((o.remaining for o in orders if o.direction == "sell"), _ZERO)
        buy_cost = sum((self._buy_cost(o) for o in orders if o.direction == "buy"), _ZERO)
        return instrument_margin(self.config.margin, instrument, size, buys, sells,
                                 buy_cost if instrument.is_option else _ZERO, mark, index)

    def _buy_cost(self, order: DerivOrder) -> Decimal:
        if order.price is not None:
            return order.price * order.remaining
        cost, left = _ZERO, order.remaining
        for price, queue in self.books[order.instrument.name].opposite("buy"):
            for maker in queue:
                take = min(left, maker.remaining)
                cost, left = cost + take * price, left - take
                if left == 0:
                    return cost
        return cost

    # ---- checks -------------------------------------------------------------------------

    def _order_id(self, instrument: Instrument) -> str:
        # Deribit numbers BTC orders plainly and prefixes other currencies' ("ETH-...")
        number = str(self._next_order)
        return number if instrument.currency == "BTC" else f"{instrument.currency}-{number}"

    @staticmethod
    def _checked_amount(instrument: Instrument, amount: Decimal) -> Decimal:
        if not amount.is_finite() or amount <= 0:
            raise e.invalid_amount("must be positive")
        if amount < instrument.min_amount:
            raise e.qty_too_low(f"{instrument.min_amount:f}")
        if amount % instrument.min_amount != 0:
            raise e.invalid_params("amount", f"must be a multiple of "
                                             f"{instrument.min_amount:f}")
        return amount

    @staticmethod
    def _check_price(instrument: Instrument, price: Decimal | None) -> None:
        if price is None:
            raise e.invalid_params("price", "required for a limit order")
        if not price.is_finite() or price <= 0:
            raise e.invalid_params("price", "must be positive")
        if not instrument.on_tick(price):
            raise e.price_wrong_tick(f"{instrument.tick_at(price):f}")

    def _reducible(self, account: DerivAccount, instrument: Instrument, direction: str,
                   amount: Decimal) -> Decimal:
        size = account.position(instrument).size
        open_size = -size if direction == "buy" else size
        if open_size <= 0:
            raise e.DeribitApiError(11030, "other_reject", {"reason": "reduce_only"})
        return min(amount, open_size)

    def _check_margin(self, account: DerivAccount, instrument: Instrument,
                      order: DerivOrder) -> None:
        after = self.summary(account, instrument.currency, extra=order)
        if after.available_funds < 0:
            raise e.not_enough_funds()

    @staticmethod
    def _would_take(book: DerivBook, order: DerivOrder) -> bool:
        best = book.best("sell" if order.direction == "buy" else "buy")
        if best is None or order.price is None:
            return order.price is None and best is not None
        return order.price >= best if order.direction == "buy" else order.price <= best

    # ---- matching -----------------------------------------------------------------------

    def _execute(self, book: DerivBook, order: DerivOrder,
                 changes: Changes) -> list[UserTrade]:
        taker_trades: list[UserTrade] = []
        if order.time_in_force == "fill_or_kill" and not self._fillable(book, order):
            self._end(order, "cancelled", "fill_or_kill", changes)
            return taker_trades
        for price, queue in book.opposite(order.direction):
            if order.price is not None and (
                    price > order.price if order.direction == "buy" else price < order.price):
                break
            for maker in list(queue):
                qty = min(maker.remaining, order.remaining)
                taker_trades.append(self._trade(book, order, maker, price, qty, changes))
                if order.remaining == 0:
                    break
            if order.remaining == 0:
                break
        if order.remaining == 0:
            self._end(order, "filled", "", changes)
        elif order.order_type == "market" or order.time_in_force != "good_til_cancelled":
            self._end(order, "cancelled", order.time_in_force if order.order_type == "limit"
                      else "market_order", changes)
        else:
            book.add(order)
            self._open[order.account.api_key].setdefault(order.instrument.name, {})[
                order.order_id] = order
            changes.orders.append(copy.copy(order))
        return taker_trades

    def _fillable(self, book: DerivBook, order: DerivOrder) -> bool:
        available = _ZERO
        for price, queue in book.opposite(order.direction):
            if order.price is not None and (
                    price > order.price if order.direction == "buy" else price < order.price):
                break
            available += sum((m.remaining for m in queue), _ZERO)
        return available >= order.amount

    def _trade(self, book: DerivBook, taker: DerivOrder, maker: DerivOrder, price: Decimal,
               qty: Decimal, changes: Changes) -> UserTrade:
        now = self.clock_ms()
        instrument = taker.instrument
        trade_id = str(self._next_trade)
        self._next_trade += 1
        seq = self._trade_seq.get(instrument.name, 0) + 1
        self._trade_seq[instrument.name] = seq
        index = self.marks.index[instrument.currency]
        mark = self.marks.mark(instrument)
        taker_trade = None
        for order, liquidity in ((maker, "M"), (taker, "T")):
            fee, pnl = self._settle(order, liquidity, price, qty)
            order.filled += qty
            order.filled_value += price * qty
            order.commission += fee
            order.profit_loss += pnl
            order.updated_ms = now
            if order.remaining == 0:
                order.state = "filled"
            trade = UserTrade(order.account.api_key, trade_id, seq, copy.copy(order), qty,
                              price, fee, liquidity, now, index, mark, pnl)
            self.user_trades[order.account.api_key].append(trade)
            changes.trades.append(trade)
            if order is maker:
                changes.orders.append(copy.copy(order))
            else:
                taker_trade = trade
        public = PublicTrade(trade_id, seq, instrument.name, taker.direction, qty, price, now,
                             index, mark)
        self.public_trades[instrument.name].append(public)
        changes.public.append(public)
        book.touch(maker.direction, price)
        if maker.remaining == 0:
            book.remove(maker)
            self._closed(maker)
        assert taker_trade is not None
        return taker_trade

    def _settle(self, order: DerivOrder, liquidity: str, price: Decimal,
                qty: Decimal) -> tuple[Decimal, Decimal]:
        """Move cash and the position for one side of a trade: (fee, realised PnL)."""
        account, instrument = order.account, order.instrument
        fees, currency = self.config.fees, instrument.currency
        sign = 1 if order.direction == "buy" else -1
        if instrument.is_option:
            premium = price * qty
            fee = min(fees.option_per_contract * qty, fees.option_premium_cap * premium)
            account.cash[currency] -= sign * premium
        else:
            rate = fees.future_maker if liquidity == "M" else fees.future_taker
            fee = (rate * qty / price).quantize(_COIN)
        position = account.position(instrument)
        pnl = fill_position(position, sign * qty, price, inverse=not instrument.is_option)
        position.realized += pnl
        if not instrument.is_option:
            account.cash[currency] += pnl  # futures PnL is cash when realised
        account.cash[currency] -= fee
        return fee, pnl

    def _end(self, order: DerivOrder, state: str, reason: str, changes: Changes) -> None:
        order.state, order.cancel_reason = state, reason
        order.updated_ms = self.clock_ms()
        changes.orders.append(copy.copy(order))
        self._closed(order)

    def _closed(self, order: DerivOrder) -> None:
        self._open[order.account.api_key].get(order.instrument.name, {}).pop(order.order_id,
                                                                             None)
        if order.account.unlimited:
            self.orders.pop(order.order_id, None)  # the makers' history is not kept
    def _flush(self, book: DerivBook, changes: Changes) -> None:
        diff = book.flush()
        if diff is not None:
            changes.books[book.instrument] = diff
