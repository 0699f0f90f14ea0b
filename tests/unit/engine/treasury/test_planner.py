"""The planner on small cases whose cheapest plan is known by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import InvalidValue
from engine.treasury import (
    Holding,
    Path,
    PathKind,
    PlanInfeasible,
    PlanRequest,
    Position,
    plan_transfers,
)

SAFE_A = Holding("safe", 1, "USDC")
SAFE_B = Holding("safe", 2, "USDC")
SIMEX = Holding("simex", None, "USDC")
PRICES = {"USDC": Decimal(1)}
DECIMALS = {"USDC": 6}


def _paths() -> list[Path]:
    return [
        # Bridge A -> B then deposit from B: 0.1% + 0.05%, two legs of gas.
        Path("bridge", PathKind.BRIDGE, SAFE_A, SAFE_B, fee_rate=Decimal("0.001"),
             gas_cost=Decimal(2), seconds=60),
        Path("deposit-b", PathKind.CEX_DEPOSIT, SAFE_B, SIMEX, fee_rate=Decimal("0.0005"),
             gas_cost=Decimal(1), seconds=30),
        # Deposit straight from A: expensive gas, slow.
        Path("deposit-a", PathKind.CEX_DEPOSIT, SAFE_A, SIMEX, gas_cost=Decimal(25),
             seconds=900),
    ]


def _request(max_seconds: int | None = None, target: Decimal = Decimal(1000)) -> PlanRequest:
    positions = [
        Position(SAFE_A, Decimal(5000), Decimal(0)),
        Position(SAFE_B, Decimal(0), Decimal(0)),
        Position(SIMEX, Decimal(0), target),
    ]
    return PlanRequest(positions, _paths(), PRICES, DECIMALS, max_seconds)


def test_plan_when_bridge_then_deposit_is_cheaper_then_route_goes_through_the_bridge() -> None:
    plan = plan_transfers(_request())
    legs = {t.path.name: t for t in plan.transfers}
    assert set(legs) == {"bridge", "deposit-b"}
    # Enough leaves A that 1000 arrives after both proportional fees.
    assert legs["deposit-b"].received == Decimal("1000.000000")
    assert plan.final_balances[SIMEX] >= Decimal(1000)
    assert legs["deposit-b"].expected_arrival_s == 90
    assert plan.expected_completion_s == 90
    # Fees ~1.5 USDC plus 3 of gas, well under the direct path's 25.
    assert Decimal(4) < plan.cost < Decimal(5)


def test_plan_when_target_is_large_then_direct_path_wins_over_proportional_fees() -> None:
    # At 100k the bridge route's 0.15% (150) outweighs the direct path's 25 of gas.
    request = _request(target=Decimal(100_000))
    positions = [Position(SAFE_A, Decimal(200_000), Decimal(0)), *request.positions[1:]]
    plan = plan_transfers(PlanRequest(positions, request.paths, PRICES, DECIMALS))
    assert [t.path.name for t in plan.transfers] == ["deposit-a"]
    assert plan.cost == Decimal(25)


def test_plan_when_time_limit_excludes_paths_then_infeasible_names_the_shortfall() -> None:
    with pytest.raises(PlanInfeasible, match=r"simex@-:USDC short 1000"):
        plan_transfers(_request(max_seconds=45))


def test_plan_when_no_holding_is_short_then_no_transfers_and_zero_cost() -> None:
    plan = plan_transfers(_request(target=Decimal(0)))
    assert plan.transfers == () and plan.cost == 0


def test_path_when_assets_differ_then_invalid_value_names_the_path() -> None:
    with pytest.raises(InvalidValue, match="path x"):
        Path("x", PathKind.TRANSFER, SAFE_A, Holding("safe", 1, "WETH"))


def test_plan_when_path_ends_at_unknown_holding_then_invalid_value() -> None:
    request = _request()
    stray = Path("stray", PathKind.TRANSFER, SAFE_A, Holding("other", 1, "USDC"))
    with pytest.raises(InvalidValue, match="not a known holding"):
        plan_transfers(PlanRequest(request.positions, [*request.paths, stray], PRICES, DECIMALS))
