"""V2 pair math: the output the pair pays and the input it needs, rounded as the pair requires."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.uniswap import get_amount_in, get_amount_out
from chain.uniswap.v2 import InsufficientLiquidity

reserves = st.integers(min_value=10**3, max_value=2**112 - 1)


def _pair_accepts(amount_in: int, amount_out: int, reserve_in: int, reserve_out: int) -> bool:
    """UniswapV2Pair.swap's K check, in its own thousandths."""
    balance_in = (reserve_in + amount_in) * 1000 - amount_in * 3
    balance_out = (reserve_out - amount_out) * 1000
    return balance_in * balance_out >= reserve_in * reserve_out * 1000**2


def test_get_amount_out_when_known_case_then_matches_hand_computation() -> None:
    # 1 unit into a 1000:1000 pair: floor(997 * 1000 / (1000 * 1000 + 997)) = 0
    assert get_amount_out(1, 1000, 1000) == 0
    # 1e18 into 100e18 : 300_000e6 -> floor(997e18 * 300000e6 / (100e18 * 1000 + 997e18))
    # = floor(2.991e32 / 1.00997e23)
    assert get_amount_out(10**18, 100 * 10**18, 300_000 * 10**6) == 2_961_474_103


@settings(max_examples=300, derandomize=True)
@given(reserve_in=reserves, reserve_out=reserves, amount_in=st.integers(1, 2**100))
def test_get_amount_out_when_any_input_then_pair_accepts_it_and_refuses_one_more(
    reserve_in: int, reserve_out: int, amount_in: int
) -> None:
    out = get_amount_out(amount_in, reserve_in, reserve_out)
    assert _pair_accepts(amount_in, out, reserve_in, reserve_out)
    if out + 1 < reserve_out:
        assert not _pair_accepts(amount_in, out + 1, reserve_in, reserve_out)


@settings(max_examples=300, derandomize=True)
@given(reserve_in=reserves, reserve_out=reserves, fraction=st.floats(0.0001, 0.9))
def test_get_amount_in_when_any_output_then_pair_accepts_it(
    reserve_in: int, reserve_out: int, fraction: float
) -> None:
    amount_out = max(1, int(reserve_out * fraction))
    amount_in = get_amount_in(amount_out, reserve_in, reserve_out)
    assert _pair_accepts(amount_in, amount_out, reserve_in, reserve_out)


def test_get_amount_in_when_output_drains_the_pair_then_insufficient_liquidity() -> None:
    with pytest.raises(InsufficientLiquidity, match="reserve 1000"):
        get_amount_in(1000, 1000, 1000)


def test_get_amount_out_when_zero_input_then_value_error_names_the_argument() -> None:
    with pytest.raises(ValueError, match="amount_in"):
        get_amount_out(0, 1000, 1000)
