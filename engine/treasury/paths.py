"""The paths a plan may use, built from the devnet and the policy.

- Bridge: each wallet's asset between every ordered pair of its chains (lock-and-mint: the
  policy's bridge fee rate and time, the lock's gas on the source chain).
- CEX deposit: a wallet's asset on a chain the venue takes deposits on, to the venue (an ERC-20
  transfer's gas).
- CEX withdrawal: from the venue to the wallet on such a chain (the venue's withdrawal fee, cap
  and time).
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from chain.bridge.lockmint import LOCK_GAS
from engine.treasury.planner import Holding, Path, PathKind, PlanRequest, Position
from engine.treasury.policy import TreasuryPolicy
from engine.treasury.state import TreasuryState


def build_paths(policy: TreasuryPolicy, holdings: set[Holding]) -> list[Path]:
    """Every path between two of `holdings` that the policy and the devnet allow."""
    gas = policy.gas
    paths: list[Path] = []
    wallet_holdings = [h for h in holdings if h.chain_id is not None]
    for a, b in itertools.permutations(sorted(wallet_holdings), 2):
        if a.location == b.location and a.asset == b.asset:
            paths.append(Path(f"bridge {a} -> {b}", PathKind.BRIDGE, a, b,
                              fee_rate=gas.bridge_fee_rate, gas_cost=gas.cost_of(LOCK_GAS),
                              seconds=gas.bridge_seconds))
    for venue in policy.venues:
        for wallet in sorted(wallet_holdings):
            if wallet.chain_id not in venue.deposit_chains:
                continue
            account = Holding(venue.name, None, wallet.asset)
            if account not in holdings:
                continue
            paths.append(Path(f"deposit {wallet} -> {account}", PathKind.CEX_DEPOSIT, wallet,
                              account, gas_cost=gas.cost_of(gas.transfer_gas),
                              seconds=venue.deposit_seconds))
            paths.append(Path(f"withdraw {account} -> {wallet}", PathKind.CEX_WITHDRAWAL,
                              account, wallet,
                              fixed_fee=venue.withdrawal_fee.get(wallet.asset, Decimal(0)),
                              seconds=venue.withdrawal_seconds, cap=venue.withdrawal_cap))
    return paths


def required(policy: TreasuryPolicy, holding: Holding) -> Decimal:
    """What `holding` must hold: its target plus buffer, zero when the policy names none."""
    for target in policy.targets:
        if (target.location, target.asset) == (holding.location, holding.asset) and (
                target.chain is None or target.chain == holding.chain_id):
            return target.required
    return Decimal(0)


def plan_request(policy: TreasuryPolicy, state: TreasuryState) -> PlanRequest:
    """The planning problem for the current state: in-flight amounts count as arrived."""
    positions = [
        Position(holding, balance + state.arriving(holding), required(policy, holding))
        for holding, balance in sorted(state.balances.items())
    ]
    return PlanRequest(
        positions, build_paths(policy, set(state.balances)),
        prices={a: spec.price for a, spec in policy.assets.items()},
        decimals={a: spec.decimals for a, spec in policy.assets.items()},
        max_seconds=policy.max_seconds,
    )
