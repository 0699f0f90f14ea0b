"""The simex matching engine: priority, time in force, post-only, STP, locking and fees."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from connectors.simex import BinanceApiError, MakerConfig, SimexConfig
from connectors.simex.matching import (
    MatchingEngine,
    NewOrder,
    OrderKind,
    OrderSide,
    OrderState,
    Stp,
    Tif,
)

SYM = "WETHUSDC"


def engine() -> MatchingEngine:
    eng = MatchingEngine(SimexConfig(makers=MakerConfig(enabled=False), accounts=()),
                         lambda: 1_000)
    for key in ("alice", "bob", "carol"):
        eng.add_account(key, "s", {"USDC": D(100000), "WETH": D(100)})
    return eng


def order(key: str, side: OrderSide, qty: str, price: str | None, cid: str,
          kind: OrderKind = OrderKind.LIMIT, tif: Tif | None = Tif.GTC,
          stp: Stp = Stp.EXPIRE_MAKER, quote: str | None = None) -> NewOrder:
    return NewOrder(key, SYM, side, kind, tif if kind is OrderKind.LIMIT else None,
                    D(qty) if qty else None, D(quote) if quote else None,
                    D(price) if price else None, cid, stp)


def test_taker_when_two_makers_at_one_price_then_earlier_fills_first_at_maker_price() -> None:
    eng = engine()
    eng.new_order(order("alice", OrderSide.SELL, "1", "3000", "a1"))
    eng.new_order(order("bob", OrderSide.SELL, "1", "3000", "b1"))
    eng.new_order(order("bob", OrderSide.SELL, "1", "2990", "b2"))
    view, out = eng.new_order(order("carol", OrderSide.BUY, "1.5", "3005", "c1"))
    assert [(f.price, f.qty) for f in out.fills] == [(D(2990), D(1)), (D(3000), D("0.5"))]
    assert eng.by_client_id[("alice", SYM, "a1")].executed_qty == D("0.5")
    assert eng.by_client_id[("bob", SYM, "b1")].executed_qty == 0
    assert view.state is OrderState.FILLED
    # the limit buy locked 1.5 * 3005; what it did not spend is back, fee taken in WETH
    carol = eng.accounts["carol"]
    assert carol.balance("USDC").locked == 0
    assert carol.balance("USDC").free == D(100000) - D(2990) - D(1500)
    assert carol.balance("WETH").free == D(100) + D("1.5") - D("0.0015")


def test_ioc_when_book_is_short_then_remainder_expires_and_fok_trades_nothing() -> None:
    eng = engine()
    eng.new_order(order("alice", OrderSide.SELL, "1", "3000", "a1"))
    fok, out = eng.new_order(order("bob", OrderSide.BUY, "2", "3000", "f", tif=Tif.FOK))
    assert fok.state is OrderState.EXPIRED and not out.fills
    ioc, out = eng.new_order(order("bob", OrderSide.BUY, "2", "3000", "i", tif=Tif.IOC))
    assert ioc.state is OrderState.EXPIRED and ioc.executed_qty == 1
    assert eng.accounts["bob"].balance("USDC").locked == 0


def test_limit_maker_when_it_would_take_then_rejected_with_binance_message() -> None:
    eng = engine()
    eng.new_order(order("alice", OrderSide.SELL, "1", "3000", "a1"))
    with pytest.raises(BinanceApiError) as refused:
        eng.new_order(order("bob", OrderSide.BUY, "1", "3000", "m", OrderKind.LIMIT_MAKER))
    assert (refused.value.code, refused.value.msg) == (
        -2010, "Order would immediately match and take.")


@pytest.mark.parametrize(("mode", "maker_state", "taker_state"), [
    (Stp.EXPIRE_MAKER, OrderState.EXPIRED_IN_MATCH, OrderState.NEW),
    (Stp.EXPIRE_TAKER, OrderState.NEW, OrderState.EXPIRED_IN_MATCH),
    (Stp.EXPIRE_BOTH, OrderState.EXPIRED_IN_MATCH, OrderState.EXPIRED_IN_MATCH),
])
def test_self_trade_prevention_modes(mode: Stp, maker_state: OrderState,
                                     taker_state: OrderState) -> None:
    eng = engine()
    eng.new_order(order("alice", OrderSide.SELL, "1", "3000", "a1"))
    taker, out = eng.new_order(order("alice", OrderSide.BUY, "1", "3000", "a2", stp=mode))
    assert not out.fills
    assert eng.by_client_id[("alice", SYM, "a1")].state is maker_state
    assert taker.state is taker_state


def test_new_order_when_balance_short_or_duplicate_or_off_tick_then_binance_errors() -> None:
    eng = engine()
    cases = [
        (order("alice", OrderSide.BUY, "100", "3000", "x"), -2010,
         "Account has insufficient balance for requested action."),
        (order("alice", OrderSide.BUY, "1", "3000.001", "y"), -1013,
         "Filter failure: PRICE_FILTER"),
        (order("alice", OrderSide.BUY, "1.00001", "3000", "y"), -1013,
         "Filter failure: LOT_SIZE"),
        (order("alice", OrderSide.BUY, "0.001", "3000", "y"), -1013,
         "Filter failure: NOTIONAL"),
    ]
    for request, code, msg in cases:
        with pytest.raises(BinanceApiError) as refused:
            eng.new_order(request)
        assert (refused.value.code, refused.value.msg) == (code, msg)
    eng.new_order(order("alice", OrderSide.BUY, "1", "2000", "dup"))
    with pytest.raises(BinanceApiError, match=r"Duplicate order sent\."):
        eng.new_order(order("alice", OrderSide.BUY, "1", "2000", "dup"))
    assert eng.accounts["alice"].balance("USDC").locked == D(2000)


def test_market_buy_by_quote_spends_budget_and_ends_filled() -> None:
    eng = engine()
    eng.new_order(order("alice", OrderSide.SELL, "1", "3000", "a1"))
    eng.new_order(order("alice", OrderSide.SELL, "1", "3010", "a2"))
    view, _ = eng.new_order(order("bob", OrderSide.BUY, "", None, "q", OrderKind.MARKET,
                                    quote="4505"))
    assert view.state is OrderState.FILLED
    assert view.executed_qty == D("1.5") and view.cum_quote == D(3000) + D(1505)
    assert eng.accounts["bob"].balance("USDC").free == D(100000) - D(4505)


def test_diff_update_ids_are_contiguous_across_commands() -> None:
    eng = engine()
    _, first = eng.new_order(order("alice", OrderSide.SELL, "1", "3000", "a1"))
    _, second = eng.new_order(order("bob", OrderSide.BUY, "0.5", "3000", "b1"))
    (_, l1, _), (u2, l2, changes) = first.depth[SYM], second.depth[SYM]
    assert u2 == l1 + 1 and l2 >= u2
    assert changes[(OrderSide.SELL, D(3000))] == D("0.5")
