"""What the gate answers: accept, or deny with every reason that failed.

Each `Reason` names the check (its `code`), the limit it was held to (`limit_name`, `limit`,
and the `scope` the limit came from) and the value observed. A leg-level reason carries the
leg's client order id; a post-trade reason carries the account and underlying instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    """Why the gate said no. One code per check; the value is the stable wire spelling."""

    # Fail closed: what we cannot identify, we do not trade.
    UNKNOWN_ACCOUNT = "unknown_account"
    UNKNOWN_VENUE = "unknown_venue"
    UNKNOWN_INSTRUMENT = "unknown_instrument"
    KILL_SWITCH = "kill_switch"
    RESTRICTED_VENUE = "restricted_venue"
    RESTRICTED_INSTRUMENT = "restricted_instrument"
    NO_REFERENCE_PRICE = "no_reference_price"
    STALE_REFERENCE_PRICE = "stale_reference_price"
    PRICE_COLLAR = "price_collar"
    MAX_ORDER_QTY = "max_order_qty"
    MAX_ORDER_NOTIONAL = "max_order_notional"
    TICK_SIZE = "tick_size"
    LOT_SIZE = "lot_size"
    MIN_QTY = "min_qty"
    MIN_NOTIONAL = "min_notional"
    MESSAGE_RATE = "message_rate"
    NOTIONAL_RATE = "notional_rate"
    DUPLICATE_CLIENT_ORDER_ID = "duplicate_client_order_id"
    DUPLICATE_ORDER = "duplicate_order"
    SELF_TRADE = "self_trade"
    MAX_NET_POSITION = "max_net_position"
    MAX_GROSS_POSITION = "max_gross_position"
    MAX_NET_CONCENTRATION = "max_net_concentration"
    MAX_GROSS_CONCENTRATION = "max_gross_concentration"
    MAX_DELTA = "max_delta"
    MAX_GAMMA = "max_gamma"
    MAX_VEGA = "max_vega"
    MARGIN_UTILISATION = "margin_utilisation"
    LIQUIDATION_BUFFER = "liquidation_buffer"
    MARGIN_UNAVAILABLE = "margin_unavailable"  # the margin view failed: deny, never guess


@dataclass(frozen=True, slots=True)
class Reason:
    """One failed check: which, against what limit (and from which scope), observing what."""

    code: ReasonCode
    limit_name: str
    limit: str
    observed: str
    scope: str = ""
    client_order_id: str | None = None
    account: str | None = None
    underlying: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code.value, "limit_name": self.limit_name, "limit": self.limit,
                "observed": self.observed, "scope": self.scope,
                "client_order_id": self.client_order_id, "account": self.account,
                "underlying": self.underlying}

    def __str__(self) -> str:
        where = self.client_order_id or "/".join(
            part for part in (self.account, self.underlying) if part)
        scope = f" [{self.scope}]" if self.scope else ""
        return (f"{self.code.value} {where}: {self.observed} vs {self.limit_name} "
                f"{self.limit}{scope}")


@dataclass(frozen=True, slots=True)
class Decision:
    """The gate's answer for a whole leg group: all legs go, or none do."""

    accepted: bool
    reasons: tuple[Reason, ...] = ()

    @property
    def codes(self) -> frozenset[ReasonCode]:
        return frozenset(reason.code for reason in self.reasons)

    def to_json(self) -> dict[str, object]:
        return {"accepted": self.accepted, "reasons": [r.to_json() for r in self.reasons]}


ACCEPT = Decision(accepted=True)
