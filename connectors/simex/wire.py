"""How simex spells its answers: Binance spot JSON shapes for orders, trades and events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.simex.config import SymbolConfig
from connectors.simex.matching import (
    Account,
    AccountTrade,
    ExecutionReport,
    OrderKind,
    OrderSide,
    PublicTrade,
    SimOrderView,
    q8,
)


def d8(value: Decimal | None) -> str:
    """An amount as Binance writes it: a string with 8 decimals."""
    return f"{q8(value or Decimal(0)):f}"


def order_json(order: SimOrderView) -> dict[str, Any]:
    """GET /api/v3/order and openOrders entries."""
    return {
        "symbol": order.symbol, "orderId": order.order_id, "orderListId": -1,
        "clientOrderId": order.client_order_id, "price": d8(order.price),
        "origQty": d8(order.orig_qty), "executedQty": d8(order.executed_qty),
        "cummulativeQuoteQty": d8(order.cum_quote), "status": order.state.value,
        "timeInForce": (order.tif.value if order.tif else "GTC"), "type": order.kind.value,
        "side": order.side.value, "stopPrice": d8(None), "icebergQty": d8(None),
        "time": order.time_ms, "updateTime": order.update_ms, "isWorking": True,
        "workingTime": order.time_ms, "origQuoteOrderQty": d8(order.orig_quote_qty),
        "selfTradePreventionMode": order.stp.value,
    }


def new_order_json(order: SimOrderView, fills: list[AccountTrade], resp_type: str
                   ) -> dict[str, Any]:
    """POST /api/v3/order answer in ACK, RESULT or FULL form."""
    ack = {"symbol": order.symbol, "orderId": order.order_id, "orderListId": -1,
           "clientOrderId": order.client_order_id, "transactTime": order.time_ms}
    if resp_type == "ACK":
        return ack
    result = {**ack, "price": d8(order.price), "origQty": d8(order.orig_qty),
              "executedQty": d8(order.executed_qty), "origQuoteOrderQty": d8(order.orig_quote_qty),
              "cummulativeQuoteQty": d8(order.cum_quote), "status": order.state.value,
              "timeInForce": order.tif.value if order.tif else "GTC", "type": order.kind.value,
              "side": order.side.value, "workingTime": order.time_ms,
              "selfTradePreventionMode": order.stp.value}
    if resp_type == "RESULT":
        return result
    return {**result, "fills": [
        {"price": d8(f.price), "qty": d8(f.qty), "commission": d8(f.commission),
         "commissionAsset": f.commission_asset, "tradeId": f.trade_id} for f in fills]}


def cancel_json(order: SimOrderView, cancel_client_id: str, now_ms: int) -> dict[str, Any]:
    body = order_json(order)
    for key in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking", "workingTime"):
        body.pop(key)
    return {**body, "origClientOrderId": order.client_order_id,
            "clientOrderId": cancel_client_id, "transactTime": now_ms}


def my_trade_json(trade: AccountTrade) -> dict[str, Any]:
    return {"symbol": trade.symbol, "id": trade.trade_id, "orderId": trade.order_id,
            "orderListId": -1, "price": d8(trade.price), "qty": d8(trade.qty),
            "quoteQty": d8(trade.quote_qty), "commission": d8(trade.commission),
            "commissionAsset": trade.commission_asset, "time": trade.time_ms,
            "isBuyer": trade.is_buyer, "isMaker": trade.is_maker, "isBestMatch": True}


def public_trade_json(trade: PublicTrade) -> dict[str, Any]:
    return {"id": trade.trade_id, "price": d8(trade.price), "qty": d8(trade.qty),
            "quoteQty": d8(trade.price * trade.qty), "time": trade.time_ms,
            "isBuyerMaker": trade.buyer_is_maker, "isBestMatch": True}


def trade_event(trade: PublicTrade, now_ms: int) -> dict[str, Any]:
    return {"e": "trade", "E": now_ms, "s": trade.symbol, "t": trade.trade_id,
            "p": d8(trade.price), "q": d8(trade.qty), "T": trade.time_ms,
            "m": trade.buyer_is_maker, "M": True}


def depth_event(symbol: str, first: int, last: int,
                changes: dict[tuple[OrderSide, Decimal], Decimal], now_ms: int
                ) -> dict[str, Any]:
    bids = [[d8(p), d8(q)] for (side, p), q in sorted(changes.items(), key=lambda c: c[0][1],
                                                      reverse=True) if side is OrderSide.BUY]
    asks = [[d8(p), d8(q)] for (side, p), q in sorted(changes.items(), key=lambda c: c[0][1])
            if side is OrderSide.SELL]
    return {"e": "depthUpdate", "E": now_ms, "s": symbol, "U": first, "u": last,
            "b": bids, "a": asks}


def execution_report(report: ExecutionReport) -> dict[str, Any]:
    """The user data stream's `executionReport` event (Binance spot user data stream)."""
    order, trade = report.order, report.trade
    return {
        "e": "executionReport", "E": report.time_ms, "s": order.symbol,
        "c": order.client_order_id, "S": order.side.value, "o": order.kind.value,
        "f": order.tif.value if order.tif else "GTC", "q": d8(order.orig_qty),
        "p": d8(order.price), "P": d8(None), "F": d8(None), "g": -1,
        "C": order.client_order_id if report.execution == "CANCELED" else "",
        "x": report.execution, "X": order.state.value, "r": "NONE", "i": order.order_id,
        "l": d8(trade.qty if trade else None), "z": d8(order.executed_qty),
        "L": d8(trade.price if trade else None), "n": d8(trade.commission if trade else None),
        "N": trade.commission_asset if trade else None, "T": report.time_ms,
        "t": trade.trade_id if trade else -1, "I": 0, "w": order.on_book,
        "m": trade.is_maker if trade else False, "M": False, "O": order.time_ms,
        "Z": d8(order.cum_quote), "Y": d8(trade.quote_qty if trade else None),
        "Q": d8(order.orig_quote_qty), "W": order.time_ms, "V": order.stp.value,
    }


def account_position(account: Account, now_ms: int) -> dict[str, Any]:
    return {"e": "outboundAccountPosition", "E": now_ms, "u": account.update_ms,
            "B": [{"a": asset, "f": d8(b.free), "l": d8(b.locked)}
                  for asset, b in sorted(account.balances.items())]}


def account_json(account: Account) -> dict[str, Any]:
    maker, taker = account.maker_fee, account.taker_fee
    return {
        "makerCommission": int(maker * 10000), "takerCommission": int(taker * 10000),
        "buyerCommission": 0, "sellerCommission": 0,
        "commissionRates": {"maker": d8(maker), "taker": d8(taker), "buyer": d8(None),
                            "seller": d8(None)},
        "canTrade": True, "canWithdraw": False, "canDeposit": False, "brokered": False,
        "requireSelfTradePrevention": False, "preventSor": False,
        "updateTime": account.update_ms, "accountType": "SPOT",
        "balances": [{"asset": asset, "free": d8(b.free), "locked": d8(b.locked)}
                     for asset, b in sorted(account.balances.items())],
        "permissions": ["SPOT"], "uid": abs(hash(account.api_key)) % 10**9,
    }


def symbol_json(spec: SymbolConfig) -> dict[str, Any]:
    """One `exchangeInfo` symbol with PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL."""
    return {
        "symbol": spec.venue_symbol, "status": "TRADING", "baseAsset": spec.base,
        "baseAssetPrecision": 8, "quoteAsset": spec.quote, "quotePrecision": 8,
        "quoteAssetPrecision": 8, "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"], "icebergAllowed": False,
        "ocoAllowed": False, "otoAllowed": False, "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False, "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": d8(spec.tick_size),
             "maxPrice": "1000000.00000000", "tickSize": d8(spec.tick_size)},
            {"filterType": "LOT_SIZE", "minQty": d8(spec.min_qty), "maxQty": d8(spec.max_qty),
             "stepSize": d8(spec.lot_size)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": d8(Decimal(0)),
             "maxQty": d8(spec.max_qty), "stepSize": d8(Decimal(0))},
            {"filterType": "NOTIONAL", "minNotional": d8(spec.min_notional),
             "applyMinToMarket": True, "maxNotional": "9000000.00000000",
             "applyMaxToMarket": False, "avgPriceMins": 5},
        ],
        "permissions": [], "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER",
                                            "EXPIRE_BOTH"],
    }


def kind_of(value: str) -> OrderKind | None:
    try:
        return OrderKind(value)
    except ValueError:
        return None
