"""What the event log means: orders, fills, positions and balances, as pure functions of it.

The journal keeps these projections in tables, updated in the same transaction as each event;
`replay` recomputes them from the log alone with the same functions. Both must always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from engine.errors import DuplicateFill
from engine.model import (
    ClientOrderId,
    InstrumentId,
    InstrumentKind,
    Liquidity,
    Order,
    OrderEvent,
    OrderFilled,
    Side,
    VenueId,
    apply,
)

PositionKey = tuple[VenueId, InstrumentId]
BalanceKey = tuple[VenueId, str]  # (venue, asset symbol)
FillKey = tuple[ClientOrderId, str]  # (client order id, venue trade id)
_Key = TypeVar("_Key", PositionKey, BalanceKey)


@dataclass(frozen=True)
class FillRecord:
    """A fill with the order context needed to book it."""

    client_order_id: ClientOrderId
    trade_id: str
    venue: VenueId
    instrument_id: InstrumentId
    side: Side
    qty: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    liquidity: Liquidity
    ts_ns: int

    @property
    def key(self) -> FillKey:
        return (self.client_order_id, self.trade_id)


@dataclass(frozen=True)
class Effects:
    """What one event changes: the order after it, and the fill it books (if any)."""

    order: Order
    fill: FillRecord | None = None
    position_deltas: dict[PositionKey, Decimal] = field(default_factory=dict)
    balance_deltas: dict[BalanceKey, Decimal] = field(default_factory=dict)


def _fill_record(order: Order, event: OrderFilled) -> FillRecord:
    fill = event.fill
    return FillRecord(
        order.client_order_id, fill.trade_id, order.venue, order.instrument.id, order.side,
        fill.qty, fill.price, fill.fee, fill.fee_asset, fill.liquidity, fill.ts_ns,
    )


def effects_of(order: Order | None, event: OrderEvent) -> Effects:
    """Apply `event` to `order` and derive the fill, position and balance changes it books.

    Raises as `apply` does; duplicate trade ids are the caller's to check (it holds the fills).
    """
    updated = apply(order, event)
    if not isinstance(event, OrderFilled):
        return Effects(updated)
    record = _fill_record(updated, event)
    signed_qty = record.qty * record.side.sign
    balances: dict[BalanceKey, Decimal] = {}
    instrument = updated.instrument
    if instrument.kind is InstrumentKind.SPOT:
        # Spot moves both assets; derivatives only open a position (fees are cash either way).
        balances[(record.venue, instrument.base)] = signed_qty
        balances[(record.venue, instrument.quote)] = -signed_qty * record.price
    if record.fee:
        key = (record.venue, record.fee_asset)
        balances[key] = balances.get(key, Decimal(0)) - record.fee
    return Effects(updated, record, {(record.venue, record.instrument_id): signed_qty}, balances)


@dataclass
class Projections:
    """Orders, fills, positions and balances as the event log implies them."""

    orders: dict[ClientOrderId, Order] = field(default_factory=dict)
    fills: dict[FillKey, FillRecord] = field(default_factory=dict)
    positions: dict[PositionKey, Decimal] = field(default_factory=dict)
    balances: dict[BalanceKey, Decimal] = field(default_factory=dict)

    def apply(self, event: OrderEvent) -> Effects:
        """Fold one event in; raises (and changes nothing) if the event is illegal."""
        effects = effects_of(self.orders.get(event.client_order_id), event)
        if effects.fill is not None and effects.fill.key in self.fills:
            raise DuplicateFill(effects.fill.client_order_id, effects.fill.trade_id)
        self.orders[effects.order.client_order_id] = effects.order
        if effects.fill is not None:
            self.fills[effects.fill.key] = effects.fill
        _add(self.positions, effects.position_deltas)
        _add(self.balances, effects.balance_deltas)
        return effects

    def total_position(self, instrument_id: str) -> Decimal:
        """Net position in one instrument across every venue."""
        return sum(
            (qty for (_, instrument), qty in self.positions.items() if instrument == instrument_id),
            Decimal(0),
        )

    def children(self, parent_id: str) -> list[Order]:
        """The child orders of a parent, oldest first."""
        found = [order for order in self.orders.values() if order.parent_id == parent_id]
        return sorted(found, key=lambda order: (order.created_ts_ns, order.client_order_id))

    def leg_group(self, leg_group_id: str) -> list[Order]:
        """The legs of one multi-leg order, oldest first."""
        found = [order for order in self.orders.values() if order.leg_group_id == leg_group_id]
        return sorted(found, key=lambda order: (order.created_ts_ns, order.client_order_id))


def _add(totals: dict[_Key, Decimal], deltas: dict[_Key, Decimal]) -> None:
    for key, delta in deltas.items():
        totals[key] = totals.get(key, Decimal(0)) + delta
