"""The OMS core: order lifecycle over the write-ahead journal, venues behind one protocol, and
every leg through one gate.

    oms = OrderManager(journal, {"simex": cex_venue}, gate, clock)
    await oms.start()                       # replay, reconcile open orders, then accept
    orders = await oms.submit([ChildSpec("simex", "WETH/USDC", Side.BUY, Decimal("1"),
                                         expected_price=Decimal("3000"))], parent_id="p-1")
"""

from connectors.orders import FillHandler
from engine.oms._clock import Clock, ManualClock, WallClock
from engine.oms._errors import NotAccepting, UnknownOrder, UnknownVenue
from engine.oms._gate import (
    ACCEPTED,
    Gate,
    GateDecision,
    GateLeg,
    GateReason,
    RiskGate,
    SpotCashMargin,
)
from engine.oms._manager import PARENT_AUDIT_KIND, EventListener, OmsConfig, OrderManager
from engine.oms._paper import Fault, PaperRejected, PaperVenue, PaperVenueError
from engine.oms._spec import ChildSpec, instrument_of
from engine.oms._venue import (
    ExecutionVenue,
    RequestTimeoutTooShort,
    ResolvesUnknown,
    check_request_timeout,
)

__all__ = [
    "ACCEPTED",
    "PARENT_AUDIT_KIND",
    "ChildSpec",
    "Clock",
    "EventListener",
    "ExecutionVenue",
    "Fault",
    "FillHandler",
    "Gate",
    "GateDecision",
    "GateLeg",
    "GateReason",
    "ManualClock",
    "NotAccepting",
    "OmsConfig",
    "OrderManager",
    "PaperRejected",
    "PaperVenue",
    "PaperVenueError",
    "RequestTimeoutTooShort",
    "ResolvesUnknown",
    "RiskGate",
    "SpotCashMargin",
    "UnknownOrder",
    "UnknownVenue",
    "WallClock",
    "check_request_timeout",
    "instrument_of",
]
