"""The JSON-RPC methods the simulator answers, by Deribit's names, and their parameters.

Parameters arrive as strings (HTTP GET, what ccxt sends) or JSON values (POST, WebSocket);
each is parsed once here and refused with -32602 naming it. Private methods need an
authenticated caller (13009 unauthorized otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from connectors.simex.deribit import errors as e
from connectors.simex.deribit import wire
from connectors.simex.deribit.instruments import Instrument
from connectors.simex.deribit.model import DerivAccount, DerivOrder, OrderRequest
from connectors.simex.deribit.streams import book_snapshot, notification

if TYPE_CHECKING:
    from connectors.simex.deribit.server import Caller, DeribitServer

Params = dict[str, Any]
Handler = Callable[[Params, "Caller"], Awaitable[Any]]
_TIFS = ("good_til_cancelled", "immediate_or_cancel", "fill_or_kill", "good_til_day")
_API_VERSION = "2.1.1"


def text(params: Params, name: str, required: bool = True) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise e.invalid_params(name, "value required")
        return None
    return str(value)


def need(params: Params, name: str) -> str:
    value = text(params, name)
    assert value is not None
    return value


def decimal(params: Params, name: str) -> Decimal | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise e.invalid_params(name, "must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise e.invalid_params(name, "must be a number") from None
    if not number.is_finite():
        raise e.invalid_params(name, "must be a finite number")
    return number


def flag(params: Params, name: str) -> bool:
    value = params.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if str(value).lower() in ("true", "1"):
        return True
    if str(value).lower() in ("false", "0", ""):
        return False
    raise e.invalid_params(name, "must be true or false")


def count(params: Params, name: str, default: int, maximum: int = 1000) -> int:
    value = decimal(params, name)
    if value is None:
        return default
    if value != value.to_integral_value() or not 1 <= value <= maximum:
        raise e.invalid_params(name, f"must be an integer in 1..{maximum}")
    return int(value)


class MethodTable:
    def __init__(self, server: DeribitServer) -> None:
        self.server = server
        self.engine = server.engine
        self.public: dict[str, Handler] = {
            "auth": self.auth, "get_time": self.get_time, "test": self.test,
            "status": self.status, "hello": self.hello, "get_currencies": self.get_currencies,
            "get_instruments": self.get_instruments, "get_instrument": self.get_instrument,
            "get_order_book": self.get_order_book, "ticker": self.ticker,
            "get_index_price": self.get_index_price, "get_index": self.get_index,
            "get_contract_size": self.get_contract_size,
            "get_book_summary_by_currency": self.get_book_summary_by_currency,
            "get_book_summary_by_instrument": self.get_book_summary_by_instrument,
            "get_funding_rate_value": self.get_funding_rate_value,
            "get_last_trades_by_instrument": self.get_last_trades,
            "get_last_trades_by_instrument_and_time": self.get_last_trades,
            "set_heartbeat": self.ok, "disable_heartbeat": self.ok,
            "subscribe": self.subscribe, "unsubscribe": self.unsubscribe,
            "unsubscribe_all": self.unsubscribe_all,
        }
        self.private: dict[str, Handler] = {
            "buy": self.buy, "sell": self.sell, "edit": self.edit, "cancel": self.cancel,
            "cancel_all": self.cancel_all, "cancel_all_by_currency": self.cancel_all,
            "cancel_all_by_instrument": self.cancel_all, "cancel_by_label": self.cancel_all,
            "get_open_orders": self.open_orders,
            "get_open_orders_by_currency": self.open_orders,
            "get_open_orders_by_instrument": self.open_orders,
            "get_open_orders_by_label": self.open_orders,
            "get_order_state": self.order_state,
            "get_order_state_by_label": self.order_state_by_label,
            "get_order_history_by_currency": self.order_history,
            "get_order_history_by_instrument": self.order_history,
            "get_user_trades_by_currency": self.user_trades,
            "get_user_trades_by_currency_and_time": self.user_trades,
            "get_user_trades_by_instrument": self.user_trades,
            "get_user_trades_by_instrument_and_time": self.user_trades,
            "get_user_trades_by_order": self.trades_by_order,
            "get_positions": self.positions, "get_position": self.position,
            "get_account_summary": self.account_summary,
            "get_account_summaries": self.account_summaries,
            "get_subaccounts": self.subaccounts,
            "subscribe": self.subscribe, "unsubscribe": self.unsubscribe,
            "unsubscribe_all": self.unsubscribe_all, "logout": self.logout,
        }

    async def call(self, method: str, params: Params, caller: Caller) -> Any:
        scope, _, name = method.partition("/")
        table = self.public if scope == "public" else self.private if scope == "private" \
            else None
        handler = None if table is None else table.get(name)
        if handler is None:
            raise e.method_not_found(method)
        if scope == "private" and caller.account is None:
            raise e.unauthorized("authorization_required")
        return await handler(params, caller)

    @staticmethod
    def me(caller: Caller) -> DerivAccount:
        assert caller.account is not None  # `call` refused the request otherwise
        return caller.account

    def currency(self, params: Params, required: bool = True) -> str | None:
        code = text(params, "currency", required)
        if code is None or code.lower() == "any":
            if required and code is None:
                raise e.invalid_params("currency", "value required")
            return None
        if self.server.config.currency(code.upper()) is None:
            raise e.invalid_params("currency", f"unknown currency: {code}")
        return code.upper()

    def instrument(self, params: Params) -> Instrument:
        return self.engine.instrument(need(params, "instrument_name"))

    # ---- public -------------------------------------------------------------------------

    async def ok(self, params: Params, caller: Caller) -> str:
        return "ok"

    async def get_time(self, params: Params, caller: Caller) -> int:
        return self.server.now_ms()

    async def test(self, params: Params, caller: Caller) -> dict[str, str]:
        return {"version": _API_VERSION}

    async def status(self, params: Params, caller: Caller) -> dict[str, Any]:
        return {"locked": "false", "locked_indices": []}

    async def hello(self, params: Params, caller: Caller) -> dict[str, str]:
        return {"version": _API_VERSION}

    async def auth(self, params: Params, caller: Caller) -> dict[str, Any]:
        grant = text(params, "grant_type")
        server = self.server
        if grant == "client_credentials":
            account = server.check_secret(need(params, "client_id"),
                                          need(params, "client_secret"))
        elif grant == "client_signature":
            timestamp, nonce = need(params, "timestamp"), text(params, "nonce", False) or ""
            data = text(params, "data", False) or ""
            account = server.check_signature(need(params, "client_id"),
                                             f"{timestamp}\n{nonce}\n{data}",
                                             need(params, "signature"), timestamp)
        elif grant == "refresh_token":
            api_key = server.refresh_tokens.pop(need(params, "refresh_token"), None)
            found = server.account_by_key(api_key) if api_key else None
            if found is None:
                raise e.unauthorized("invalid_refresh_token")
            account = found
        else:
            raise e.invalid_params("grant_type", "must be client_credentials, "
                                                 "client_signature or refresh_token")
        if caller.session is not None:
            caller.session.account = account  # the connection is now authenticated
        return server.issue_token(account)

    async def logout(self, params: Params, caller: Caller) -> str:
        if caller.session is not None:
            caller.session.account = None
        return "ok"

    async def get_currencies(self, params: Params, caller: Caller) -> list[dict[str, Any]]:
        return [{"currency": c.currency, "currency_long": c.currency_long or c.currency,
                 "coin_type": c.currency_long.upper() or c.currency, "min_confirmations": 1,
                 "min_withdrawal_fee": 0.0001, "withdrawal_fee": 0.0001,
                 "fee_precision": 4, "withdrawal_priorities": [], "apr": None}
                for c in self.server.config.currencies]

    def _listing(self) -> list[Instrument]:
        return list(self.engine.instruments.values())

    async def get_instruments(self, params: Params, caller: Caller) -> list[dict[str, Any]]:
        currency = self.currency(params, required=False)
        kind = text(params, "kind", False)
        if kind is not None and kind not in ("option", "future", "spot", "future_combo",
                                             "option_combo"):
            raise e.invalid_params("kind", f"unknown kind: {kind}")
        expired = flag(params, "expired")
        return [wire.instrument_json(self.engine, i, n + 1)
                for n, i in enumerate(self._listing())
                if (currency is None or i.currency == currency)
                and (kind is None or i.kind.value == kind)
                and self.engine.active(i) != expired]

    async def get_instrument(self, params: Params, caller: Caller) -> dict[str, Any]:
        instrument = self.instrument(params)
        return wire.instrument_json(self.engine, instrument,
                                    self._listing().index(instrument) + 1)

    async def get_contract_size(self, params: Params, caller: Caller) -> dict[str, Any]:
        return {"contract_size": wire.num(self.instrument(params).contract_size)}

    async def get_order_book(self, params: Params, caller: Caller) -> dict[str, Any]:
        instrument = self.instrument(params)
        depth = count(params, "depth", 20, 10_000)
        book = self.engine.books[instrument.name]
        bids, asks = book.snapshot(depth)
        body = wire.market_data(self.engine, instrument)
        body.update({"change_id": book.change_id,
                     "bids": [[wire.num(p), wire.num(a)] for p, a in bids],
                     "asks": [[wire.num(p), wire.num(a)] for p, a in asks]})
        return body

    async def ticker(self, params: Params, caller: Caller) -> dict[str, Any]:
        return wire.market_data(self.engine, self.instrument(params))

    async def get_index_price(self, params: Params, caller: Caller) -> dict[str, Any]:
        name = need(params, "index_name")
        code = name.split("_")[0].upper()
        if name != wire.index_name(code) or code not in self.engine.marks.index:
            raise e.invalid_params("index_name", f"unknown index: {name}")
        index = wire.num(self.engine.marks.index[code])
        return {"index_price": index, "estimated_delivery_price": index}

    async def get_index(self, params: Params, caller: Caller) -> dict[str, Any]:
        code = self.currency(params)
        assert code is not None
        index = wire.num(self.engine.marks.index[code])
        return {code: index, "edp": index}

    async def get_book_summary_by_currency(self, params: Params,
                                           caller: Caller) -> list[dict[str, Any]]:
        code = self.currency(params)
        kind = text(params, "kind", False)
        out = []
        for instrument in self._listing():
            if instrument.currency != code or (kind and instrument.kind.value != kind):
                continue
            out.append(self._book_summary(instrument))
        return out

    async def get_book_summary_by_instrument(self, params: Params,
                                             caller: Caller) -> list[dict[str, Any]]:
        return [self._book_summary(self.instrument(params))]

    def _book_summary(self, instrument: Instrument) -> dict[str, Any]:
        data = wire.market_data(self.engine, instrument)
        data.update({"bid_price": data["best_bid_price"], "ask_price": data["best_ask_price"],
                     "base_currency": instrument.currency, "quote_currency": "USD",
                     "creation_timestamp": data["timestamp"],
                     "volume": data["stats"]["volume"]})
        return data

    async def get_funding_rate_value(self, params: Params, caller: Caller) -> float | int:
        """The funding accrued over [start, end] at the current 8-hour rate (the simulator
        keeps no funding history)."""
        instrument = self.instrument(params)
        if not instrument.perpetual:
            raise e.invalid_params("instrument_name", "not a perpetual")
        start, end = decimal(params, "start_timestamp"), decimal(params, "end_timestamp")
        if start is None or end is None or end < start:
            raise e.invalid_params("end_timestamp", "start_timestamp <= end_timestamp required")
        rate = self.engine.funding_rate_8h(instrument.currency)
        value = wire.num(rate * (end - start) / (8 * 3_600_000))
        assert value is not None
        return value

    async def get_last_trades(self, params: Params, caller: Caller) -> dict[str, Any]:
        instrument = self.instrument(params)
        limit = count(params, "count", 10)
        start, end = decimal(params, "start_timestamp"), decimal(params, "end_timestamp")
        trades = [t for t in self.engine.public_trades[instrument.name]
                  if (start is None or t.timestamp >= start)
                  and (end is None or t.timestamp <= end)]
        chosen = trades[:limit] if start is not None else trades[-limit:]
        return {"trades": [wire.public_trade_json(t) for t in chosen],
                "has_more": len(trades) > limit}

    # ---- subscriptions ------------------------------------------------------------------

    async def subscribe(self, params: Params, caller: Caller) -> list[str]:
        session = caller.session
        if session is None:
            raise e.DeribitApiError(10030, "must_be_websocket_request")
        channels = params.get("channels")
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            raise e.invalid_params("channels", "must be a list of channel names")
        accepted = []
        for channel in channels:
            parts = channel.split(".")
            if parts[0] == "user" and session.account is None:
                raise e.unauthorized("authorization_required")
            if parts[0] in ("book", "ticker", "trades") and len(parts) >= 3:
                self.engine.instrument(parts[1])  # unknown instruments are refused
            elif parts[0] != "user":
                continue  # a channel the simulator does not publish is not subscribed
            session.channels.add(channel)
            accepted.append(channel)
            if parts[0] == "book":
                session.pending.append(notification(channel,
                                                    book_snapshot(self.server, parts[1])))
            elif parts[0] == "ticker":  # the current ticker at once, then on each change
                session.pending.append(notification(channel, wire.market_data(
                    self.engine, self.engine.instrument(parts[1]))))
        return accepted

    async def unsubscribe(self, params: Params, caller: Caller) -> list[str]:
        session = caller.session
        channels = params.get("channels") or []
        if session is None or not isinstance(channels, list):
            raise e.invalid_params("channels", "must be a list of channel names")
        removed = [c for c in channels if c in session.channels]
        session.channels.difference_update(removed)
        return removed

    async def unsubscribe_all(self, params: Params, caller: Caller) -> str:
        if caller.session is not None:
            caller.session.channels.clear()
        return "ok"

    # ---- orders -------------------------------------------------------------------------

    async def buy(self, params: Params, caller: Caller) -> dict[str, Any]:
        return self._place(params, caller, "buy")

    async def sell(self, params: Params, caller: Caller) -> dict[str, Any]:
        return self._place(params, caller, "sell")

    def _place(self, params: Params, caller: Caller, direction: str) -> dict[str, Any]:
        instrument = self.instrument(params)
        amount = decimal(params, "amount")
        contracts = decimal(params, "contracts")
        if amount is None and contracts is not None:
            amount = contracts * instrument.contract_size
        if amount is None:
            raise e.invalid_params("amount", "value required")
        order_type = text(params, "type", False) or "limit"
        if order_type not in ("limit", "market"):
            raise e.invalid_params("type", f"order type {order_type} is not supported here")
        tif = text(params, "time_in_force", False) or "good_til_cancelled"
        if tif not in _TIFS:
            raise e.invalid_params("time_in_force", f"unknown: {tif}")
        label = text(params, "label", False) or ""
        if len(label) > 64:
            raise e.invalid_params("label", "at most 64 characters")
        request = OrderRequest(self.me(caller).api_key, instrument.name, direction, amount,
                               order_type, decimal(params, "price"), label,
                               "good_til_cancelled" if tif == "good_til_day" else tif,
                               flag(params, "post_only"), flag(params, "reduce_only"))
        order, trades, changes = self.engine.place(request)
        self.server.publish(changes)
        return {"order": wire.order_json(order),
                "trades": [wire.user_trade_json(t) for t in trades]}

    async def edit(self, params: Params, caller: Caller) -> dict[str, Any]:
        amount = decimal(params, "amount")
        if amount is None:
            contracts = decimal(params, "contracts")
            order = self.engine.owned(self.me(caller).api_key, need(params, "order_id"))
            if contracts is None:
                raise e.invalid_params("amount", "value required")
            amount = contracts * order.instrument.contract_size
        order, trades, changes = self.engine.edit(self.me(caller).api_key,
                                                  need(params, "order_id"), amount,
                                                  decimal(params, "price"))
        self.server.publish(changes)
        return {"order": wire.order_json(order),
                "trades": [wire.user_trade_json(t) for t in trades]}

    async def cancel(self, params: Params, caller: Caller) -> dict[str, Any]:
        order, changes = self.engine.cancel(self.me(caller).api_key, need(params, "order_id"))
        self.server.publish(changes)
        return wire.order_json(order)

    async def cancel_all(self, params: Params, caller: Caller) -> int:
        name = text(params, "instrument_name", False)
        if name is not None:
            self.engine.instrument(name)
        label = text(params, "label", False)
        cancelled, changes = self.engine.cancel_many(
            self.me(caller).api_key, self.currency(params, required=False), name, label)
        self.server.publish(changes)
        return cancelled

    def _orders_of(self, params: Params, caller: Caller) -> list[DerivOrder]:
        me = self.me(caller).api_key
        name = text(params, "instrument_name", False)
        if name is not None:
            self.engine.instrument(name)
        currency = self.currency(params, required=False)
        kind = text(params, "kind", False)
        label = text(params, "label", False)
        return [o for o in self.engine.orders.values() if o.account.api_key == me
                and (name is None or o.instrument.name == name)
                and (currency is None or o.instrument.currency == currency)
                and (kind in (None, "any") or o.instrument.kind.value == kind)
                and (label is None or o.label == label)]

    async def open_orders(self, params: Params, caller: Caller) -> list[dict[str, Any]]:
        return [wire.order_json(o) for o in self._orders_of(params, caller)
                if o.state == "open"]

    async def order_state(self, params: Params, caller: Caller) -> dict[str, Any]:
        return wire.order_json(self.engine.owned(self.me(caller).api_key,
                                                 need(params, "order_id")))

    async def order_state_by_label(self, params: Params,
                                   caller: Caller) -> list[dict[str, Any]]:
        need(params, "label")
        return [wire.order_json(o) for o in self._orders_of(params, caller)]

    async def order_history(self, params: Params, caller: Caller) -> list[dict[str, Any]]:
        limit = count(params, "count", 20, 10_000)
        offset = int(decimal(params, "offset") or 0)
        closed = [o for o in self._orders_of(params, caller) if o.state != "open"]
        closed.sort(key=lambda o: o.updated_ms, reverse=True)
        return [wire.order_json(o) for o in closed[offset:offset + limit]]

    async def user_trades(self, params: Params, caller: Caller) -> dict[str, Any]:
        me = self.me(caller).api_key
        name = text(params, "instrument_name", False)
        if name is not None:
            self.engine.instrument(name)
        currency = self.currency(params, required=name is None)
        limit = count(params, "count", 10)
        start, end = decimal(params, "start_timestamp"), decimal(params, "end_timestamp")
        trades = [t for t in self.engine.user_trades[me]
                  if (name is None or t.order.instrument.name == name)
                  and (currency is None or t.order.instrument.currency == currency)
                  and (start is None or t.timestamp >= start)
                  and (end is None or t.timestamp <= end)]
        if start is not None or text(params, "sorting", False) == "asc":
            chosen = trades[:limit]
        else:
            chosen = list(reversed(trades[-limit:]))  # newest first, Deribit's default
        return {"trades": [wire.user_trade_json(t) for t in chosen],
                "has_more": len(trades) > limit}

    async def trades_by_order(self, params: Params, caller: Caller) -> list[dict[str, Any]]:
        me = self.me(caller).api_key
        order = self.engine.owned(me, need(params, "order_id"))
        return [wire.user_trade_json(t) for t in self.engine.user_trades[me]
                if t.order.order_id == order.order_id]

    async def positions(self, params: Params, caller: Caller) -> list[dict[str, Any]]:
        currency = self.currency(params, required=False)
        kind = text(params, "kind", False)
        return [wire.position_json(self.engine, p)
                for p in self.me(caller).positions.values()
                if p.size != 0 and (currency is None or p.instrument.currency == currency)
                and (kind in (None, "any") or p.instrument.kind.value == kind)]

    async def position(self, params: Params, caller: Caller) -> dict[str, Any]:
        instrument = self.instrument(params)
        return wire.position_json(self.engine, self.me(caller).position(instrument))

    async def account_summary(self, params: Params, caller: Caller) -> dict[str, Any]:
        code = self.currency(params)
        assert code is not None
        return wire.summary_json(self.engine.summary(self.me(caller), code), 1)

    async def subaccounts(self, params: Params, caller: Caller) -> list[dict[str, Any]]:
        return [{"id": 1, "type": "main", "username": "simex", "system_name": "simex",
                 "email": "", "is_password": False, "login_enabled": False}]

    async def account_summaries(self, params: Params, caller: Caller) -> dict[str, Any]:
        me = self.me(caller)
        return {"id": 1, "type": "main", "username": "simex", "system_name": "simex",
                "summaries": [wire.summary_json(self.engine.summary(me, c.currency), 1)
                              for c in self.server.config.currencies]}
