"""The journal's tables: the append-only event log and the projections kept beside it.

Money columns are text holding exact decimal strings, never floats; time is integer nanoseconds
(BIGINT). The schema is created from this metadata on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel


class EventRow(SQLModel, table=True):
    """One order event. `seq` is the log's order; rows are only ever inserted."""

    __tablename__ = "order_events"

    seq: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, index=True)
    kind: str
    client_order_id: str = Field(index=True)
    correlation_id: str | None = Field(default=None, index=True)
    causation_id: str | None = None
    ts_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))


class OrderRow(SQLModel, table=True):
    """An order's current state (the whole Order as JSON, plus columns to query by)."""

    __tablename__ = "orders"

    client_order_id: str = Field(primary_key=True)
    status: str = Field(index=True)
    venue: str = Field(index=True)
    instrument_id: str
    parent_id: str | None = Field(default=None, index=True)
    leg_group_id: str | None = Field(default=None, index=True)
    updated_ts_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))


class FillRow(SQLModel, table=True):
    """A booked fill; (order, venue trade id) is unique, so a re-delivered fill cannot double."""

    __tablename__ = "fills"

    client_order_id: str = Field(primary_key=True)
    trade_id: str = Field(primary_key=True)
    venue: str
    instrument_id: str
    side: str
    qty: str
    price: str
    fee: str
    fee_asset: str
    liquidity: str
    ts_ns: int = Field(sa_column=Column(BigInteger, nullable=False))


class PositionRow(SQLModel, table=True):
    """Net position per venue and instrument (signed, in units of the instrument's base)."""

    __tablename__ = "positions"

    venue: str = Field(primary_key=True)
    instrument_id: str = Field(primary_key=True)
    net_qty: str


class BalanceRow(SQLModel, table=True):
    """Change in an asset's balance on a venue caused by our fills and fees."""

    __tablename__ = "balances"

    venue: str = Field(primary_key=True)
    asset: str = Field(primary_key=True)
    amount: str


class AuditRow(SQLModel, table=True):
    """An audit record (a compliance decision, ...). Only ever inserted, never updated."""

    __tablename__ = "audit_records"

    seq: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    subject: str = Field(index=True)
    ts_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
