"""Strategy builders over random listed strikes (seeded: `derandomize=True`), checked against
each package's textbook payoff at expiry, computed here from the definition of each option:

- an iron condor is worth 0 between its short strikes and loses at most the wider wing;
- a straddle and a strangle are worth |S - K| and the distance outside the strikes;
- a bull vertical is worth between 0 and its width, rising with the spot;
- a risk reversal is worth S - K2 above the call strike and S - K1 below the put strike;
- selling a package negates every leg; unsorted strikes are refused by name.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model import OptionRight, Side
from engine.strategies import (
    InvalidStrategy,
    Listing,
    Strategy,
    iron_condor,
    risk_reversal,
    straddle,
    strangle,
    vertical,
)

from strategy_support import NOW_NS, STRIKES, board

D = Decimal
LISTING = Listing(tuple(t.instrument for t in board().tickers.values()), NOW_NS)
spots = st.integers(min_value=40_000, max_value=200_000).map(D)


def payoff(strategy: Strategy, spot: Decimal) -> Decimal:
    """Value at expiry per package, from each option's intrinsic value."""
    total = D(0)
    for leg in strategy.legs:
        strike = leg.instrument.strike
        assert strike is not None
        intrinsic = max(spot - strike, D(0)) if leg.instrument.right is OptionRight.CALL \
            else max(strike - spot, D(0))
        total += leg.side.sign * leg.ratio * intrinsic
    return total


def _sorted_strikes(count: int) -> st.SearchStrategy[list[Decimal]]:
    return st.lists(st.sampled_from(STRIKES), min_size=count, max_size=count,
                    unique=True).map(sorted)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_sorted_strikes(4), spots)
def test_iron_condor_payoff_is_zero_inside_and_bounded_by_the_wider_wing(
        strikes: list[Decimal], spot: Decimal) -> None:
    condor = iron_condor("BTC", "27DEC26", strikes, D(1), LISTING)
    k1, k2, k3, k4 = strikes
    value = payoff(condor, spot)
    assert -max(k2 - k1, k4 - k3) <= value <= 0
    if k2 <= spot <= k3:
        assert value == 0
    short = iron_condor("BTC", "27DEC26", strikes, D(1), LISTING, Side.SELL)
    assert payoff(short, spot) == -value


@settings(derandomize=True, max_examples=200, deadline=None)
@given(_sorted_strikes(2), spots)
def test_straddle_strangle_vertical_and_risk_reversal_payoffs(
        strikes: list[Decimal], spot: Decimal) -> None:
    low, high = strikes
    assert payoff(straddle("BTC", "29JAN27", low, D(1), LISTING), spot) == abs(spot - low)
    outside = max(low - spot, spot - high, D(0))
    assert payoff(strangle("BTC", "29JAN27", strikes, D(1), LISTING), spot) == outside
    for right in OptionRight:
        bull = vertical("BTC", "29JAN27", strikes, D(1), LISTING, right)
        value = payoff(bull, spot)
        # a bull call spread is worth 0..width; a bull put spread -width..0; both rise with S
        width = high - low
        assert (0 <= value <= width) if right is OptionRight.CALL else (-width <= value <= 0)
        assert payoff(bull, spot + 1000) >= value
    rr = risk_reversal("BTC", "29JAN27", strikes, D(1), LISTING)
    expected = spot - high if spot > high else spot - low if spot < low else D(0)
    assert payoff(rr, spot) == expected


@settings(derandomize=True, max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(STRIKES), min_size=4, max_size=4, unique=True))
def test_iron_condor_when_strikes_not_ascending_then_refused_by_name(
        strikes: list[Decimal]) -> None:
    if strikes == sorted(strikes):
        assert len(iron_condor("BTC", "27DEC26", strikes, D(1), LISTING).legs) == 4
        return
    with pytest.raises(InvalidStrategy) as error:
        iron_condor("BTC", "27DEC26", strikes, D(1), LISTING)
    assert error.value.field == "strikes"
