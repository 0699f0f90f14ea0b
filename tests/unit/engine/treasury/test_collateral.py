"""Collateral needs from the margin engine: a venue's requirement is the margin engine's over the
positions held on that venue only, times the policy's buffer; alerts below the alert level."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from engine.treasury.collateral import (
    collateral_needs,
    margin_requirements_usd,
    plan_request_with_needs,
)
from engine.treasury.planner import Holding
from engine.treasury.policy import TreasuryPolicy, load_policy
from engine.treasury.state import TreasuryState
from risk.margin import MarginEngine, load_portfolio

PORTFOLIO = """
[market]
index = { BTC = "100000" }
[[perpetual]]
venue = "simex"
symbol = "BTCUSDT"
underlying = "BTC"
quantity = "2"
entry_price = "100000"
[[perpetual]]
venue = "elsewhere"
symbol = "BTCUSDT"
underlying = "BTC"
quantity = "-30"
entry_price = "100000"
"""
POLICY = """
[assets.USDC]
price = "1"
decimals = 6
[[wallets]]
name = "treasury"
address = "0x{wallet}"
[[venues]]
name = "simex"
url = "http://127.0.0.1:1"
deposit_chains = [31337]
[venues.collateral]
asset = "USDC"
buffer = "1.5"
alert_below = "1.2"
[[targets]]
location = "simex"
asset = "USDC"
target = "{floor}"
[margin]
portfolio = "desk.toml"
method = "standard"
"""


def _policy(tmp_path: Path, floor: int = 0) -> TreasuryPolicy:
    (tmp_path / "desk.toml").write_text(PORTFOLIO)
    (tmp_path / "policy.toml").write_text(POLICY.replace("{wallet}", "11" * 20)
                                          .replace("{floor}", str(floor)))
    return load_policy(tmp_path / "policy.toml")


def test_requirement_when_desk_has_positions_elsewhere_then_only_the_venues_count(
    tmp_path: Path
) -> None:
    policy = _policy(tmp_path)
    only_simex = load_portfolio(tmp_path / "desk.toml")
    expected = MarginEngine(
        type(only_simex.portfolio)(perpetuals=only_simex.portfolio.perpetuals[:1]),
        only_simex.market).standard_margin().initial_margin_usd
    assert margin_requirements_usd(policy) == {"simex": expected}
    assert expected > 0


def test_need_is_requirement_times_buffer_and_alerts_under_the_alert_level(
    tmp_path: Path
) -> None:
    policy = _policy(tmp_path)
    simex = Holding("simex", None, "USDC")
    state = TreasuryState({simex: Decimal(1_000), Holding("treasury", 31337, "USDC"):
                           Decimal(10_000)})
    [need] = collateral_needs(policy, state, {"simex": Decimal(2_000)})
    assert (need.requirement, need.need, need.alert_level) == (
        Decimal(2_000), Decimal(3_000), Decimal(2_400))
    assert need.alerting and need.shortfall == 2_000 and need.ratio == Decimal("0.5")
    [fine] = collateral_needs(policy, TreasuryState({simex: Decimal(2_500)}),
                              {"simex": Decimal(2_000)})
    assert not fine.alerting and fine.shortfall == 500  # above the alert level, under the need


def test_plan_target_is_the_larger_of_static_floor_and_margin_need(tmp_path: Path) -> None:
    simex = Holding("simex", None, "USDC")
    state = TreasuryState({simex: Decimal(0), Holding("treasury", 31337, "USDC"): Decimal(1)})
    for floor, expected in ((0, 3_000), (5_000, 5_000)):
        policy = _policy(tmp_path, floor)
        needs = collateral_needs(policy, state, {"simex": Decimal(2_000)})
        request = plan_request_with_needs(policy, state, needs)
        [position] = [p for p in request.positions if p.holding == simex]
        assert position.target == expected
