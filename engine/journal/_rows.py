"""Between domain values and table rows. Decimals travel as exact strings, both ways."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from engine.journal._projections import Effects, FillRecord, Projections
from engine.journal._tables import BalanceRow, EventRow, FillRow, OrderRow, PositionRow
from engine.model import (
    ClientOrderId,
    InstrumentId,
    Liquidity,
    Order,
    OrderEvent,
    Side,
    VenueId,
    event_to_json,
)


def event_row(order_event: OrderEvent) -> EventRow:
    return EventRow(
        event_id=order_event.event_id,
        kind=str(getattr(order_event, "kind", type(order_event).__name__)),
        client_order_id=order_event.client_order_id,
        correlation_id=order_event.correlation_id,
        causation_id=order_event.causation_id,
        ts_ns=order_event.ts_ns,
        payload=event_to_json(order_event),
    )


def order_row(order: Order) -> OrderRow:
    return OrderRow(
        client_order_id=order.client_order_id,
        status=order.status.value,
        venue=order.venue,
        instrument_id=order.instrument.id,
        parent_id=order.parent_id,
        leg_group_id=order.leg_group_id,
        updated_ts_ns=order.updated_ts_ns,
        payload=order.model_dump_json(),
    )


def order_from_row(row: OrderRow | None) -> Order | None:
    return None if row is None else Order.model_validate_json(row.payload)


def fill_row(fill: FillRecord) -> FillRow:
    return FillRow(
        client_order_id=fill.client_order_id, trade_id=fill.trade_id, venue=fill.venue,
        instrument_id=fill.instrument_id, side=fill.side.value, qty=str(fill.qty),
        price=str(fill.price), fee=str(fill.fee), fee_asset=fill.fee_asset,
        liquidity=fill.liquidity.value, ts_ns=fill.ts_ns,
    )


def fill_from_row(row: FillRow) -> FillRecord:
    return FillRecord(
        ClientOrderId(row.client_order_id), row.trade_id, VenueId(row.venue),
        InstrumentId(row.instrument_id), Side(row.side), Decimal(row.qty), Decimal(row.price),
        Decimal(row.fee), row.fee_asset, Liquidity(row.liquidity), row.ts_ns,
    )


def write_effects(session: Session, effects: Effects) -> None:
    """Fold one event's effects into the projection tables (inside the caller's transaction)."""
    session.merge(order_row(effects.order))
    if effects.fill is not None:
        session.add(fill_row(effects.fill))
    for (venue, instrument_id), delta in effects.position_deltas.items():
        position = session.get(PositionRow, (venue, instrument_id))
        total = delta + (Decimal(position.net_qty) if position else 0)
        session.merge(PositionRow(venue=venue, instrument_id=instrument_id, net_qty=str(total)))
    for (venue, asset), delta in effects.balance_deltas.items():
        balance = session.get(BalanceRow, (venue, asset))
        total = delta + (Decimal(balance.amount) if balance else 0)
        session.merge(BalanceRow(venue=venue, asset=asset, amount=str(total)))


def write_projections(session: Session, projections: Projections) -> None:
    """Insert whole projections into empty tables."""
    for order in projections.orders.values():
        session.add(order_row(order))
    for fill in projections.fills.values():
        session.add(fill_row(fill))
    for (venue, instrument_id), qty in projections.positions.items():
        session.add(PositionRow(venue=venue, instrument_id=instrument_id, net_qty=str(qty)))
    for (venue, asset), amount in projections.balances.items():
        session.add(BalanceRow(venue=venue, asset=asset, amount=str(amount)))


def read_projections(session: Session) -> Projections:
    """The projections as the tables hold them."""
    projections = Projections()
    for row in session.exec(select(OrderRow)).all():
        order = Order.model_validate_json(row.payload)
        projections.orders[order.client_order_id] = order
    for fill in map(fill_from_row, session.exec(select(FillRow)).all()):
        projections.fills[fill.key] = fill
    for p in session.exec(select(PositionRow)).all():
        projections.positions[(VenueId(p.venue), InstrumentId(p.instrument_id))] = Decimal(
            p.net_qty)
    for b in session.exec(select(BalanceRow)).all():
        projections.balances[(VenueId(b.venue), b.asset)] = Decimal(b.amount)
    return projections
