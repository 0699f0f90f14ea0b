"""Pre-trade validator: every leg group is checked against the desk's post-trade state.

    gate = PreTradeGate(margin_view, canceller, clock)
    gate.state.add_account("desk-1"); gate.state.set_filter("binance", "BTC/USDT", ...)
    gate.limits.set(Scope(account="desk-1"), max_order_notional=Decimal("250000"))
    decision = gate.check([leg, hedge_leg])   # accept, or deny with every reason
"""

from risk.pretrade.decision import ACCEPT, Decision, Reason, ReasonCode
from risk.pretrade.errors import InvalidLeg, InvalidLimit, InvalidState, PreTradeError
from risk.pretrade.gate import PreTradeGate, fingerprint
from risk.pretrade.killswitch import Canceller, KillLevel, KillSwitch
from risk.pretrade.legs import (
    InstrumentKind,
    LegIntent,
    ReferenceKind,
    RestingOrder,
    Side,
    VenueFilter,
)
from risk.pretrade.limits import DESK, LIMIT_NAMES, LimitBook, Limits, Scope
from risk.pretrade.margin_view import NO_GREEKS, Greeks, MarginImpact, MarginView
from risk.pretrade.state import DeskState
from risk.pretrade.throttle import (
    Clock,
    MonotonicClock,
    Throttle,
    Throttles,
    ThrottleScope,
    ThrottleSpec,
)

__all__ = [
    "ACCEPT",
    "DESK",
    "LIMIT_NAMES",
    "NO_GREEKS",
    "Canceller",
    "Clock",
    "Decision",
    "DeskState",
    "Greeks",
    "InstrumentKind",
    "InvalidLeg",
    "InvalidLimit",
    "InvalidState",
    "KillLevel",
    "KillSwitch",
    "LegIntent",
    "LimitBook",
    "Limits",
    "MarginImpact",
    "MarginView",
    "MonotonicClock",
    "PreTradeError",
    "PreTradeGate",
    "Reason",
    "ReasonCode",
    "ReferenceKind",
    "RestingOrder",
    "Scope",
    "Side",
    "Throttle",
    "ThrottleScope",
    "ThrottleSpec",
    "Throttles",
    "VenueFilter",
    "fingerprint",
]
