"""Errors raised by the pre-trade validator.

A denial is not an error: `PreTradeGate.check` returns a `Decision` with reason codes. These
classes are for input the gate refuses to reason about at all (a malformed leg, a limit of the
wrong type), raised where the value enters, naming the field and the rule.

    PreTradeError
    ├── InvalidLeg          a leg intent broke a rule (non-positive quantity, empty id, ...)
    ├── InvalidLimit        a limit or throttle setting broke a rule (unknown name, wrong type)
    └── InvalidState        a state update broke a rule (unknown resting order, bad price)

All are terminal: the same input fails the same way until it is changed.
"""

from __future__ import annotations

from risk.errors import RiskError


class PreTradeError(RiskError):
    """Root of every error raised by `risk.pretrade`."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class InvalidLeg(PreTradeError):
    """A leg intent broke a rule; `field` names it and `reason` states the rule."""


class InvalidLimit(PreTradeError):
    """A limit, throttle or restriction setting broke a rule."""


class InvalidState(PreTradeError):
    """A state update (position, resting order, reference price, filter) broke a rule."""
