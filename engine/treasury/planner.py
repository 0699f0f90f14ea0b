"""The treasury planner: the cheapest set of transfers that brings every holding to its target.

Holdings are nodes `(location, chain, asset)`: a wallet or Safe on a chain, or an exchange account
(chain `None`). Paths are directed edges between two nodes of the same asset: a bridge, a CEX
deposit or withdrawal, an on-chain transfer. Each path has

- `fee_rate`: the fraction of the amount sent that the path keeps (bridge or trading fee);
- `fixed_fee`: asset units the path keeps whenever it is used (an exchange's withdrawal fee);
- `gas_cost`: the cost, in the valuation currency, of using it at all (gas on each leg);
- `seconds`: how long it takes; a path slower than the plan's `max_seconds` is not used;
- `cap`: the most that may be sent through it (an exchange's withdrawal limit, bridge liquidity);
- `min_amount`: the least that may be sent through it when used (an exchange's withdrawMin plus
  its fee: a withdrawal below it is refused).

The programme, per asset (assets never convert into one another, so each asset is solved on its
own; `decompose=False` solves all at once, which the benchmark uses as its baseline):

    minimise    sum_e price_e * (fee_rate_e * f_e + fixed_fee_e * y_e) + gas_cost_e * y_e
    subject to  balance_n + sum_{e into n} ((1 - fee_rate_e) f_e - fixed_fee_e y_e)
                          - sum_{e out of n} f_e  >=  target_n          for every node n
                low_e * y_e <= f_e <= cap_e * y_e,   y_e in {0, 1}

where f_e is what is sent through path e, y_e whether it is used and low_e the larger of
its fixed fee and its minimum amount. What a path keeps is valued
at the asset's price, so the objective is the money the plan costs. With no fixed costs anywhere
the binaries are dropped and this is a linear programme (`scipy.optimize.linprog`, HiGHS);
otherwise a mixed-integer one (`scipy.optimize.milp`). Amounts are `Decimal` at the edges and
float64 inside the solver; sent amounts are rounded up and received amounts down to the asset's
decimals, so a rounded plan never delivers less than the solver's.

A path's `seconds` bound each leg separately; a multi-hop route (withdraw, bridge, deposit) is
reported with its arrival time along the route (`expected_arrival_s`) but the bound is per leg.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np

# scipy ships no type stubs.
from scipy.optimize import Bounds, LinearConstraint, linprog, milp  # type: ignore[import-untyped]
from scipy.sparse import coo_array, diags, hstack  # type: ignore[import-untyped]

from engine.errors import InvalidValue, TerminalError

# Solver tolerance: flows below this many asset units are treated as zero.
_FLOW_EPSILON = 1e-9


class PlanInfeasible(TerminalError):
    """No set of transfers over the given paths reaches every target."""

    def __init__(self, asset: str, detail: str) -> None:
        self.asset = asset
        super().__init__(f"no plan reaches every {asset} target: {detail}")


class PathKind(enum.Enum):
    """How a path moves an asset."""

    BRIDGE = "bridge"
    CEX_DEPOSIT = "cex_deposit"
    CEX_WITHDRAWAL = "cex_withdrawal"
    TRANSFER = "transfer"  # on one chain, wallet to wallet


@dataclass(frozen=True, order=True)
class Holding:
    """Where an asset is held: a location (venue or wallet name) on a chain (None for a venue)."""

    location: str
    chain_id: int | None
    asset: str

    def __str__(self) -> str:
        chain = "-" if self.chain_id is None else str(self.chain_id)
        return f"{self.location}@{chain}:{self.asset}"


@dataclass(frozen=True)
class Position:
    """A holding's current balance and the least it must hold after the plan (its target)."""

    holding: Holding
    balance: Decimal
    target: Decimal


@dataclass(frozen=True)
class Path:
    """One way to move an asset from one holding to another (see the module docstring)."""

    name: str
    kind: PathKind
    source: Holding
    destination: Holding
    fee_rate: Decimal = Decimal(0)
    fixed_fee: Decimal = Decimal(0)
    gas_cost: Decimal = Decimal(0)
    seconds: int = 0
    cap: Decimal | None = None
    min_amount: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if self.source.asset != self.destination.asset:
            raise InvalidValue(f"path {self.name}", "source and destination hold one asset")
        if self.source == self.destination:
            raise InvalidValue(f"path {self.name}", "source and destination differ")
        if not Decimal(0) <= self.fee_rate < Decimal(1):
            raise InvalidValue(f"path {self.name}.fee_rate", "must be in [0, 1)")
        for field, value in (("fixed_fee", self.fixed_fee), ("gas_cost", self.gas_cost),
                             ("min_amount", self.min_amount)):
            if value < 0:
                raise InvalidValue(f"path {self.name}.{field}", "must not be negative")
        if self.seconds < 0:
            raise InvalidValue(f"path {self.name}.seconds", "must not be negative")
        if self.cap is not None and self.cap <= 0:
            raise InvalidValue(f"path {self.name}.cap", "must be positive when given")

    @property
    def has_fixed_cost(self) -> bool:
        return self.fixed_fee > 0 or self.gas_cost > 0 or self.min_amount > 0


@dataclass(frozen=True)
class PlannedTransfer:
    """One leg of the plan: send `amount` over `path`, `received` arrives."""

    path: Path
    amount: Decimal
    received: Decimal
    cost: Decimal  # in the valuation currency
    expected_arrival_s: int  # from the start of the plan, along the route this leg is part of


@dataclass(frozen=True)
class TreasuryPlan:
    """The cheapest transfers found, their total cost and every holding's balance afterwards."""

    transfers: tuple[PlannedTransfer, ...]
    cost: Decimal
    final_balances: dict[Holding, Decimal]

    @property
    def expected_completion_s(self) -> int:
        return max((t.expected_arrival_s for t in self.transfers), default=0)


@dataclass(frozen=True)
class PlanRequest:
    """What to plan: positions, paths, asset prices and decimals, and the time limit."""

    positions: Sequence[Position]
    paths: Sequence[Path]
    prices: dict[str, Decimal]  # valuation currency per unit of asset
    decimals: dict[str, int]
    max_seconds: int | None = None


def plan_transfers(request: PlanRequest, decompose: bool = True) -> TreasuryPlan:
    """Find the minimum-cost transfers bringing every position to its target."""
    _validate(request)
    paths = [p for p in request.paths
             if request.max_seconds is None or p.seconds <= request.max_seconds]
    groups: dict[str, tuple[list[Position], list[Path]]] = defaultdict(lambda: ([], []))
    for position in request.positions:
        key = position.holding.asset if decompose else "*"
        groups[key][0].append(position)
    for path in paths:
        key = path.source.asset if decompose else "*"
        groups[key][1].append(path)
    flows: dict[Path, float] = {}
    for key, (positions, group_paths) in sorted(groups.items()):
        flows.update(_solve(key, positions, group_paths, request.prices))
    return _plan_from_flows(request, flows)


def _validate(request: PlanRequest) -> None:
    holdings = {p.holding for p in request.positions}
    if len(holdings) != len(request.positions):
        raise InvalidValue("positions", "each holding appears once")
    for position in request.positions:
        asset = position.holding.asset
        if asset not in request.prices or asset not in request.decimals:
            raise InvalidValue(f"prices[{asset}]", "every asset needs a price and decimals")
        if position.balance < 0 or position.target < 0:
            raise InvalidValue(f"position {position.holding}", "balance and target >= 0")
    for path in request.paths:
        for end in (path.source, path.destination):
            if end not in holdings:
                raise InvalidValue(f"path {path.name}", f"{end} is not a known holding")


def _solve(
    asset: str, positions: list[Position], paths: list[Path], prices: dict[str, Decimal]
) -> dict[Path, float]:
    """Solve one group's programme and return the flow on every path used."""
    index = {p.holding: i for i, p in enumerate(positions)}
    n_edges = len(paths)
    if n_edges == 0:
        _check_no_shortfall(asset, positions)
        return {}
    fixed = any(p.has_fixed_cost for p in paths)
    supply = sum(float(p.balance) for p in positions)
    price = np.array([float(prices[p.source.asset]) for p in paths])
    fee = np.array([float(p.fee_rate) for p in paths])
    fixed_fee = np.array([float(p.fixed_fee) for p in paths])
    low = np.array([float(max(p.fixed_fee, p.min_amount)) for p in paths])
    gas = np.array([float(p.gas_cost) for p in paths])
    cap = np.array([supply if p.cap is None else min(float(p.cap), supply) for p in paths])
    rows, cols, vals = [], [], []
    for e, path in enumerate(paths):
        rows += [index[path.source], index[path.destination]]
        cols += [e, e]
        vals += [-1.0, 1.0 - fee[e]]
    n_nodes = len(positions)
    flow_matrix = coo_array((vals, (rows, cols)), shape=(n_nodes, n_edges)).tocsr()
    # Net inflow must cover each node's shortfall: balance + net_in >= target.
    need = np.array([float(p.target - p.balance) for p in positions])
    if not fixed:
        result = linprog(
            price * fee, A_ub=-flow_matrix, b_ub=-need,
            bounds=np.column_stack([np.zeros(n_edges), cap]), method="highs",
        )
        x = result.x if result.status == 0 else None
    else:
        fixed_rows = coo_array(
            (-fixed_fee, (rows[1::2], list(range(n_edges)))), shape=(n_nodes, n_edges)
        ).tocsr()
        conservation = hstack([flow_matrix, fixed_rows])
        # A used path carries at least its fixed fee (and minimum) and at most its cap:
        # f_e - cap_e y_e <= 0 and f_e - low_e y_e >= 0.
        constraints = [
            LinearConstraint(conservation, lb=need, ub=np.inf),
            LinearConstraint(hstack([diags(np.ones(n_edges)), diags(-cap)]), lb=-np.inf, ub=0.0),
            LinearConstraint(hstack([diags(np.ones(n_edges)), diags(-low)]), lb=0.0,
                             ub=np.inf),
        ]
        cost = np.concatenate([price * fee, price * fixed_fee + gas])
        integrality = np.concatenate([np.zeros(n_edges), np.ones(n_edges)])
        bounds = Bounds(np.zeros(2 * n_edges), np.concatenate([cap, np.ones(n_edges)]))
        result = milp(cost, constraints=constraints, integrality=integrality, bounds=bounds)
        x = result.x if result.status == 0 else None
    if x is None:
        raise PlanInfeasible(asset, _shortfall_detail(positions, result.message))
    return {path: float(x[e]) for e, path in enumerate(paths) if x[e] > _FLOW_EPSILON}


def _check_no_shortfall(asset: str, positions: list[Position]) -> None:
    short = [p for p in positions if p.balance < p.target]
    if short:
        raise PlanInfeasible(asset, _shortfall_detail(short, "no path reaches them"))


def _shortfall_detail(positions: list[Position], reason: str) -> str:
    short = [f"{p.holding} short {p.target - p.balance}" for p in positions
             if p.balance < p.target]
    return f"{'; '.join(short) or 'targets exceed what the paths can deliver'} ({reason})"


def _plan_from_flows(request: PlanRequest, flows: dict[Path, float]) -> TreasuryPlan:
    balances = {p.holding: p.balance for p in request.positions}
    arrival = _arrival_times(flows)
    transfers = []
    total = Decimal(0)
    for path, flow in sorted(flows.items(), key=lambda item: item[0].name):
        quantum = Decimal(1).scaleb(-request.decimals[path.source.asset])
        amount = Decimal(repr(flow)).quantize(quantum, rounding=ROUND_CEILING)
        received = (amount * (1 - path.fee_rate) - path.fixed_fee).quantize(
            quantum, rounding=ROUND_FLOOR)
        cost = request.prices[path.source.asset] * (amount - received) + path.gas_cost
        balances[path.source] -= amount
        balances[path.destination] += received
        total += cost
        transfers.append(PlannedTransfer(path, amount, received, cost, arrival[path]))
    return TreasuryPlan(tuple(transfers), total, balances)


def _arrival_times(flows: dict[Path, float]) -> dict[Path, int]:
    """Each used path's arrival time: its own duration after the latest arrival into its source.

    Minimum-cost flows carry no cycles with positive cost; a zero-cost cycle is cut by visiting
    each path once.
    """
    into: dict[Holding, list[Path]] = defaultdict(list)
    for path in flows:
        into[path.destination].append(path)
    memo: dict[Path, int] = {}

    def arrive(path: Path, visiting: frozenset[Path]) -> int:
        if path in memo:
            return memo[path]
        earlier = [arrive(p, visiting | {path}) for p in into[path.source] if p not in visiting]
        memo[path] = max(earlier, default=0) + path.seconds
        return memo[path]

    return {path: arrive(path, frozenset()) for path in flows}
