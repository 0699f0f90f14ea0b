"""Deribit's JSON shapes: instruments, books, tickers, orders, trades, positions, summaries.

Field names and units as Deribit API v2 answers them (docs.deribit.com, and what ccxt
4.5.90's deribit.py reads): numbers are JSON numbers, timestamps milliseconds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.simex.deribit.engine import DerivativesEngine
from connectors.simex.deribit.instruments import OPTION_TICK_ABOVE, Instrument
from connectors.simex.deribit.model import (
    DerivOrder,
    Position,
    PublicTrade,
    Summary,
    UserTrade,
)
from connectors.simex.deribit.pricing import implied_vol

JsonDict = dict[str, Any]


def num(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number (an int when integral, as Deribit prints 10 not 10.0)."""
    if value is None:
        return None
    if value == value.to_integral_value() and abs(value) < 2 ** 53:
        return int(value)
    return float(value)


def index_name(currency: str) -> str:
    return f"{currency.lower()}_usd"


def instrument_json(engine: DerivativesEngine, instrument: Instrument,
                    instrument_id: int) -> JsonDict:
    fees, code = engine.config.fees, instrument.currency
    body: JsonDict = {
        "instrument_name": instrument.name, "instrument_id": instrument_id,
        "kind": instrument.kind.value, "base_currency": code, "counter_currency": "USD",
        "settlement_currency": code, "price_index": index_name(code),
        "settlement_period": instrument.settlement_period(),
        "expiration_timestamp": instrument.expiry_ms,
        "creation_timestamp": instrument.created_ms, "is_active": engine.active(instrument),
        "rfq": False,
        "contract_size": num(instrument.contract_size),
        "min_trade_amount": num(instrument.min_amount), "tick_size": num(instrument.tick),
        "instrument_type": "reversed", "block_trade_commission": num(fees.future_taker / 2),
        "block_trade_min_trade_amount": 25, "block_trade_tick_size": num(instrument.tick),
    }
    if instrument.is_option:
        body.update({
            "quote_currency": code, "strike": num(instrument.strike),
            "option_type": "call" if instrument.is_call else "put",
            "taker_commission": num(fees.option_per_contract),
            "maker_commission": num(fees.option_per_contract),
            "tick_size_steps": [{"above_price": num(OPTION_TICK_ABOVE[0]),
                                 "tick_size": num(OPTION_TICK_ABOVE[1])}]})
    else:
        body.update({
            "quote_currency": "USD", "future_type": "reversed", "max_leverage": 50,
            "max_liquidation_commission": 0.0075,
            "taker_commission": num(fees.future_taker),
            "maker_commission": num(fees.future_maker), "tick_size_steps": []})
    return body


def _stats(engine: DerivativesEngine, instrument: Instrument) -> JsonDict:
    trades = list(engine.public_trades[instrument.name])
    prices = [t.price for t in trades]
    volume = sum((t.amount for t in trades), Decimal(0))
    return {"high": num(max(prices)) if prices else None,
            "low": num(min(prices)) if prices else None,
            "volume": num(volume), "volume_usd": num(volume), "price_change": None}


def market_data(engine: DerivativesEngine, instrument: Instrument) -> JsonDict:
    """What public/ticker and public/get_order_book share: prices, marks, Greeks."""
    book = engine.books[instrument.name]
    bids, asks = book.snapshot(1)
    index = engine.marks.index[instrument.currency]
    trades = engine.public_trades[instrument.name]
    body: JsonDict = {
        "instrument_name": instrument.name, "timestamp": engine.clock_ms(),
        "state": "open" if engine.active(instrument) else "closed",
        "index_price": num(index), "estimated_delivery_price": num(index),
        "mark_price": num(engine.marks.mark(instrument)),
        "last_price": num(trades[-1].price) if trades else None,
        "best_bid_price": num(bids[0][0]) if bids else 0,
        "best_bid_amount": num(bids[0][1]) if bids else 0,
        "best_ask_price": num(asks[0][0]) if asks else 0,
        "best_ask_amount": num(asks[0][1]) if asks else 0,
        "open_interest": num(_open_interest(engine, instrument)),
        "settlement_price": num(engine.settled.get(instrument.name,
                                                   engine.marks.mark(instrument))),
        "min_price": num(instrument.tick), "max_price": None,
        "stats": _stats(engine, instrument), "interest_rate": 0,
    }
    if instrument.is_option:
        mark = engine.marks.option(instrument)
        value = mark.value
        body.update({
            "underlying_price": num(mark.forward), "underlying_index": instrument.name.rsplit(
                "-", 2)[0], "mark_iv": round(mark.vol * 100, 2),
            "bid_iv": _iv(engine, instrument, bids[0][0] if bids else None),
            "ask_iv": _iv(engine, instrument, asks[0][0] if asks else None),
            "greeks": {"delta": round(value.delta, 5), "gamma": round(value.gamma, 8),
                       "vega": round(value.vega, 5), "theta": round(value.theta, 5),
                       "rho": 0}})
    elif instrument.perpetual:
        rate = engine.funding_rate_8h(instrument.currency)
        body.update({"funding_8h": num(rate), "current_funding": num(rate)})
    return body


def _iv(engine: DerivativesEngine, instrument: Instrument,
        price: Decimal | None) -> float | None:
    """The Black-76 vol (percent) of a coin price, on the expiry's forward, as Deribit
    shows bid_iv / ask_iv; None without a price or when no vol gives it."""
    if price is None or instrument.strike is None or instrument.is_call is None:
        return None
    forward = float(engine.marks.forward(instrument))
    vol = implied_vol(float(price) * forward, forward, float(instrument.strike),
                      instrument.years_to_expiry(engine.clock_ms()), instrument.is_call)
    return None if vol is None else round(vol * 100, 2)


def _open_interest(engine: DerivativesEngine, instrument: Instrument) -> Decimal:
    return sum((p.size for a in engine.accounts.values() if not a.unlimited
                for p in a.positions.values()
                if p.instrument.name == instrument.name and p.size > 0), Decimal(0))


def order_json(order: DerivOrder) -> JsonDict:
    market = order.order_type == "market"
    return {
        "order_id": order.order_id, "instrument_name": order.instrument.name,
        "direction": order.direction, "amount": num(order.amount),
        "contracts": num(order.amount / order.instrument.contract_size),
        "filled_amount": num(order.filled),
        "price": "market_price" if market else num(order.price),
        "average_price": num(order.average), "order_state": order.state,
        "order_type": order.order_type, "time_in_force": order.time_in_force,
        "label": order.label, "post_only": order.post_only,
        "reduce_only": order.reduce_only, "creation_timestamp": order.created_ms,
        "last_update_timestamp": order.updated_ms, "commission": num(order.commission),
        "profit_loss": num(order.profit_loss), "replaced": order.replaced,
        "max_show": num(order.amount), "api": True, "web": False, "is_liquidation": False,
        "risk_reducing": False, "mmp": False, "cancel_reason": order.cancel_reason or None,
    }


def user_trade_json(trade: UserTrade) -> JsonDict:
    order = trade.order
    return {
        "trade_id": trade.trade_id, "trade_seq": trade.trade_seq,
        "order_id": order.order_id, "instrument_name": order.instrument.name,
        "direction": order.direction, "amount": num(trade.amount),
        "price": num(trade.price), "fee": num(trade.fee),
        "fee_currency": order.instrument.currency, "liquidity": trade.liquidity,
        "timestamp": trade.timestamp, "order_type": order.order_type,
        "label": order.label, "state": order.state,
        "index_price": num(trade.index_price), "mark_price": num(trade.mark_price),
        "profit_loss": num(trade.profit_loss), "tick_direction": 0, "self_trade": False,
        "post_only": order.post_only, "reduce_only": order.reduce_only, "api": True,
        "matching_id": None,
    }


def public_trade_json(trade: PublicTrade) -> JsonDict:
    return {
        "trade_id": trade.trade_id, "trade_seq": trade.trade_seq,
        "instrument_name": trade.instrument, "timestamp": trade.timestamp,
        "price": num(trade.price), "amount": num(trade.amount),
        "direction": trade.direction, "tick_direction": 0,
        "index_price": num(trade.index_price), "mark_price": num(trade.mark_price),
    }


def position_json(engine: DerivativesEngine, position: Position) -> JsonDict:
    instrument = position.instrument
    account = next(a for a in engine.accounts.values()
                   if a.positions.get(instrument.name) is position)
    mark = engine.marks.mark(instrument)
    index = engine.marks.index[instrument.currency]
    upl = engine.upl(position, mark)
    margin = engine.position_margin(account, position)
    size = position.size
    body: JsonDict = {
        "instrument_name": instrument.name, "kind": instrument.kind.value,
        "direction": "buy" if size > 0 else ("sell" if size < 0 else "zero"),
        "size": num(size), "average_price": num(position.average_price),
        "mark_price": num(mark), "index_price": num(index),
        "floating_profit_loss": num(upl), "realized_profit_loss": num(position.realized),
        "total_profit_loss": num(upl + position.realized),
        "initial_margin": num(margin.initial), "maintenance_margin": num(margin.maintenance),
        "open_orders_margin": 0, "settlement_price": num(mark),
        "estimated_liquidation_price": None,
    }
    if instrument.is_option:
        value = engine.marks.option(instrument).value
        body.update({
            "size_currency": num(size), "average_price_usd": num(
                position.average_price * index),
            "delta": round(value.delta * float(size), 5),
            "gamma": round(value.gamma * float(size), 8),
            "vega": round(value.vega * float(size), 5),
            "theta": round(value.theta * float(size), 5)})
    else:
        body.update({
            "size_currency": num(size / mark), "delta": num(size / mark),
            "leverage": 50, "realized_funding": num(position.funding),
            "interest_value": 0})
    return body


def summary_json(summary: Summary, account_id: int) -> JsonDict:
    return {
        "currency": summary.currency, "balance": num(summary.balance),
        "equity": num(summary.equity), "margin_balance": num(summary.margin_balance),
        "initial_margin": num(summary.initial_margin),
        "maintenance_margin": num(summary.maintenance_margin),
        "projected_initial_margin": num(summary.initial_margin),
        "projected_maintenance_margin": num(summary.maintenance_margin),
        "available_funds": num(summary.available_funds),
        "available_withdrawal_funds": num(max(summary.available_funds, Decimal(0))),
        "futures_session_upl": num(summary.futures_upl),
        "futures_session_rpl": num(summary.futures_realized),
        "futures_pl": num(summary.futures_upl + summary.futures_realized),
        "options_value": num(summary.options_value),
        "options_session_upl": num(summary.options_upl),
        "options_session_rpl": num(summary.options_realized),
        "options_pl": num(summary.options_upl + summary.options_realized),
        "session_upl": num(summary.futures_upl + summary.options_upl),
        "session_rpl": num(summary.futures_realized + summary.options_realized),
        "total_pl": num(summary.futures_upl + summary.options_upl +
                        summary.futures_realized + summary.options_realized),
        "delta_total": num(summary.delta_total), "fee_balance": 0, "spot_reserve": 0,
        "portfolio_margining_enabled": False, "cross_collateral_enabled": False,
        "margin_model": "segregated_sm", "id": account_id, "type": "main",
        "username": "simex", "system_name": "simex",
    }
