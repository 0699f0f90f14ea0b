"""Exchange-rail paths priced with the venue's own terms, and the planner's withdrawal minimum."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path as FilePath

import pytest

from connectors.cex import NetworkTerms, RailChain
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
from engine.treasury.paths import build_paths, exchange_rail_paths
from engine.treasury.policy import GasPolicy, load_policy

SAFE_1, SAFE_2 = Holding("safe", 1, "USDC"), Holding("safe", 2, "USDC")
SIMEX = Holding("simex", None, "USDC")
CHAINS = [RailChain(1, "DEVNET1", "http://127.0.0.1:1", {}, block_time_s=2),
          RailChain(2, "DEVNET2", "http://127.0.0.1:2", {}, block_time_s=12)]
GAS = GasPolicy(gas_price_gwei=D(10), native_price=D(2000))


def terms(network: str, fee: str, minimum: str, confirm: int, *, deposit: bool = True,
          withdraw: bool = True) -> NetworkTerms:
    return NetworkTerms("USDC", network, D(fee), D(minimum), D(100000), D("0.000001"), confirm,
                        deposit, withdraw, network == "DEVNET1", None)


TERMS = {("USDC", "DEVNET1"): terms("DEVNET1", "1", "2", 3),
         ("USDC", "DEVNET2"): terms("DEVNET2", "0.5", "10", 6, deposit=False)}


def test_rail_paths_when_built_from_venue_terms_then_fee_minimum_and_time_per_network() -> None:
    paths = {(p.kind, p.source.chain_id, p.destination.chain_id): p for p in
             exchange_rail_paths("simex", CHAINS, TERMS, {SAFE_1, SAFE_2, SIMEX}, GAS)}
    assert set(paths) == {(PathKind.CEX_DEPOSIT, 1, None), (PathKind.CEX_WITHDRAWAL, None, 1),
                          (PathKind.CEX_WITHDRAWAL, None, 2)}  # chain 2 takes no deposits
    out_1, out_2 = paths[(PathKind.CEX_WITHDRAWAL, None, 1)], paths[
        (PathKind.CEX_WITHDRAWAL, None, 2)]
    assert (out_1.fixed_fee, out_1.min_amount, out_1.seconds) == (D(1), D(3), 3 * 2 + 5)
    assert (out_2.fixed_fee, out_2.min_amount, out_2.seconds) == (D("0.5"), D("10.5"),
                                                                   6 * 12 + 5)
    assert paths[(PathKind.CEX_DEPOSIT, 1, None)].gas_cost == D("1.3")  # 65k gas, 10 gwei
    assert exchange_rail_paths("simex", CHAINS, TERMS, {SAFE_1, SAFE_2}, GAS) == []


def test_build_paths_when_a_venue_has_rail_paths_then_they_replace_the_policy_ones(
        tmp_path: FilePath) -> None:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text("""
[assets.USDC]
price = "1"
decimals = 6
[[wallets]]
name = "safe"
address = "0x00000000000000000000000000000000000000aa"
[[venues]]
name = "simex"
url = "http://127.0.0.1:1"
deposit_chains = [1, 2]
withdrawal_fee = { USDC = "7" }
""")
    policy = load_policy(policy_file)
    holdings = {SAFE_1, SAFE_2, SIMEX}
    static = [p for p in build_paths(policy, holdings) if p.kind is PathKind.CEX_WITHDRAWAL]
    assert {p.fixed_fee for p in static} == {D(7)}
    rails = exchange_rail_paths("simex", CHAINS, TERMS, holdings, policy.gas)
    venue_paths = [p for p in build_paths(policy, holdings, rails)
                   if p.kind is not PathKind.BRIDGE]
    assert sorted(p.name for p in venue_paths) == sorted(p.name for p in rails)
    assert {p.fixed_fee for p in venue_paths if p.kind is PathKind.CEX_WITHDRAWAL} == {
        D(1), D("0.5")}


def _request(paths: list[Path], need: D) -> PlanRequest:
    positions = [Position(SIMEX, D(1000), D(0)), Position(SAFE_1, D(0), need)]
    return PlanRequest(positions, paths, {"USDC": D(1)}, {"USDC": 6})


def test_plan_when_need_is_below_the_withdrawal_minimum_then_sends_the_minimum() -> None:
    withdraw = Path("withdraw", PathKind.CEX_WITHDRAWAL, SIMEX, SAFE_1, fixed_fee=D(1),
                    min_amount=D(3))
    [leg] = plan_transfers(_request([withdraw], D("0.5"))).transfers
    # Any amount from the minimum up costs the same fixed fee (the planner has no tie-break
    # towards the smallest), so the minimum is what is checked.
    assert leg.amount >= D(3) and leg.received == leg.amount - 1 and leg.cost == D(1)

    unbounded = Path("withdraw", PathKind.CEX_WITHDRAWAL, SIMEX, SAFE_1, fixed_fee=D(1),
                     cap=D("2.5"))
    [leg] = plan_transfers(_request([unbounded], D("0.5"))).transfers
    assert leg.amount <= D("2.5")  # without a minimum, the cap alone bounds it
    capped = Path("withdraw", PathKind.CEX_WITHDRAWAL, SIMEX, SAFE_1, fixed_fee=D(1),
                  min_amount=D(3), cap=D("2.5"))
    with pytest.raises(PlanInfeasible):  # the minimum is enforced: 2.5 would have done
        plan_transfers(_request([capped], D("0.5")))


def test_plan_when_minimum_exceeds_the_cap_then_the_path_is_unusable() -> None:
    withdraw = Path("withdraw", PathKind.CEX_WITHDRAWAL, SIMEX, SAFE_1, fixed_fee=D(1),
                    min_amount=D(30), cap=D(20))
    with pytest.raises(PlanInfeasible, match="safe@1:USDC short"):
        plan_transfers(_request([withdraw], D(5)))


def test_path_when_min_amount_negative_then_invalid_value_names_it() -> None:
    with pytest.raises(InvalidValue, match="min_amount"):
        Path("withdraw", PathKind.CEX_WITHDRAWAL, SIMEX, SAFE_1, min_amount=D(-1))
