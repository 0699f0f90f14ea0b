"""The write-ahead journal: every order event is durable before anyone acts on it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from engine.errors import DuplicateEvent, DuplicateFill, JournalError
from engine.journal._projections import Effects, Projections, effects_of
from engine.journal._rows import (
    event_row,
    order_from_row,
    read_projections,
    write_effects,
    write_projections,
)
from engine.journal._store import JournalConfig, open_engine
from engine.journal._tables import (
    AuditRow,
    BalanceRow,
    EventRow,
    FillRow,
    OrderRow,
    PositionRow,
)
from engine.model import Order, OrderCreated, OrderEvent, event_from_json


@dataclass(frozen=True)
class AuditRecord:
    """One appended audit record, as read back."""

    seq: int
    kind: str
    subject: str
    ts_ns: int
    payload_json: str


class Journal:
    """An append-only log of order events with its projections, in one database.

    Every write is one transaction: the event row and its effect on the orders, fills,
    positions and balances tables commit together or not at all.
    """

    def __init__(self, config: JournalConfig | None = None) -> None:
        self.config = config or JournalConfig()
        self._engine = open_engine(self.config)
        try:
            SQLModel.metadata.create_all(self._engine)
        except SQLAlchemyError as error:
            raise JournalError(f"cannot open the journal at {self._engine.url!r}: {error}") \
                from error

    def close(self) -> None:
        """Release every connection."""
        self._engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

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

        Returns only after the commit. An illegal event (IllegalTransition, OverFill,
        DuplicateFill), a repeated event id (DuplicateEvent) or a database error (JournalError)
        raises, and then nothing at all was written.
        """
        try:
            with self._transaction() as session:
                return self._append_in(session, order_event)
        except JournalError as error:
            # Another writer may have committed the same id between our check and our insert.
            lost_race = isinstance(error.__cause__, IntegrityError)
            if lost_race and self._has_event(order_event.event_id):
                raise DuplicateEvent(order_event.event_id) from error
            raise

    def _append_in(self, session: Session, order_event: OrderEvent) -> int:
        seen = select(EventRow.seq).where(EventRow.event_id == order_event.event_id)
        if session.exec(seen).first() is not None:
            raise DuplicateEvent(order_event.event_id)
        # FOR UPDATE serialises writers to one order on PostgreSQL; SQLite's
        # BEGIN IMMEDIATE already holds the database lock.
        current = session.get(OrderRow, order_event.client_order_id, with_for_update=True)
        effects = effects_of(order_from_row(current), order_event)
        self._refuse_duplicate_fill(session, effects)
        row = event_row(order_event)
        session.add(row)
        write_effects(session, effects)
        session.flush()  # assigns the sequence number
        assert row.seq is not None
        return row.seq

    @staticmethod
    def _refuse_duplicate_fill(session: Session, effects: Effects) -> None:
        fill = effects.fill
        if fill is not None and session.get(FillRow, fill.key) is not None:
            raise DuplicateFill(fill.client_order_id, fill.trade_id)

    def _has_event(self, event_id: str) -> bool:
        with Session(self._engine) as session:
            seen = select(EventRow.seq).where(EventRow.event_id == event_id)
            return session.exec(seen).first() is not None

    def record_new_order(
        self, order: Order, correlation_id: str | None = None, causation_id: str | None = None
    ) -> OrderCreated:
        """Journal a new order; when this returns, the order may be sent to its venue.

        The event id is derived from the client order id, so recording the same order twice
        raises DuplicateEvent instead of creating a second order.
        """
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
        """Every event after `after_seq`, in log order, with its sequence number."""
        query = select(EventRow).where(col(EventRow.seq) > after_seq).order_by(col(EventRow.seq))
        with Session(self._engine) as session:
            return [(row.seq or 0, event_from_json(row.payload))
                    for row in session.exec(query).all()]

    def order(self, client_order_id: str) -> Order | None:
        """The current state of one order, from its projection."""
        with Session(self._engine) as session:
            return order_from_row(session.get(OrderRow, client_order_id))

    def children(self, parent_id: str) -> list[Order]:
        """The child orders of a parent, oldest first, from the projection."""
        query = select(OrderRow).where(OrderRow.parent_id == parent_id)
        with Session(self._engine) as session:
            orders = [Order.model_validate_json(row.payload) for row in session.exec(query)]
        return sorted(orders, key=lambda order: (order.created_ts_ns, order.client_order_id))

    def replay(self) -> Projections:
        """Recompute every projection from the event log alone, in memory."""
        projections = Projections()
        for _, logged in self.events():
            projections.apply(logged)
        return projections

    def projections(self) -> Projections:
        """The projections as the tables hold them (kept in step with each append)."""
        with Session(self._engine) as session:
            return read_projections(session)

    def rebuild_projections(self) -> Projections:
        """Replace the projection tables by a replay of the log, in one transaction."""
        projections = self.replay()
        with self._transaction() as session:
            for table in (OrderRow, FillRow, PositionRow, BalanceRow):
                session.exec(delete(table))
            write_projections(session, projections)
        return projections

    def append_audit(self, kind: str, subject: str, payload_json: str, ts_ns: int) -> int:
        """Append an audit record (e.g. a screening decision); return its sequence number.

        Audit records sit beside the order log and never change projections; `payload_json`
        must be one JSON document.
        """
        try:
            json.loads(payload_json)
        except ValueError as error:
            raise JournalError(f"payload_json: not a JSON document ({error})") from error
        row = AuditRow(kind=kind, subject=subject, ts_ns=ts_ns, payload=payload_json)
        with self._transaction() as session:
            session.add(row)
            session.flush()
            assert row.seq is not None
            return row.seq

    def audit_records(self, kind: str | None = None,
                      subject: str | None = None) -> list[AuditRecord]:
        """Audit records in append order, optionally of one kind and/or one subject."""
        query = select(AuditRow).order_by(col(AuditRow.seq))
        if kind is not None:
            query = query.where(AuditRow.kind == kind)
        if subject is not None:
            query = query.where(AuditRow.subject == subject)
        with Session(self._engine) as session:
            return [AuditRecord(row.seq or 0, row.kind, row.subject, row.ts_ns, row.payload)
                    for row in session.exec(query).all()]
