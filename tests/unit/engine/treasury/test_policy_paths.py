"""The policy file's rules and the paths built from it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import InvalidValue
from engine.treasury import Holding, PathKind
from engine.treasury.paths import build_paths, plan_request, required
from engine.treasury.policy import load_policy
from engine.treasury.state import InFlight, TreasuryState

POLICY = """
max_seconds = 600
[assets.USDC]
price = "1"
decimals = 6
[[wallets]]
name = "safe"
address = "0x00000000000000000000000000000000000000aa"
[[venues]]
name = "simex"
url = "http://127.0.0.1:1"
deposit_chains = [1]
withdrawal_fee = { USDC = "1" }
[[targets]]
location = "simex"
asset = "USDC"
target = "100"
buffer = "10"
[gas]
gas_price_gwei = "10"
native_price = "2000"
"""


def _policy(tmp_path: Path, text: str = POLICY) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_paths_and_request_when_venue_takes_deposits_on_one_chain_then_only_there(
    tmp_path: Path,
) -> None:
    policy = load_policy(_policy(tmp_path))
    holdings = {Holding("safe", 1, "USDC"), Holding("safe", 2, "USDC"),
                Holding("simex", None, "USDC")}
    paths = {(p.kind, p.source.chain_id, p.destination.chain_id): p
             for p in build_paths(policy, holdings)}
    assert set(paths) == {(PathKind.BRIDGE, 1, 2), (PathKind.BRIDGE, 2, 1),
                          (PathKind.CEX_DEPOSIT, 1, None), (PathKind.CEX_WITHDRAWAL, None, 1)}
    assert paths[(PathKind.CEX_WITHDRAWAL, None, 1)].fixed_fee == 1
    # 65,000 gas at 10 gwei and 2,000 per ether.
    assert paths[(PathKind.CEX_DEPOSIT, 1, None)].gas_cost == Decimal("1.3")
    assert required(policy, Holding("simex", None, "USDC")) == 110
    assert required(policy, Holding("safe", 1, "USDC")) == 0

    state = TreasuryState(
        {h: Decimal(50) for h in holdings},
        (InFlight("0x01", 2, Holding("safe", 1, "USDC"), Decimal(7), "seen"),))
    request = plan_request(policy, state)
    balances = {p.holding: p.balance for p in request.positions}
    assert balances[Holding("safe", 1, "USDC")] == 57  # in flight counts as arrived
    assert request.max_seconds == 600


def test_load_policy_when_key_is_unknown_then_invalid_value_names_the_file(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidValue, match=r"(?s)policy .*policy\.toml.*colour"):
        load_policy(_policy(tmp_path, POLICY + 'colour = "blue"\n'))


def test_load_policy_when_target_names_unknown_location_then_refused(tmp_path: Path) -> None:
    text = POLICY.replace('location = "simex"', 'location = "nowhere"')
    with pytest.raises(InvalidValue, match="unknown location nowhere"):
        load_policy(_policy(tmp_path, text))
