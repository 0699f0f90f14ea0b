"""The compliance store's schema (SQLAlchemy Core, its own metadata) and how it is opened.

One database holds every list version ever loaded (rows are only inserted, never updated), the
transfers indexed from the chain for exposure and typologies, the oracle's add/remove events and
the block cursors the indexers resume from. SQLite in WAL mode by default, any SQLAlchemy URL
otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from risk.compliance.errors import StoreError

DEFAULT_STORE_URL = "sqlite:///.crossbook/compliance.sqlite"

metadata = MetaData()

list_versions = Table(
    "list_versions", metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("list_name", String(64), nullable=False, index=True),
    Column("effect", String(16), nullable=False),
    Column("format", String(16), nullable=False),
    Column("published", String(10), nullable=False),  # ISO date of the list's publication
    Column("digest", String(64), nullable=False),
    Column("entry_count", Integer, nullable=False),
    Column("loaded_ts_ns", BigInteger, nullable=False),
    Column("source", Text, nullable=False),
)

list_entries = Table(
    "list_entries", metadata,
    Column("version", Integer, nullable=False),
    Column("address", String(128), nullable=False),
    Column("currency", String(16), nullable=False),
    Column("entity_uid", String(32), nullable=False),
    Column("entity_name", Text, nullable=False),
    UniqueConstraint("version", "currency", "address"),
    Index("ix_list_entries_address", "address", "version"),
)

transfers = Table(
    "transfers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chain_id", Integer, nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("block_ts", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("log_index", Integer, nullable=False),  # -1: the transaction's own native value
    Column("token", String(42), nullable=False),  # "native" for the chain's coin
    Column("sender", String(42), nullable=False, index=True),
    Column("recipient", String(42), nullable=False, index=True),
    Column("amount_raw", Text, nullable=False),  # base units as a decimal string (uint256)
    UniqueConstraint("chain_id", "tx_hash", "log_index"),
)

oracle_events = Table(
    "oracle_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chain_id", Integer, nullable=False),
    Column("oracle", String(42), nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("account", String(42), nullable=False, index=True),
    Column("added", Integer, nullable=False),  # 1 added to the list, 0 removed
    UniqueConstraint("chain_id", "tx_hash", "log_index"),
)

index_cursors = Table(
    "index_cursors", metadata,
    Column("name", String(160), primary_key=True),
    Column("last_block", BigInteger, nullable=False),
)


def insert_ignoring_duplicates(engine: Engine, table: Table) -> Any:
    """An INSERT that skips rows clashing with a unique key, on SQLite and PostgreSQL."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def upsert_cursor(engine: Engine, name: str, block: int) -> Any:
    """Set the cursor `name` to `block`, inserting it the first time."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(index_cursors).values(name=name, last_block=block)
    return statement.on_conflict_do_update(index_elements=["name"], set_={"last_block": block})


def open_store(url: str) -> Engine:
    """An engine on the compliance store with every table created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # screening reads never wait for a sync
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    try:
        metadata.create_all(engine)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot open the compliance store at {engine.url!r}: {error}") \
            from error
    return engine
