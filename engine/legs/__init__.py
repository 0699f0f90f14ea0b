"""Multi-leg groups: legs on any venues that keep a ratio; unwound or hedged on a failure,
with the residual unintended exposure reported at all times (zero when the group ends)."""

from engine.legs._group import (
    GroupState,
    LegGroup,
    LegGroupParams,
    LegGroupReport,
    LegPolicy,
    LegSpec,
    OnFailure,
)

__all__ = [
    "GroupState",
    "LegGroup",
    "LegGroupParams",
    "LegGroupReport",
    "LegPolicy",
    "LegSpec",
    "OnFailure",
]
