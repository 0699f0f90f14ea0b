"""The pre-trade gate over the real margin engine (MarginEngineView): Greeks and margin limits
trip on what the engine computes, a hedged group passes where its legs alone do not, and an
instrument the engine cannot value is denied, not guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from risk.margin import MarginEngine
from risk.margin.gate_view import (
    InstrumentBook,
    MarginEngineView,
    OptionSpec,
    PerpetualSpec,
    SpotSpec,
)
from risk.margin.positions import MarketData, OptionPosition, OptionRight, Portfolio, SpotBalance
from risk.pretrade import (
    InstrumentKind,
    LegIntent,
    PreTradeGate,
    ReasonCode,
    Scope,
    Side,
    VenueFilter,
)

INDEX = Decimal(100_000)
CALL = "BTC-30D-110000-C"


class _NoCancels:
    def cancel(self, orders: object, reason: str) -> None:
        raise AssertionError("nothing should be cancelled here")


@pytest.fixture
def gate() -> PreTradeGate:
    market = MarketData({"BTC": INDEX})
    portfolio = Portfolio(
        spot=(SpotBalance("binance", "USDT", Decimal(2_000_000)),
              SpotBalance("binance", "BTC", Decimal(3))),
        options=(OptionPosition("deribit", CALL, "BTC", OptionRight.CALL, Decimal(110_000),
                                Decimal(30), Decimal(-10), Decimal("0.55")),),
    )
    book = InstrumentBook({
        "BTC-PERP": PerpetualSpec("BTCUSDT", "BTC"), "BTC/USDT": SpotSpec("BTC"),
        CALL: OptionSpec("BTC", OptionRight.CALL, Decimal(110_000), Decimal(30),
                         Decimal("0.55")),
    })
    view = MarginEngineView({"desk": MarginEngine(portfolio, market)}, book)
    gate = PreTradeGate(view, _NoCancels())
    gate.state.add_account("desk")
    for venue, instrument in (("binance", "BTC-PERP"), ("binance", "BTC/USDT"),
                              ("deribit", CALL)):
        gate.state.set_filter(venue, instrument, VenueFilter(Decimal(0), Decimal("0.001"),
                                                             Decimal("0.001"), Decimal(0)))
    gate.state.set_underlying_price("BTC", INDEX)
    return gate


def _leg(instrument: str, side: Side, qty: str, group: str | None = None,
         venue: str = "binance", kind: InstrumentKind = InstrumentKind.PERPETUAL,
         price: Decimal = INDEX) -> LegIntent:
    quantity = Decimal(qty)
    return LegIntent("desk", "basis", venue, instrument, "BTC", kind, side, quantity, price,
                     quantity * price, f"{instrument}-{side.value}-{qty}-{group}", group)


def test_delta_limit_when_perp_leg_adds_delta_then_denied_and_hedged_pair_accepted(
    gate: PreTradeGate,
) -> None:
    delta_now = gate.margin_view.greeks("desk", "BTC").delta
    assert 0 < delta_now < 3  # 3 BTC long, short calls take some of it back
    gate.limits.set(Scope(account="desk", underlying="BTC"), max_abs_delta=delta_now + 0.5)
    alone = gate.check([_leg("BTC-PERP", Side.BUY, "1")])
    assert not alone.accepted
    assert ReasonCode.MAX_DELTA in {r.code for r in alone.reasons}
    pair = gate.check([
        _leg("BTC-PERP", Side.BUY, "1", group="g1"),
        _leg("BTC/USDT", Side.SELL, "1", group="g1", kind=InstrumentKind.SPOT),
    ])
    assert pair.accepted, pair.reasons


def test_margin_limit_when_selling_more_calls_then_denied_and_buying_back_accepted(
    gate: PreTradeGate,
) -> None:
    view = gate.margin_view
    now = view.margin_after("desk", [])
    more = view.margin_after("desk", [_leg(CALL, Side.SELL, "20", venue="deribit",
                                           kind=InstrumentKind.OPTION, price=Decimal(2_000))])
    assert more.utilisation > now.utilisation > 0
    gate.limits.set(Scope(account="desk"), max_margin_utilisation=now.utilisation * 1.01)
    sell = gate.check([_leg(CALL, Side.SELL, "20", venue="deribit",
                            kind=InstrumentKind.OPTION, price=Decimal(2_000))])
    assert ReasonCode.MARGIN_UTILISATION in {r.code for r in sell.reasons}
    buy_back = gate.check([_leg(CALL, Side.BUY, "5", venue="deribit",
                                kind=InstrumentKind.OPTION, price=Decimal(2_000))])
    assert buy_back.accepted, buy_back.reasons


def test_gate_when_instrument_unknown_to_the_margin_engine_then_margin_unavailable(
    gate: PreTradeGate,
) -> None:
    gate.state.set_filter("binance", "ETH-PERP", VenueFilter(Decimal(0), Decimal("0.001"),
                                                             Decimal("0.001"), Decimal(0)))
    gate.limits.set(Scope(account="desk"), max_margin_utilisation=0.9)
    leg = LegIntent("desk", "basis", "binance", "ETH-PERP", "BTC", InstrumentKind.PERPETUAL,
                    Side.BUY, Decimal(1), INDEX, INDEX, "eth-1")
    decision = gate.check([leg])
    assert not decision.accepted
    assert ReasonCode.MARGIN_UNAVAILABLE in {r.code for r in decision.reasons}


def test_spot_leg_when_pair_names_its_quote_then_paid_for_and_equity_unchanged() -> None:
    market = MarketData({"BTC": INDEX})
    engine = MarginEngine(Portfolio(spot=(SpotBalance("binance", "USDT", Decimal(500_000)),)),
                          market)
    book = InstrumentBook({"BTC/USDT": SpotSpec("BTC", "USDT"), "BTC-X": SpotSpec("BTC")})
    buy = _leg("BTC/USDT", Side.BUY, "2", kind=InstrumentKind.SPOT)
    bought, paid = book.positions(buy, market)
    assert (bought.quantity, paid.quantity) == (Decimal(2), Decimal(-200_000))  # type: ignore[union-attr]
    equity = engine.scenario_book.margin().equity
    assert engine.scenario_book.margin_with(bought, paid).equity == pytest.approx(equity)
    sell = _leg("BTC/USDT", Side.SELL, "2", kind=InstrumentKind.SPOT)
    assert book.positions(sell, market)[1].quantity == Decimal(200_000)  # type: ignore[union-attr]
    # without a quote asset only the base moves (a transfer in): equity grows by its value
    (alone,) = book.positions(_leg("BTC-X", Side.BUY, "2", kind=InstrumentKind.SPOT), market)
    assert engine.scenario_book.margin_with(alone).equity == pytest.approx(equity + 200_000)
