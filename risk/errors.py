"""Errors raised by `risk`, all terminal: risk analytics read no network, so trying the same
input again never helps.

    RiskError
    ├── InvalidRiskInput           a value broke a rule; names the field and the rule
    │   └── PortfolioFileError     a portfolio file could not be read or has a bad entry
    ├── MissingMarketData          no price, vol or history for something held: fail closed
    ├── ImpliedVolNotFound         a premium no volatility reproduces (outside no-arbitrage
    │                              bounds, or the solver did not converge)
    └── PreTradeError              (risk.pretrade.errors) input the gate cannot reason about

A pre-trade denial is not an error: the gate returns a Decision with reason codes.
"""

from __future__ import annotations


class RiskError(Exception):
    """Root of every error raised by the `risk` package."""


class InvalidRiskInput(RiskError):
    """A value broke a rule. `field` names it; `reason` states the rule."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class PortfolioFileError(InvalidRiskInput):
    """A portfolio file is unreadable or one of its entries is invalid."""


class MissingMarketData(RiskError):
    """Something held has no price, volatility or history; margin is not guessed."""

    def __init__(self, what: str, name: str) -> None:
        self.what = what
        self.name = name
        super().__init__(f"no {what} for {name!r}: the position cannot be valued, so it is "
                         "refused rather than assumed riskless")


class ImpliedVolNotFound(RiskError):
    """No volatility reproduces the premium: it is outside the no-arbitrage bounds, or the
    solver did not converge. `index` is the position of the first such premium."""

    def __init__(self, index: int, reason: str) -> None:
        self.index = index
        self.reason = reason
        super().__init__(f"premium #{index}: {reason}")
