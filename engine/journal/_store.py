"""The database behind the journal: SQLite in WAL mode by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import create_engine


class JournalConfig(BaseModel):
    """Where the journal lives, and how long a writer waits for the lock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(
        default="sqlite:///.crossbook/journal.sqlite",
        description="SQLAlchemy URL: sqlite:///path (WAL) or postgresql+psycopg://...",
    )
    busy_timeout_ms: int = Field(
        default=5_000, ge=0,
        description="SQLite only: how long a writer waits for another's lock before failing.",
    )


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's implicit BEGIN is deferred.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        cursor.execute("PRAGMA synchronous=FULL")  # a commit survives power loss, not just a crash
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Take the write lock up front, so two writers queue instead of failing on upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def open_engine(config: JournalConfig) -> Engine:
    """An engine for the configured URL, with SQLite's durability settings where it applies."""
    if make_url(config.url).get_backend_name() == "sqlite":
        return _sqlite_engine(config.url, config.busy_timeout_ms)
    return create_engine(config.url, pool_pre_ping=True)
