"""World files: validation with messages that name the problem, and the pool price geometry."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from chain.world import (
    align_tick,
    load_world,
    raw_price,
    sqrt_price_x96_for,
    tick_offset_for_pct,
)


def test_load_world_when_default_then_weth_usdc_has_v2_and_two_v3_fee_tiers() -> None:
    world = load_world()
    market = next(m for m in world.markets if m.symbol == "WETH/USDC")
    assert world.tokens["USDC"].decimals == 6 and world.tokens["WBTC"].decimals == 8
    assert market.v2_base_liquidity is not None
    assert sorted(pool.fee for pool in market.v3) == [500, 3000]
    assert world.wrapped_native_symbol == "WETH"


def test_with_price_when_market_exists_then_only_that_market_moves() -> None:
    world = load_world().with_price("WETH/USDC", Decimal("2500"))
    prices = {m.symbol: m.price for m in world.markets}
    assert prices["WETH/USDC"] == Decimal("2500")
    assert prices["WBTC/USDC"] == load_world().markets[1].price


def test_with_price_when_market_unknown_then_value_error_names_it() -> None:
    with pytest.raises(ValueError, match="no market DOGE/USDC"):
        load_world().with_price("DOGE/USDC", Decimal(1))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[tokens.WETH]\ndecimals = 18\nwrapped_native = true\n[tokens.USDC]\ndecimals = 6\n'
         '[[markets]]\nbase = "WETH"\nquote = "USDC"\nprice = "3000"\n'
         '[[markets.v3]]\nfee = 100\nranges = [{lower_pct="-1", upper_pct="1", '
         'base_liquidity="1"}]\n', "fee must be one of"),
        ('[tokens.WETH]\ndecimals = 18\nwrapped_native = true\n[tokens.USDC]\ndecimals = 6\n'
         '[[markets]]\nbase = "WETH"\nquote = "USDC"\nprice = "3000"\n'
         '[[markets.v3]]\nfee = 500\nranges = [{lower_pct="1", upper_pct="2", '
         'base_liquidity="1"}]\n', "lower_pct < 0 < upper_pct"),
        ('[tokens.USDC]\ndecimals = 6\n', "exactly one token must be wrapped_native"),
        ('[tokens.WETH]\ndecimals = 18\nwrapped_native = true\ncolour = "blue"\n',
         "colour"),
    ],
)
def test_load_world_when_invalid_then_validation_error_names_the_rule(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "world.toml"
    path.write_text(body)
    with pytest.raises(ValidationError, match=message):
        load_world(path)


def test_sqrt_price_x96_when_price_is_one_then_exactly_q96() -> None:
    assert sqrt_price_x96_for(Decimal(1)) == 2**96


def test_sqrt_price_x96_when_weth_usdc_at_3000_then_squares_back_to_the_raw_price() -> None:
    raw = raw_price(Decimal(3000), base_decimals=18, quote_decimals=6)
    sqrt_x96 = sqrt_price_x96_for(raw)
    # Rounded down: the square is at most the price, and one more unit overshoots it.
    assert Decimal(sqrt_x96**2) / Decimal(2**192) <= raw
    assert Decimal((sqrt_x96 + 1) ** 2) / Decimal(2**192) > raw


def test_align_tick_when_negative_then_rounds_toward_minus_infinity() -> None:
    assert align_tick(-1, 60) == -60
    assert align_tick(-60, 60) == -60
    assert align_tick(59, 60) == 0


def test_tick_offset_when_plus_one_percent_then_about_99_ticks() -> None:
    assert tick_offset_for_pct(Decimal(1)) == 99  # 1.0001^99.5 ~= 1.01
    assert tick_offset_for_pct(Decimal(-1)) == -101
