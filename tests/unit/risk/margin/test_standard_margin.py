"""Standard margin: Deribit's standard-mode option rules, Binance's tiered perpetual maintenance
and its USDⓈ-M liquidation formula on worked cases, and the desk's smallest breaching move."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from risk.errors import InvalidRiskInput
from risk.margin import (
    MarketData,
    PerpetualPosition,
    Portfolio,
    SpotBalance,
    StandardMarginConfig,
    breach_moves,
    liquidation_price,
    maintenance_amounts,
    perp_maintenance_margin,
)
from risk.margin.standard import option_standard_margin, tier_for

TIERS = StandardMarginConfig().perp_tiers
MARKET = MarketData({"BTC": Decimal(100_000)})


def perp(quantity: str, entry: str = "100000") -> PerpetualPosition:
    return PerpetualPosition("binance", "BTCUSDT", "BTC", Decimal(quantity), Decimal(entry))


def test_maintenance_amounts_when_binance_btcusdt_brackets_then_published_cum_values() -> None:
    # Binance's bracket table lists these maintenance amounts; 16,300 is in its worked example.
    assert maintenance_amounts(TIERS)[:6] == (0, 50, 1_300, 16_300, 141_300, 1_141_300)


def test_perp_maintenance_when_binance_worked_example_then_matches() -> None:
    # Binance FAQ example: BTCUSDT maintenance = 3,500,032.458 x 2.50% - 16,300.
    assert perp_maintenance_margin(Decimal("3500032.458"), TIERS) == Decimal("71200.81145")


def test_perp_maintenance_when_at_a_bracket_floor_then_continuous() -> None:
    below = perp_maintenance_margin(Decimal("999999.99"), TIERS)
    at = perp_maintenance_margin(Decimal("1000000"), TIERS)
    assert tier_for(Decimal("999999.99"), TIERS) == 2 and tier_for(Decimal(1_000_000), TIERS) == 3
    assert abs(at - below) < Decimal("0.01")


def test_isolated_long_when_first_bracket_then_liquidates_where_equity_meets_maintenance() -> None:
    # 0.4 BTC at 100,000 with 4,000 margin (10x): notional ~36k stays in the first bracket
    # (0.4%, cum 0): LP = (WB + cum - Q EP) / (Q MMR - Q) = (4,000 - 40,000) / (0.0016 - 0.4).
    price = liquidation_price(perp("0.4"), Decimal(4_000), TIERS)
    assert price == Decimal(-36_000) / Decimal("-0.3984")
    assert price is not None and round(price, 2) == Decimal("90361.45")
    equity = Decimal(4_000) + Decimal("0.4") * (price - Decimal(100_000))
    assert equity == pytest.approx(Decimal("0.4") * price * Decimal("0.004"))


def test_isolated_long_when_second_bracket_then_its_rate_and_cum_apply() -> None:
    # 1 BTC: notional ~90k is in the 50k-250k bracket (0.5%, cum 50).
    price = liquidation_price(perp("1"), Decimal(10_000), TIERS)
    assert price == Decimal(-89_950) / Decimal("-0.995")
    assert price is not None and round(price, 2) == Decimal("90402.01")
    equity = Decimal(10_000) + (price - Decimal(100_000))
    assert equity == pytest.approx(price * Decimal("0.005") - 50)


def test_isolated_short_when_10x_then_liquidates_above_entry() -> None:
    price = liquidation_price(perp("-1"), Decimal(10_000), TIERS)
    assert price == Decimal(110_050) / Decimal("1.005")
    assert price is not None and round(price, 2) == Decimal("109502.49")


def test_isolated_long_when_2m_notional_then_uses_the_25pct_bracket_and_its_cum() -> None:
    # 20 BTC: notional at liquidation ~1.83M is in the 1M-5M bracket (2.5%, cum 16,300).
    price = liquidation_price(perp("20"), Decimal(200_000), TIERS)
    assert price == (Decimal(200_000) + 16_300 - 2_000_000) / (20 * Decimal("0.025") - 20)
    assert price is not None and tier_for(price * 20, TIERS) == 3


def test_cross_long_when_other_contracts_then_their_margin_and_pnl_count() -> None:
    price = liquidation_price(perp("1"), Decimal(50_000), TIERS,
                              other_maintenance=Decimal(2_000),
                              other_unrealized_pnl=Decimal(-3_000))
    assert price == Decimal(-54_950) / Decimal("-0.995")  # 50k-250k bracket: 0.5%, cum 50


def test_liquidation_when_long_is_fully_collateralised_then_none() -> None:
    assert liquidation_price(perp("1"), Decimal(200_000), TIERS) is None


def test_liquidation_when_flat_then_refuses() -> None:
    with pytest.raises(InvalidRiskInput, match="quantity"):
        liquidation_price(perp("0"), Decimal(1_000), TIERS)


def test_deribit_standard_option_margin_when_short_calls_and_puts_then_published_rules() -> None:
    index = np.full(4, 100_000.0)
    strike = np.array([110_000.0, 100_000.0, 90_000.0, 90_000.0])
    mark = np.array([1_000.0, 5_000.0, 800.0, 800.0])
    is_call = np.array([True, True, False, False])
    quantity = np.array([-1.0, -2.0, -1.0, 3.0])  # the last is long: no margin
    im, mm = option_standard_margin(index, strike, mark, is_call, quantity,
                                    StandardMarginConfig())
    # OTM call: max(0.15 - 0.1, 0.1) x index + mark; ATM call: 0.15 x index + mark, twice.
    assert im.tolist() == pytest.approx([11_000.0, 40_000.0, 10_800.0, 0.0])
    # Call MM: 0.075 x index + mark; put MM: max(0.075 x index, 0.075 x mark) + mark.
    assert mm.tolist() == pytest.approx([8_500.0, 25_000.0, 8_300.0, 0.0])


def test_breach_move_when_long_perp_on_cash_then_equals_its_cross_liquidation_price() -> None:
    portfolio = Portfolio(spot=(SpotBalance("binance", "USDT", Decimal(10_000)),),
                          perpetuals=(perp("1"),))
    (btc,) = breach_moves(portfolio, MARKET)
    lp = liquidation_price(perp("1"), Decimal(10_000), TIERS)
    assert lp is not None
    assert btc.down == pytest.approx(float(lp) / 100_000 - 1, abs=1e-9)
    assert btc.down == pytest.approx(-9_550 / 99_500, abs=1e-9)  # 10,000 + 1e5 m = 450 + 500 m
    assert btc.up is None and btc.buffer == pytest.approx(abs(btc.down))


def test_breach_move_when_already_under_maintenance_then_zero() -> None:
    portfolio = Portfolio(perpetuals=(perp("1", entry="110000"),))  # equity -10,000
    (btc,) = breach_moves(portfolio, MARKET)
    assert btc.already_breached and btc.buffer == 0.0
