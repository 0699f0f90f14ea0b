"""Venue-neutral order types: what we ask a venue to do, and what it reports back.

Shared by every trading venue (CEX through ccxt, on-chain swap legs later), so nothing here is
about one exchange: the connector maps its venue's spelling onto these. Amounts are `Decimal`
in human units of the asset; the client order id is always ours (the engine's deterministic
id), sent to the venue so that a retry can never create a second order.

`VenueOrderStatus.UNKNOWN` is what a request whose answer never came leads to: never FAILED,
never resent blindly; the connector resolves it by asking the venue by client order id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from connectors.errors import TerminalVenueError
from connectors.venue import Side, split_symbol

_CLIENT_ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


class InvalidOrderRequest(TerminalVenueError):
    """An order request that no venue should receive; `field` names what was wrong."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class OrderKind(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    LIMIT_MAKER = "limit_maker"  # post-only: rejected by the venue rather than take


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class VenueOrderStatus(StrEnum):
    OPEN = "open"  # accepted, resting, nothing filled
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"  # IOC/FOK/market remainder, or self-trade prevention
    REJECTED = "rejected"  # the venue said no; `reason` says why
    UNKNOWN = "unknown"  # the request's outcome is not known yet

    @property
    def is_final(self) -> bool:
        return self in (VenueOrderStatus.FILLED, VenueOrderStatus.CANCELED,
                        VenueOrderStatus.EXPIRED, VenueOrderStatus.REJECTED)


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One order for one venue, identified by our client order id."""

    client_order_id: str
    symbol: str  # BASE/QUOTE
    side: Side
    kind: OrderKind
    qty: Decimal  # in base
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC

    def __post_init__(self) -> None:
        if not _CLIENT_ORDER_ID.fullmatch(self.client_order_id):
            raise InvalidOrderRequest("client_order_id",
                                      f"{self.client_order_id!r} must be 1-36 of [A-Za-z0-9_-]")
        try:
            split_symbol(self.symbol)
        except TerminalVenueError as error:
            raise InvalidOrderRequest("symbol", str(error)) from None
        if not isinstance(self.qty, Decimal) or not self.qty.is_finite() or self.qty <= 0:
            raise InvalidOrderRequest("qty", f"must be a positive Decimal, got {self.qty!r}")
        priced = self.kind is not OrderKind.MARKET
        if priced != (self.limit_price is not None):
            raise InvalidOrderRequest("limit_price",
                                      f"is required for limit kinds only, not {self.kind}")
        if self.limit_price is not None and (not self.limit_price.is_finite()
                                             or self.limit_price <= 0):
            raise InvalidOrderRequest("limit_price", f"must be positive, got {self.limit_price}")
        if self.kind is OrderKind.LIMIT_MAKER and self.time_in_force is not TimeInForce.GTC:
            raise InvalidOrderRequest("time_in_force", "a post-only order rests: GTC only")


@dataclass(frozen=True, slots=True)
class VenueFill:
    """One execution, as the venue reported it; `trade_id` is unique per venue and symbol."""

    venue: str
    client_order_id: str
    venue_order_id: str
    trade_id: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    liquidity: Liquidity
    ts_ns: int


FillHandler = Callable[[VenueFill], None]  # what a venue calls with each fill it delivers


@dataclass(frozen=True, slots=True)
class VenueOrderReport:
    """An order's state at the venue (or UNKNOWN when the venue could not be asked)."""

    venue: str
    client_order_id: str
    symbol: str
    side: Side
    status: VenueOrderStatus
    venue_order_id: str | None = None
    qty: Decimal = Decimal(0)
    filled_qty: Decimal = Decimal(0)
    filled_quote: Decimal = Decimal(0)  # sum of price * qty, exact
    reason: str = ""  # the venue's code and message for a rejection
    ts_ns: int = 0

    @property
    def avg_price(self) -> Decimal | None:
        return self.filled_quote / self.filled_qty if self.filled_qty else None


@dataclass(frozen=True, slots=True)
class VenueBalance:
    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked
