"""What the gate needs from the margin engine, and nothing more.

The margin engine (`risk.margin`) implements this protocol; the gate never imports it, so the
two can change apart and a test can hand the gate a small honest implementation. Greeks follow
Deribit's conventions: delta in underlying units, gamma per underlying unit, vega per vol point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from risk.pretrade.legs import LegIntent


@dataclass(frozen=True, slots=True)
class Greeks:
    delta: float = 0.0
    gamma: float = 0.0
    vega: float = 0.0

    def __add__(self, other: Greeks) -> Greeks:
        return Greeks(self.delta + other.delta, self.gamma + other.gamma,
                      self.vega + other.vega)


NO_GREEKS = Greeks()


@dataclass(frozen=True, slots=True)
class MarginImpact:
    """An account's margin after a set of legs would fill.

    `utilisation` is maintenance margin over equity (1.0 = at liquidation); `liquidation_buffer`
    is the smallest move of any underlying, as a fraction of its price, that would take the
    account to maintenance (inf when nothing can).
    """

    utilisation: float
    liquidation_buffer: float


class MarginView(Protocol):
    """The margin engine as the gate sees it. Raise on anything it cannot answer: the gate
    denies with `margin_unavailable` rather than guess."""

    def greeks(self, account: str, underlying: str) -> Greeks:
        """The account's Greeks on one underlying now, before any new leg."""
        ...

    def leg_greeks(self, legs: Sequence[LegIntent]) -> Mapping[str, Greeks]:
        """The change in Greeks these legs would make, summed per underlying."""
        ...

    def margin_after(self, account: str, legs: Sequence[LegIntent]) -> MarginImpact:
        """The account's margin if `legs` (all of this account) filled; [] = the margin now."""
        ...
