"""Treasury: where collateral is, where it is needed, and the cheapest transfers between them."""

from engine.treasury.planner import (
    Holding,
    Path,
    PathKind,
    PlanInfeasible,
    PlannedTransfer,
    PlanRequest,
    Position,
    TreasuryPlan,
    plan_transfers,
)

__all__ = [
    "Holding",
    "Path",
    "PathKind",
    "PlanInfeasible",
    "PlanRequest",
    "PlannedTransfer",
    "Position",
    "TreasuryPlan",
    "plan_transfers",
]
