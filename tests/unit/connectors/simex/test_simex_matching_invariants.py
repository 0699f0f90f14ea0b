"""Invariants of the matching engine under random order flow (hypothesis, derandomized):
no crossed book, no negative balance, locks equal what open orders hold, and every asset
conserved once commissions are counted."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings, target
from hypothesis import strategies as st

from connectors.simex import BinanceApiError, MakerConfig, SimexConfig
from connectors.simex.matching import (
    MatchingEngine,
    NewOrder,
    OrderKind,
    OrderSide,
    Stp,
    Tif,
)

SYM, KEYS = "WETHUSDC", ("a", "b", "c")
START = {"USDC": D(200000), "WETH": D(50)}

orders = st.lists(st.tuples(
    st.sampled_from(KEYS), st.sampled_from(list(OrderSide)),
    st.sampled_from([OrderKind.LIMIT, OrderKind.LIMIT, OrderKind.MARKET, OrderKind.LIMIT_MAKER]),
    st.sampled_from(list(Tif)), st.integers(1, 300),  # qty in 0.01 WETH
    st.integers(2950, 3050),  # price in whole USDC
    st.sampled_from(list(Stp)), st.booleans(),  # cancel one open order afterwards
), min_size=1, max_size=60)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(orders)
def test_random_flow_keeps_books_uncrossed_and_assets_conserved(
        flow: list[tuple[object, ...]]) -> None:
    eng = MatchingEngine(SimexConfig(makers=MakerConfig(enabled=False), accounts=()),
                         lambda: 1)
    for key in KEYS:
        eng.add_account(key, "s", dict(START))
    commissions = {"USDC": D(0), "WETH": D(0)}
    trades = 0
    for i, (key, side, kind, tif, qty, price, stp, cancel) in enumerate(flow):
        request = NewOrder(key, SYM, side, kind, tif if kind is OrderKind.LIMIT else None,
                           D(qty) / 100, None, None if kind is OrderKind.MARKET else D(price),
                           f"o{i}", stp)
        try:
            _, out = eng.new_order(request)
        except BinanceApiError:
            continue
        for report in out.reports:
            if report.trade is not None:
                trades += 1
                commissions[report.trade.commission_asset] += report.trade.commission
        if cancel and (open_orders := eng.open_orders(key, SYM)):
            eng.cancel_order(key, SYM, open_orders[0].order_id, None)
        book = eng.books[SYM]
        bid, ask = book.best(OrderSide.BUY), book.best(OrderSide.SELL)
        assert bid is None or ask is None or bid < ask
    target(float(trades), label="trades")  # steer the search toward busy books
    for asset in ("USDC", "WETH"):
        total = sum(eng.accounts[k].balance(asset).free + eng.accounts[k].balance(asset).locked
                    for k in KEYS)
        assert total + commissions[asset] == START[asset] * len(KEYS)
    for key in KEYS:
        account = eng.accounts[key]
        for asset, balance in account.balances.items():
            assert balance.free >= 0 and balance.locked >= 0
            held = sum(o.locked for o in eng.open_orders(key, SYM)
                       if (asset == "WETH") == (o.side is OrderSide.SELL))
            assert balance.locked == held
