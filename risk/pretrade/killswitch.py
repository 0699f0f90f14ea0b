"""Kill switches at desk, account and strategy level.

Engaging one cancels every resting order it covers, through the injected `Canceller` (the OMS,
which sends the cancels and reports the outcomes back as usual), and blocks every new leg it
covers until it is released. Releasing does not resend anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from risk.pretrade.errors import InvalidLimit
from risk.pretrade.legs import RestingOrder
from risk.pretrade.state import DeskState


class KillLevel(StrEnum):
    DESK = "desk"
    ACCOUNT = "account"
    STRATEGY = "strategy"


class Canceller(Protocol):
    def cancel(self, orders: Sequence[RestingOrder], reason: str) -> None:
        """Cancel these resting orders. Must not raise for an order already gone."""
        ...


class KillSwitch:
    def __init__(self, state: DeskState, canceller: Canceller) -> None:
        self._state = state
        self.canceller = canceller  # replaceable: the engine installs the OMS's once it runs
        self.desk: str | None = None  # the reason, while engaged
        self.accounts: dict[str, str] = {}
        self.strategies: dict[str, str] = {}

    def engage(self, level: KillLevel, name: str | None = None,
               reason: str = "kill switch") -> list[RestingOrder]:
        """Block new legs at `level` (`name` = the account or strategy) and cancel its resting
        orders; returns the orders handed to the canceller."""
        level = KillLevel(level)
        if level is KillLevel.DESK:
            self.desk = reason
            covered = list(self._state.resting_orders())
        else:
            name = _require_name(level, name)
            engaged = self.accounts if level is KillLevel.ACCOUNT else self.strategies
            engaged[name] = reason
            covered = [order for order in self._state.resting_orders()
                       if (order.account if level is KillLevel.ACCOUNT else order.strategy)
                       == name]
        if covered:
            self.canceller.cancel(covered, f"{level.value} kill switch: {reason}")
        return covered

    def release(self, level: KillLevel, name: str | None = None) -> None:
        level = KillLevel(level)
        if level is KillLevel.DESK:
            self.desk = None
        elif level is KillLevel.ACCOUNT:
            self.accounts.pop(_require_name(level, name), None)
        else:
            self.strategies.pop(_require_name(level, name), None)

    def engaged(self) -> list[tuple[KillLevel, str, str]]:
        """Every engaged switch: (level, name, reason); the desk's name is "desk"."""
        found = [(KillLevel.DESK, "desk", self.desk)] if self.desk is not None else []
        found += [(KillLevel.ACCOUNT, name, why) for name, why in sorted(self.accounts.items())]
        found += [(KillLevel.STRATEGY, name, why)
                  for name, why in sorted(self.strategies.items())]
        return found

    def blocking(self, account: str, strategy: str) -> tuple[KillLevel, str] | None:
        """The switch that blocks a leg of this account and strategy, if any."""
        if self.desk is not None:
            return KillLevel.DESK, "desk"
        if account in self.accounts:
            return KillLevel.ACCOUNT, account
        if strategy in self.strategies:
            return KillLevel.STRATEGY, strategy
        return None


def _require_name(level: KillLevel, name: str | None) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidLimit("name", f"a {level.value} kill switch needs the {level.value}'s name")
    return name
