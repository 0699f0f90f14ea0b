"""The derivatives engine by itself: coin premiums, inverse PnL, funding, margin, order rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from connectors.simex.deribit.config import DeribitConfig, DeribitMakerConfig
from connectors.simex.deribit.engine import DerivativesEngine
from connectors.simex.deribit.errors import DeribitApiError
from connectors.simex.deribit.model import OrderRequest

NOW_MS = int(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC).timestamp() * 1000)
CALL = "BTC-1JAN27-95000-C"
PUT = "BTC-1JAN27-80000-P"
PERP = "BTC-PERPETUAL"


@pytest.fixture
def engine() -> DerivativesEngine:
    engine = DerivativesEngine(DeribitConfig(makers=DeribitMakerConfig(enabled=False)),
                               lambda: NOW_MS)
    engine.add_account("mm", "mm-secret", {"BTC": D(1000), "ETH": D(10000)})
    return engine


def order(key: str, instrument: str, direction: str, amount: str, price: str | None,
          tif: str = "good_til_cancelled", label: str = "", post_only: bool = False,
          reduce_only: bool = False) -> OrderRequest:
    return OrderRequest(key, instrument, direction, D(amount), "limit" if price else "market",
                        D(price) if price else None, label, tif, post_only, reduce_only)


def me(engine: DerivativesEngine) -> str:
    return "simex-demo-key"


def test_option_trade_when_filled_then_premium_and_fee_move_in_coin(
        engine: DerivativesEngine) -> None:
    engine.place(order("mm", CALL, "sell", "2", "0.05"))
    placed, trades, _ = engine.place(order(me(engine), CALL, "buy", "1.5", "0.05",
                                           label="cid-1"))
    assert placed.state == "filled" and placed.label == "cid-1"
    assert [(t.amount, t.price, t.liquidity) for t in trades] == [(D("1.5"), D("0.05"), "T")]
    fee = min(D("0.0003") * D("1.5"), D("0.125") * D("0.075"))
    account = engine.accounts[me(engine)]
    assert account.cash["BTC"] == D(10) - D("0.075") - fee
    assert engine.accounts["mm"].cash["BTC"] == D(1000) + D("0.075") - fee
    position = account.positions[CALL]
    assert (position.size, position.average_price) == (D("1.5"), D("0.05"))
    summary = engine.summary(account, "BTC")
    mark = engine.marks.mark(engine.instruments[CALL])
    assert summary.options_value == mark * D("1.5")
    assert summary.equity == summary.balance + summary.options_value
    assert summary.initial_margin == 0  # a long option carries no margin


def test_perpetual_round_trip_when_price_rises_then_inverse_pnl_is_realised_in_coin(
        engine: DerivativesEngine) -> None:
    engine.place(order("mm", PERP, "sell", "1000", "95000"))
    engine.place(order(me(engine), PERP, "buy", "1000", "95000"))
    engine.place(order("mm", PERP, "buy", "1000", "100000"))
    engine.place(order(me(engine), PERP, "sell", "1000", "100000"))
    account = engine.accounts[me(engine)]
    pnl = D(1000) * (1 / D(95000) - 1 / D(100000))
    fees = (D("0.0005") * 1000 / 95000).quantize(D("1e-10")) + (
        D("0.0005") * 1000 / 100000).quantize(D("1e-10"))
    assert account.positions[PERP].size == 0
    assert account.positions[PERP].realized == pnl.quantize(D("1e-10"))
    assert account.cash["BTC"] == D(10) + pnl.quantize(D("1e-10")) - fees


def test_funding_when_premium_above_damper_then_longs_pay_shorts(
        engine: DerivativesEngine) -> None:
    engine.place(order("mm", PERP, "sell", "9500", "95000"))
    engine.place(order(me(engine), PERP, "buy", "9500", "95000"))
    before = engine.accounts[me(engine)].cash["BTC"]
    rate = engine.funding_rate_8h("BTC")
    assert rate == D("0.0010") - D("0.0005")  # premium 10 bps, damped by 5 bps
    changes = engine.apply_funding(8 * 3_600_000)
    paid = D(9500) / D(95000) * rate
    assert engine.accounts[me(engine)].cash["BTC"] == before - paid
    assert engine.accounts[me(engine)].positions[PERP].funding == -paid
    assert ("mm", PERP, paid) in changes.funding  # the short receives it


def test_order_when_premium_exceeds_funds_then_not_enough_funds_and_nothing_changes(
        engine: DerivativesEngine) -> None:
    engine.place(order("mm", CALL, "sell", "500", "0.05"))
    with pytest.raises(DeribitApiError) as refused:
        engine.place(order(me(engine), CALL, "buy", "300", "0.05"))  # 15 BTC of premium
    assert refused.value.code == 10009
    assert engine.accounts[me(engine)].cash["BTC"] == D(10)
    assert not engine.open_orders(me(engine))


def test_short_option_margin_when_sold_then_deribit_standard_formula(
        engine: DerivativesEngine) -> None:
    engine.place(order("mm", PUT, "buy", "1", "0.01"))
    engine.place(order(me(engine), PUT, "sell", "1", "0.01"))
    summary = engine.summary(engine.accounts[me(engine)], "BTC")
    mark = engine.marks.mark(engine.instruments[PUT])
    otm = (D(95000) - D(80000)) / D(95000)
    assert summary.initial_margin == max(D("0.15") - otm, D("0.10")) + mark
    assert summary.maintenance_margin == D("0.075") + mark
    assert summary.available_funds == summary.margin_balance - summary.initial_margin


def test_bad_orders_when_refused_then_deribit_codes(engine: DerivativesEngine) -> None:
    cases = [(order(me(engine), "BTC-NOPE", "buy", "1", "0.05"), -32602),
             (order(me(engine), CALL, "buy", "0.05", "0.05"), 10002),
             (order(me(engine), CALL, "buy", "0.15", "0.05"), -32602),
             (order(me(engine), CALL, "buy", "1", "0.0052"), 10043),
             (order(me(engine), PERP, "buy", "15", "95000"), -32602)]
    for request, code in cases:
        with pytest.raises(DeribitApiError) as refused:
            engine.place(request)
        assert refused.value.code == code, request


def test_time_in_force_and_post_only_when_book_thin_then_deribit_outcomes(
        engine: DerivativesEngine) -> None:
    engine.place(order("mm", CALL, "sell", "1", "0.05"))
    fok, trades, _ = engine.place(order(me(engine), CALL, "buy", "2", "0.05",
                                        tif="fill_or_kill"))
    assert (fok.state, fok.filled, len(trades)) == ("cancelled", D(0), 0)
    ioc, trades, _ = engine.place(order(me(engine), CALL, "buy", "2", "0.05",
                                        tif="immediate_or_cancel"))
    assert (ioc.state, ioc.filled, len(trades)) == ("cancelled", D(1), 1)
    engine.place(order("mm", CALL, "sell", "1", "0.06"))
    with pytest.raises(DeribitApiError) as refused:
        engine.place(order(me(engine), CALL, "buy", "1", "0.06", post_only=True))
    assert refused.value.code == 11054


def test_edit_when_price_crosses_then_order_keeps_id_and_trades(
        engine: DerivativesEngine) -> None:
    engine.place(order("mm", CALL, "sell", "1", "0.06"))
    resting, _, _ = engine.place(order(me(engine), CALL, "buy", "1", "0.04"))
    edited, trades, _ = engine.edit(me(engine), resting.order_id, D(1), D("0.06"))
    assert edited.order_id == resting.order_id and edited.replaced
    assert (edited.state, [t.price for t in trades]) == ("filled", [D("0.06")])
    with pytest.raises(DeribitApiError) as refused:
        engine.cancel(me(engine), resting.order_id)
    assert refused.value.code == 11044
    with pytest.raises(DeribitApiError) as unknown:
        engine.cancel(me(engine), "999999")
    assert unknown.value.code == 10004


def test_reduce_only_when_no_position_then_refused_and_when_long_then_capped(
        engine: DerivativesEngine) -> None:
    with pytest.raises(DeribitApiError):
        engine.place(order(me(engine), PERP, "sell", "10", "95000", reduce_only=True))
    engine.place(order("mm", PERP, "sell", "20", "95000"))
    engine.place(order(me(engine), PERP, "buy", "20", "95000"))
    capped, _, _ = engine.place(order(me(engine), PERP, "sell", "100", "96000",
                                      reduce_only=True))
    assert capped.amount == D(20)


def test_expiry_when_passed_then_options_pay_intrinsic_in_coin_and_books_close() -> None:
    clock = [NOW_MS]
    engine = DerivativesEngine(DeribitConfig(makers=DeribitMakerConfig(enabled=False)),
                               lambda: clock[0])
    engine.add_account("mm", "mm-secret", {"BTC": D(1000)})
    call = next(i for i in engine.instruments.values() if i.is_option and i.is_call
                and i.strike == D(90000) and i.name.startswith("BTC-4DEC26"))
    future = engine.instruments["BTC-4DEC26"]
    engine.place(order("mm", call.name, "sell", "2", "0.06"))
    engine.place(order("simex-demo-key", call.name, "buy", "2", "0.06"))
    engine.place(order("mm", future.name, "sell", "1000", "95000"))
    engine.place(order("simex-demo-key", future.name, "buy", "1000", "95000"))
    resting, _, _ = engine.place(order("simex-demo-key", call.name, "buy", "1", "0.01"))
    cash = engine.accounts["simex-demo-key"].cash["BTC"]
    clock[0] = call.expiry_ms + 1
    engine.marks.index["BTC"] = D(100000)
    changes = engine.settle_expired()
    payoff = (D(100000) - D(90000)) / D(100000)
    future_pnl = D(1000) * (1 / D(95000) - 1 / D(100000))
    account = engine.accounts["simex-demo-key"]
    assert account.cash["BTC"] == cash + (2 * payoff) + future_pnl.quantize(D("1e-10"))
    assert account.positions[call.name].size == 0 and account.positions[future.name].size == 0
    assert account.positions[call.name].realized == (payoff - D("0.06")) * 2
    assert engine.orders[resting.order_id].state == "cancelled"
    assert resting.order_id in {o.order_id for o in changes.orders}
    assert engine.settled[call.name] == D(100000)
    with pytest.raises(DeribitApiError) as refused:
        engine.place(order("simex-demo-key", call.name, "buy", "1", "0.01"))
    assert refused.value.code == 10012
    assert engine.active(engine.instruments["BTC-PERPETUAL"])
