"""Treasury: where collateral is, where margin needs it, the cheapest transfers between them,
and their journaled, resumable execution."""

from engine.treasury.collateral import CollateralNeed, collateral_needs, margin_requirements_usd
from engine.treasury.journal import (
    TransferJournal,
    TransferRecord,
    TransferState,
    TransitionRefused,
)
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
from engine.treasury.rebalance import (
    ArrivalTimeout,
    ExchangeMove,
    LegRefused,
    TransferExecutor,
    TreasuryDesk,
    VenueRail,
    run_transfers,
)

__all__ = [
    "ArrivalTimeout",
    "CollateralNeed",
    "ExchangeMove",
    "Holding",
    "LegRefused",
    "Path",
    "PathKind",
    "PlanInfeasible",
    "PlanRequest",
    "PlannedTransfer",
    "Position",
    "TransferExecutor",
    "TransferJournal",
    "TransferRecord",
    "TransferState",
    "TransitionRefused",
    "TreasuryDesk",
    "TreasuryPlan",
    "VenueRail",
    "collateral_needs",
    "margin_requirements_usd",
    "plan_transfers",
    "run_transfers",
]
