"""What the OMS is asked to send: one child order on one venue (`ChildSpec`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.errors import InvalidValue
from engine.model import Instrument, OrderType, Side, TimeInForce


def instrument_of(symbol: str) -> Instrument:
    """The spot instrument of a BASE/QUOTE symbol."""
    base, sep, quote = symbol.partition("/")
    if not sep:
        raise InvalidValue("symbol", f"{symbol!r} is not of the form BASE/QUOTE")
    return Instrument(base=base, quote=quote)


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """One order for one venue. `expected_price` is what the gate measures notional at: the
    limit price, or the router's expected average for a market order."""

    venue: str
    symbol: str
    side: Side
    qty: Decimal
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.IOC
    expected_price: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.venue:
            raise InvalidValue("venue", "must not be empty")
        instrument_of(self.symbol)
        if not isinstance(self.qty, Decimal) or not self.qty.is_finite() or self.qty <= 0:
            raise InvalidValue("qty", f"must be a positive decimal, got {self.qty}")
        if self.order_type.has_limit_price != (self.limit_price is not None):
            raise InvalidValue("limit_price", "is required for limit orders and only for them")
        if self.order_type not in (OrderType.MARKET, OrderType.LIMIT, OrderType.LIMIT_MAKER):
            raise InvalidValue("order_type", f"{self.order_type.value} is not supported by "
                                             "execution venues")
        if self.limit_price is None and self.expected_price is None:
            raise InvalidValue("expected_price", "a market order needs the expected price "
                                                 "its notional is checked at")
        if self.time_in_force is TimeInForce.GTD:
            raise InvalidValue("time_in_force", "GTD is not supported by execution venues")

    @property
    def price_for_gate(self) -> Decimal:
        price = self.limit_price if self.limit_price is not None else self.expected_price
        assert price is not None
        return price
