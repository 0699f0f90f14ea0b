"""Each venue's collateral need from the margin engine, and the plan request that covers it.

A venue's margin requirement is the margin engine's (`risk.margin.MarginEngine`) initial or
maintenance margin, by portfolio (scenario) or standard rules as the policy's `[margin]` says,
over the positions of the desk portfolio held on that venue (a position's `venue` field). It is
money (USD); divided by the collateral asset's price it becomes asset units. The venue's need is
that requirement times its `collateral.buffer`; what the venue must hold is the larger of the
need and any static target plus buffer the policy names for it (a static target is a floor the
desk keeps whatever the positions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from engine.errors import InvalidValue
from engine.treasury.paths import build_paths, required
from engine.treasury.planner import Holding, Path, PlanRequest, Position
from engine.treasury.policy import TreasuryPolicy
from engine.treasury.state import TreasuryState
from risk.errors import RiskError
from risk.margin import MarginEngine, Portfolio, load_portfolio


@dataclass(frozen=True)
class CollateralNeed:
    """One venue's margin requirement and need in its collateral asset, and what it holds."""

    venue: str
    asset: str
    requirement: Decimal  # the margin engine's requirement, in asset units
    need: Decimal  # requirement x buffer
    alert_level: Decimal  # requirement x alert_below
    held: Decimal  # balance plus what is arriving

    @property
    def holding(self) -> Holding:
        return Holding(self.venue, None, self.asset)

    @property
    def ratio(self) -> Decimal | None:
        """Held over requirement (None without a requirement): the venue's margin buffer."""
        return None if self.requirement == 0 else self.held / self.requirement

    @property
    def shortfall(self) -> Decimal:
        return max(Decimal(0), self.need - self.held)

    @property
    def alerting(self) -> bool:
        return self.requirement > 0 and self.held < self.alert_level


def venue_portfolio(portfolio: Portfolio, venue: str) -> Portfolio:
    """The positions of `portfolio` held on `venue` (its perpetuals, options and spot)."""
    return Portfolio(
        spot=tuple(s for s in portfolio.spot if s.venue == venue),
        perpetuals=tuple(p for p in portfolio.perpetuals if p.venue == venue),
        options=tuple(o for o in portfolio.options if o.venue == venue),
    )


def margin_requirements_usd(policy: TreasuryPolicy) -> dict[str, Decimal]:
    """Each collateral venue's margin requirement in USD, from the policy's portfolio file."""
    if policy.margin is None:
        return {}
    try:
        document = load_portfolio(policy.margin.portfolio)
    except RiskError as error:
        raise InvalidValue(f"margin.portfolio {policy.margin.portfolio}", str(error)) from error
    requirements: dict[str, Decimal] = {}
    for venue in policy.venues:
        if venue.collateral is None:
            continue
        positions = venue_portfolio(document.portfolio, venue.name)
        if not positions.perpetuals and not positions.options:
            requirements[venue.name] = Decimal(0)
            continue
        engine = MarginEngine(positions, document.market)
        margin = (engine.portfolio_margin() if policy.margin.method == "portfolio"
                  else engine.standard_margin())
        requirements[venue.name] = (margin.initial_margin_usd if policy.margin.level ==
                                    "initial" else margin.maintenance_margin_usd)
    return requirements


def collateral_needs(policy: TreasuryPolicy, state: TreasuryState,
                     requirements_usd: Mapping[str, Decimal]) -> list[CollateralNeed]:
    """Each collateral venue's requirement, need and alert level in its asset, and what it
    holds (in-flight transfers to it count as held)."""
    needs = []
    for venue in policy.venues:
        if venue.collateral is None or venue.name not in requirements_usd:
            continue
        asset = venue.collateral.asset
        spec = policy.assets[asset]
        quantum = Decimal(1).scaleb(-spec.decimals)
        requirement = (requirements_usd[venue.name] / spec.price).quantize(
            quantum, rounding=ROUND_CEILING)
        holding = Holding(venue.name, None, asset)
        held = state.balances.get(holding, Decimal(0)) + state.arriving(holding)
        needs.append(CollateralNeed(
            venue.name, asset, requirement,
            (requirement * venue.collateral.buffer).quantize(quantum, rounding=ROUND_CEILING),
            (requirement * venue.collateral.alert_below).quantize(quantum,
                                                                  rounding=ROUND_CEILING),
            held))
    return needs


def required_with_needs(policy: TreasuryPolicy, holding: Holding,
                        needs: list[CollateralNeed]) -> Decimal:
    """What `holding` must hold: the larger of its static target plus buffer and its need."""
    need = max((n.need for n in needs if n.holding == holding), default=Decimal(0))
    return max(required(policy, holding), need)


def plan_request_with_needs(policy: TreasuryPolicy, state: TreasuryState,
                            needs: list[CollateralNeed],
                            rail_paths: Sequence[Path] = ()) -> PlanRequest:
    """The planning problem with each venue's margin need as (a floor under) its target;
    in-flight amounts count as arrived. A venue with `rail_paths` (its own fees, minimums and
    confirmation times, `exchange_rail_paths`) is priced by those, not by the policy's terms."""
    positions = [
        Position(holding, balance + state.arriving(holding),
                 required_with_needs(policy, holding, needs))
        for holding, balance in sorted(state.balances.items())
    ]
    return PlanRequest(
        positions, build_paths(policy, set(state.balances), rail_paths),
        prices={a: spec.price for a, spec in policy.assets.items()},
        decimals={a: spec.decimals for a, spec in policy.assets.items()},
        max_seconds=policy.max_seconds,
    )
