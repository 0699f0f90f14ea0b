"""Strategy builders: the right legs and ratios for each package, and refusals that name the
field and the rule (strike order, listing, expiry, underlying, quantity)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import InvalidValue
from engine.model import OptionRight, Side
from engine.strategies import (
    InvalidStrategy,
    Listing,
    NotListed,
    StrategyKind,
    build,
    calendar,
    deribit_name,
    format_expiry,
    from_deribit_name,
    iron_condor,
    parse_expiry,
    risk_reversal,
    straddle,
    strangle,
    vertical,
)

from strategy_support import NOW_NS, board, listing

D = Decimal
K = [D(80_000), D(90_000), D(110_000), D(120_000)]


def _legs(strategy: object) -> list[tuple[str, str, Decimal]]:
    return [(leg.name, leg.side.value, leg.ratio) for leg in strategy.legs]  # type: ignore[attr-defined]


async def test_iron_condor_when_four_ascending_listed_strikes_then_four_unit_legs() -> None:
    condor = iron_condor("BTC", "27DEC26", K, D(2), await listing())
    assert _legs(condor) == [("BTC-27DEC26-80000-P", "buy", 1), ("BTC-27DEC26-90000-P", "sell", 1),
                             ("BTC-27DEC26-110000-C", "sell", 1),
                             ("BTC-27DEC26-120000-C", "buy", 1)]
    assert condor.kind is StrategyKind.IRON_CONDOR and condor.qty == 2
    assert {leg.instrument.base for leg in condor.legs} == {"BTC"}
    assert condor.leg_qty(condor.legs[0]) == 2


async def test_each_kind_when_built_then_legs_match_its_definition() -> None:
    lst = await listing()
    assert _legs(straddle("btc", "27DEC26", D(100_000), D(1), lst)) == [
        ("BTC-27DEC26-100000-C", "buy", 1), ("BTC-27DEC26-100000-P", "buy", 1)]
    assert _legs(straddle("BTC", "27DEC26", D(100_000), D(1), lst, Side.SELL)) == [
        ("BTC-27DEC26-100000-C", "sell", 1), ("BTC-27DEC26-100000-P", "sell", 1)]
    assert _legs(strangle("BTC", "27DEC26", [D(90_000), D(110_000)], D(1), lst)) == [
        ("BTC-27DEC26-90000-P", "buy", 1), ("BTC-27DEC26-110000-C", "buy", 1)]
    bull = vertical("BTC", "27DEC26", [D(100_000), D(110_000)], D(1), lst, OptionRight.CALL)
    assert _legs(bull) == [("BTC-27DEC26-100000-C", "buy", 1),
                           ("BTC-27DEC26-110000-C", "sell", 1)]
    assert bull.label == "bull call vertical"
    bear = vertical("BTC", "27DEC26", [D(90_000), D(100_000)], D(1), lst, OptionRight.PUT,
                    bullish=False)
    assert _legs(bear) == [("BTC-27DEC26-90000-P", "sell", 1), ("BTC-27DEC26-100000-P", "buy", 1)]
    assert bear.label == "bear put vertical"
    cal = calendar("BTC", ["27DEC26", "26MAR27"], D(100_000), D(1), lst)
    assert _legs(cal) == [("BTC-27DEC26-100000-C", "sell", 1), ("BTC-26MAR27-100000-C", "buy", 1)]
    rr = risk_reversal("BTC", "29JAN27", [D(90_000), D(110_000)], D(1), lst)
    assert _legs(rr) == [("BTC-29JAN27-90000-P", "sell", 1), ("BTC-29JAN27-110000-C", "buy", 1)]


async def test_build_when_dispatched_by_kind_then_same_as_the_builder() -> None:
    lst = await listing()
    assert _legs(build(StrategyKind.IRON_CONDOR, "BTC", ["27DEC26"], K, D(1), lst)) == \
        _legs(iron_condor("BTC", "27DEC26", K, D(1), lst))
    bear = build(StrategyKind.VERTICAL, "BTC", ["27DEC26"], [D(100_000), D(110_000)], D(1), lst,
                 Side.SELL, OptionRight.CALL)
    assert bear.label == "bear call vertical" and bear.legs[0].side is Side.SELL
    with pytest.raises(InvalidStrategy) as error:
        build(StrategyKind.VERTICAL, "BTC", ["27DEC26"], [D(100_000), D(110_000)], D(1), lst)
    assert error.value.field == "right"


@pytest.mark.parametrize(("strikes", "rule"), [
    ([D(90_000), D(80_000), D(110_000), D(120_000)], "strictly ascending"),
    ([D(80_000), D(80_000), D(110_000), D(120_000)], "strictly ascending"),
    ([D(80_000), D(90_000), D(110_000)], "needs 4 strikes"),
    ([D(-1), D(90_000), D(110_000), D(120_000)], "positive"),
])
async def test_iron_condor_when_strikes_break_a_rule_then_error_names_strikes(
        strikes: list[Decimal], rule: str) -> None:
    with pytest.raises(InvalidStrategy) as error:
        iron_condor("BTC", "27DEC26", strikes, D(1), await listing())
    assert error.value.field == "strikes" and rule in error.value.reason
    assert isinstance(error.value, InvalidValue)  # one error root with the rest of the engine


async def test_builder_when_strike_not_listed_then_not_listed_with_nearest_strikes() -> None:
    with pytest.raises(NotListed) as error:
        straddle("BTC", "27DEC26", D(101_000), D(1), await listing())
    assert error.value.field == "strikes"
    assert "BTC-27DEC26-101000-C is not listed" in error.value.reason
    assert "100000" in error.value.reason and "105000" in error.value.reason


async def test_builder_when_expiry_is_bad_then_error_names_expiry() -> None:
    lst = await listing()
    for text, rule in (("31NOV26", "not a calendar date"), ("27XYZ26", "not a Deribit expiry"),
                       ("20NOV26", "already expired"), ("25NOV26", "already expired")):
        with pytest.raises(InvalidStrategy) as error:
            straddle("BTC", text, D(100_000), D(1), lst)
        assert (error.value.field, rule in error.value.reason) == ("expiry", True), text
    with pytest.raises(NotListed) as missing:
        straddle("BTC", "30DEC26", D(100_000), D(1), lst)
    assert missing.value.field == "expiry" and "27DEC26" in missing.value.reason
    with pytest.raises(InvalidStrategy) as order:
        calendar("BTC", ["26MAR27", "27DEC26"], D(100_000), D(1), lst)
    assert order.value.field == "expiry" and "must come after" in order.value.reason


async def test_builder_when_quantity_or_underlying_is_bad_then_error_names_it() -> None:
    lst = await listing()
    for qty in (D(0), D(-1), D("NaN")):
        with pytest.raises(InvalidStrategy) as error:
            strangle("BTC", "27DEC26", [D(90_000), D(110_000)], qty, lst)
        assert error.value.field == "qty"
    with pytest.raises(InvalidStrategy) as wrong:
        straddle("ETH", "27DEC26", D(100_000), D(1), lst)
    assert wrong.value.field == "underlying" and "listed: BTC" in wrong.value.reason


async def test_expiry_when_it_passes_on_the_listing_clock_then_refused() -> None:
    b = board()
    late = Listing(await b.listing("BTC"), parse_expiry("27DEC26"))
    with pytest.raises(InvalidStrategy) as error:
        straddle("BTC", "27DEC26", D(100_000), D(1), late)
    assert error.value.field == "expiry"
    assert straddle("BTC", "29JAN27", D(100_000), D(1), late).legs  # the next one still trades
    assert parse_expiry("27DEC26") > NOW_NS


def test_deribit_names_when_round_tripped_then_identical() -> None:
    for name in ("BTC-27DEC26-90000-C", "ETH-5JAN27-3250-P", "BTC-26MAR27-1d5-C"):
        assert deribit_name(from_deribit_name(name)) == name
    assert format_expiry(parse_expiry("5JAN27")) == "5JAN27"
    assert from_deribit_name("BTC-27DEC26-90000-C").id == "BTC/USD-20261227-90000-C"
    with pytest.raises(InvalidStrategy):
        from_deribit_name("BTC-PERPETUAL")
