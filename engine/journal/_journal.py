"""The write-ahead journal: every order event is durable before anyone acts on it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, delete, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine, select

from engine.errors import DuplicateEvent, JournalError
from engine.journal._projections import Effects, FillRecord, Projections, effects_of
from engine.journal._tables import BalanceRow, EventRow, FillRow, OrderRow, PositionRow
from engine.model import Order, OrderCreated, OrderEvent, Side, event_from_json, event_to_json


class JournalConfig(BaseModel):
    """Where the journal lives. SQLite (WAL) by default; any PostgreSQL URL works the same."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = "sqlite:///.crossbook/journal.sqlite"


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (below); pysqlite's implicit BEGIN is deferred.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a commit survives power loss, not just a crash
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Take the write lock up front, so two writers queue instead of deadlocking on upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _engine_for(url: str) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


class Journal:
    """An append-only log of order events with its projections, in one database."""

    def __init__(self, config: JournalConfig | None = None) -> None:
        self.config = config or JournalConfig()
        self._engine = _engine_for(self.config.url)
        SQLModel.metadata.create_all(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        # No autoflush: each append reads before it writes, and flushes once, at commit.
        with Session(self._engine, autoflush=False) as session:
            try:
                with session.begin():
                    yield session
            except IntegrityError as error:
                raise JournalError(f"the journal refused the write: {error.orig}") from error
            except SQLAlchemyError as error:
                raise JournalError(f"the journal could not write: {error}") from error

    def append(self, order_event: OrderEvent) -> int:
        """Make `order_event` durable with its projections; return its sequence number.

        Returns only after the commit. An illegal event, a duplicate event id or a database
        error raises, and then nothing at all was written.
        """
        with self._transaction() as session:
            if session.exec(
                select(EventRow.seq).where(EventRow.event_id == order_event.event_id)
            ).first() is not None:
                raise DuplicateEvent(order_event.event_id)
            current = session.get(OrderRow, order_event.client_order_id)
            effects = effects_of(_order_from_row(current), order_event)
            row = _event_row(order_event)
            session.add(row)
            _write_effects(session, effects)
            session.flush()  # assigns the sequence number
            assert row.seq is not None
            return row.seq

    def record_new_order(
        self, order: Order, correlation_id: str | None = None, causation_id: str | None = None
    ) -> OrderCreated:
        """Journal a new order; when this returns, the order may be sent to its venue."""
        created = OrderCreated(
            event_id=f"{order.client_order_id}/created",
            client_order_id=order.client_order_id,
            ts_ns=order.created_ts_ns or time.time_ns(),
            correlation_id=correlation_id,
            causation_id=causation_id,
            order=order,
        )
        self.append(created)
        return created

    def events(self, after_seq: int = 0) -> list[tuple[int, OrderEvent]]:
        """Every event after `after_seq`, in log order."""
        with Session(self._engine) as session:
            rows = session.exec(
                select(EventRow).where(EventRow.seq > after_seq).order_by(EventRow.seq)  # type: ignore[arg-type, operator]
            ).all()
            return [(row.seq or 0, event_from_json(row.payload)) for row in rows]

    def order(self, client_order_id: str) -> Order | None:
        """The current state of one order, from its projection."""
        with Session(self._engine) as session:
            return _order_from_row(session.get(OrderRow, client_order_id))

    def replay(self) -> Projections:
        """Recompute every projection from the event log alone."""
        projections = Projections()
        for _, logged in self.events():
            projections.apply(logged)
        return projections

    def projections(self) -> Projections:
        """The projections as the tables hold them (kept in step with each append)."""
        with Session(self._engine) as session:
            return _read_projections(session)

    def rebuild_projections(self) -> Projections:
        """Replace the projection tables by a replay of the log, in one transaction."""
        projections = self.replay()
        with self._transaction() as session:
            for table in (OrderRow, FillRow, PositionRow, BalanceRow):
                session.exec(delete(table))
            _write_projections(session, projections)
        return projections


def _event_row(order_event: OrderEvent) -> EventRow:
    return EventRow(
        event_id=order_event.event_id,
        kind=str(getattr(order_event, "kind", type(order_event).__name__)),
        client_order_id=order_event.client_order_id,
        correlation_id=order_event.correlation_id,
        causation_id=order_event.causation_id,
        ts_ns=order_event.ts_ns,
        payload=event_to_json(order_event),
    )


def _order_row(order: Order) -> OrderRow:
    return OrderRow(
        client_order_id=order.client_order_id,
        status=order.status.value,
        venue=order.venue,
        instrument_id=order.instrument.id,
        parent_id=order.parent_id,
        updated_ts_ns=order.updated_ts_ns,
        payload=order.model_dump_json(),
    )


def _order_from_row(row: OrderRow | None) -> Order | None:
    return None if row is None else Order.model_validate_json(row.payload)


def _fill_row(fill: FillRecord) -> FillRow:
    return FillRow(
        client_order_id=fill.client_order_id, trade_id=fill.trade_id, venue=fill.venue,
        instrument_id=fill.instrument_id, side=fill.side.value, qty=str(fill.qty),
        price=str(fill.price), fee=str(fill.fee), fee_asset=fill.fee_asset, ts_ns=fill.ts_ns,
    )


def _write_effects(session: Session, effects: Effects) -> None:
    session.merge(_order_row(effects.order))
    if effects.fill is not None:
        session.add(_fill_row(effects.fill))
    for (venue, instrument_id), delta in effects.position_deltas.items():
        position = session.get(PositionRow, (venue, instrument_id))
        total = delta + (Decimal(position.net_qty) if position else 0)
        session.merge(PositionRow(venue=venue, instrument_id=instrument_id, net_qty=str(total)))
    for (venue, asset), delta in effects.balance_deltas.items():
        balance = session.get(BalanceRow, (venue, asset))
        total = delta + (Decimal(balance.amount) if balance else 0)
        session.merge(BalanceRow(venue=venue, asset=asset, amount=str(total)))


def _write_projections(session: Session, projections: Projections) -> None:
    for order in projections.orders.values():
        session.add(_order_row(order))
    for fill in projections.fills.values():
        session.add(_fill_row(fill))
    for (venue, instrument_id), qty in projections.positions.items():
        session.add(PositionRow(venue=venue, instrument_id=instrument_id, net_qty=str(qty)))
    for (venue, asset), amount in projections.balances.items():
        session.add(BalanceRow(venue=venue, asset=asset, amount=str(amount)))


def _read_projections(session: Session) -> Projections:
    projections = Projections()
    for order_row in session.exec(select(OrderRow)).all():
        order = _order_from_row(order_row)
        assert order is not None
        projections.orders[order.client_order_id] = order
    for f in session.exec(select(FillRow)).all():
        projections.fills[(f.client_order_id, f.trade_id)] = FillRecord(
            f.client_order_id, f.trade_id, f.venue, f.instrument_id, Side(f.side),
            Decimal(f.qty), Decimal(f.price), Decimal(f.fee), f.fee_asset, f.ts_ns,
        )
    for p in session.exec(select(PositionRow)).all():
        projections.positions[(p.venue, p.instrument_id)] = Decimal(p.net_qty)
    for b in session.exec(select(BalanceRow)).all():
        projections.balances[(b.venue, b.asset)] = Decimal(b.amount)
    return projections
