"""The paths a plan may use, built from the devnet and the policy.

- Bridge: each wallet's asset between every ordered pair of its chains (lock-and-mint: the
  policy's bridge fee rate and time, the lock's gas on the source chain).
- CEX deposit: a wallet's asset on a chain the venue takes deposits on, to the venue (an ERC-20
  transfer's gas).
- CEX withdrawal: from the venue to the wallet on such a chain (the venue's withdrawal fee, cap
  and time).
- Exchange rail (`exchange_rail_paths`): the same two kinds with the venue's own terms instead of
  the policy's: the withdrawal fee, minimum and maximum of each (coin, network) from its
  config/getall, and `minConfirm` x block time (+ processing) as the time. `build_paths` uses
  them, for the venues they name, in place of the policy's static values.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal

from chain.bridge.lockmint import LOCK_GAS
from connectors.cex.capital import NetworkTerms
from connectors.cex.rail import RailChain
from engine.treasury.planner import Holding, Path, PathKind, PlanRequest, Position
from engine.treasury.policy import GasPolicy, TreasuryPolicy
from engine.treasury.state import TreasuryState


def build_paths(policy: TreasuryPolicy, holdings: set[Holding],
                rail_paths: Sequence[Path] = ()) -> list[Path]:
    """Every path between two of `holdings` that the policy and the devnet allow; a venue
    that `rail_paths` (see `exchange_rail_paths`) serves uses those instead of the policy's."""
    gas = policy.gas
    railed = {end.location for p in rail_paths for end in (p.source, p.destination)
              if end.chain_id is None}
    paths: list[Path] = []
    wallet_holdings = [h for h in holdings if h.chain_id is not None]
    for a, b in itertools.permutations(sorted(wallet_holdings), 2):
        if a.location == b.location and a.asset == b.asset:
            paths.append(Path(f"bridge {a} -> {b}", PathKind.BRIDGE, a, b,
                              fee_rate=gas.bridge_fee_rate, gas_cost=gas.cost_of(LOCK_GAS),
                              seconds=gas.bridge_seconds))
    for venue in policy.venues:
        if venue.name in railed:
            continue
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
    return paths + [p for p in rail_paths if p.source in holdings and p.destination in holdings]


def exchange_rail_paths(venue: str, chains: Sequence[RailChain],
                        terms: Mapping[tuple[str, str], NetworkTerms], holdings: set[Holding],
                        gas: GasPolicy, processing_s: int = 5) -> list[Path]:
    """Deposit and withdrawal paths between `venue`'s account and every wallet holding on a
    chain the venue serves, priced with the venue's own terms (`ExchangeRail.terms()`)."""
    by_chain = {c.chain_id: c for c in chains}
    paths: list[Path] = []
    for wallet in sorted(h for h in holdings if h.chain_id is not None):
        chain = by_chain.get(wallet.chain_id)  # type: ignore[arg-type]
        account = Holding(venue, None, wallet.asset)
        rail = terms.get((wallet.asset, chain.network)) if chain is not None else None
        if chain is None or rail is None or account not in holdings:
            continue
        seconds = rail.min_confirm * chain.block_time_s + processing_s
        if rail.deposit_enabled:
            paths.append(Path(f"deposit {wallet} -> {account}", PathKind.CEX_DEPOSIT, wallet,
                              account, gas_cost=gas.cost_of(gas.transfer_gas),
                              seconds=seconds))
        if rail.withdraw_enabled:
            paths.append(Path(f"withdraw {account} -> {wallet}", PathKind.CEX_WITHDRAWAL,
                              account, wallet, fixed_fee=rail.withdraw_fee, seconds=seconds,
                              cap=rail.withdraw_max + rail.withdraw_fee,
                              min_amount=rail.withdraw_min + rail.withdraw_fee))
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
