"""What the event log means: orders, fills, positions and balances, as pure functions of it.

The journal keeps these projections in tables, updated in the same transaction as each event;
`replay` recomputes them from the log alone with the same functions. Both must always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from engine.model import InstrumentKind, Order, OrderEvent, OrderFilled, Side, apply


@dataclass(frozen=True)
class FillRecord:
    """A fill with the order context needed to book it."""

    client_order_id: str
    trade_id: str
    venue: str
    instrument_id: str
    side: Side
    qty: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    ts_ns: int


PositionKey = tuple[str, str]  # (venue, instrument id)
BalanceKey = tuple[str, str]  # (venue, asset)


@dataclass(frozen=True)
class Effects:
    """What one event changes: the order after it, and the fill it books (if any)."""

    order: Order
    fill: FillRecord | None = None
    position_deltas: dict[PositionKey, Decimal] = field(default_factory=dict)
    balance_deltas: dict[BalanceKey, Decimal] = field(default_factory=dict)


def effects_of(order: Order | None, event: OrderEvent) -> Effects:
    """Apply `event` to `order` and derive the fill, position and balance changes it books."""
    updated = apply(order, event)
    if not isinstance(event, OrderFilled):
        return Effects(updated)
    fill = event.fill
    record = FillRecord(
        updated.client_order_id, fill.trade_id, updated.venue, updated.instrument.id,
        updated.side, fill.qty, fill.price, fill.fee, fill.fee_asset, fill.ts_ns,
    )
    signed_qty = fill.qty * updated.side.sign
    balances: dict[BalanceKey, Decimal] = {}
    if updated.instrument.kind is InstrumentKind.SPOT:
        # Spot moves both assets; derivatives only open a position (fees are cash either way).
        balances[(updated.venue, updated.instrument.base)] = signed_qty
        balances[(updated.venue, updated.instrument.quote)] = -signed_qty * fill.price
    if fill.fee:
        key = (updated.venue, fill.fee_asset)
        balances[key] = balances.get(key, Decimal(0)) - fill.fee
    return Effects(updated, record, {(updated.venue, updated.instrument.id): signed_qty}, balances)


@dataclass
class Projections:
    """Orders, fills, positions and balances as the event log implies them."""

    orders: dict[str, Order] = field(default_factory=dict)
    fills: dict[tuple[str, str], FillRecord] = field(default_factory=dict)
    positions: dict[PositionKey, Decimal] = field(default_factory=dict)
    balances: dict[BalanceKey, Decimal] = field(default_factory=dict)

    def apply(self, event: OrderEvent) -> Effects:
        """Fold one event in; raises (and changes nothing) if the event is illegal."""
        effects = effects_of(self.orders.get(event.client_order_id), event)
        self.orders[effects.order.client_order_id] = effects.order
        if effects.fill is not None:
            self.fills[(effects.fill.client_order_id, effects.fill.trade_id)] = effects.fill
        _add(self.positions, effects.position_deltas)
        _add(self.balances, effects.balance_deltas)
        return effects

    def total_position(self, instrument_id: str) -> Decimal:
        """Net position in one instrument across every venue."""
        return sum(
            (qty for (_, instrument), qty in self.positions.items() if instrument == instrument_id),
            Decimal(0),
        )


def _add(totals: dict[tuple[str, str], Decimal], deltas: dict[tuple[str, str], Decimal]) -> None:
    for key, delta in deltas.items():
        totals[key] = totals.get(key, Decimal(0)) + delta
