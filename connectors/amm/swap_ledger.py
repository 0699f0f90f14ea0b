"""What the Safe venue has tried to send, written down before anything is signed.

One row per attempt of one client order id: the Safe it goes through, the Safe nonce and the
SafeTx hash it was built with, the transaction manager's id for the relayer's transaction, and
once known its outcome (the fills, or why it was rejected). A fresh process reads it to decide
what an order's outcome is: by the Safe nonce (used by this SafeTx, by another, or not yet) and
the transaction manager's record (none, in flight, mined, reverted). A second attempt exists
only when the first provably never left the process.

SQLite (WAL, synchronous=FULL: a row survives a SIGKILL once `prepare` returns) or any
SQLAlchemy URL.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url

from connectors.errors import TerminalVenueError
from connectors.orders import Liquidity, VenueFill
from connectors.venue import Side


class AttemptState(StrEnum):
    PREPARED = "prepared"  # written before signing; the outcome is read from the chain
    FILLED = "filled"  # our SafeTx ran: its fills are below
    REJECTED = "rejected"  # nothing moved, and the SafeTx can no longer run as sent
    NEVER_SENT = "never_sent"  # provably never left the process; a later attempt replaced it


class LedgerConflict(TerminalVenueError):
    """An attempt that is already on record was written again; `field` names the clash."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True, slots=True)
class SwapAttempt:
    """One try at one order: the SafeTx it was built as and what became of it."""

    client_order_id: str
    attempt: int
    venue: str
    symbol: str
    side: Side
    qty: Decimal
    safe: str
    safe_nonce: int
    safe_tx_hash: str
    tx_id: str  # the transaction manager's id of the relayer's transaction
    from_block: int  # the chain head when it was built: where to look for its execution
    state: AttemptState = AttemptState.PREPARED
    reason: str = ""
    tx_hash: str | None = None  # the relayer's mined transaction
    fills: tuple[VenueFill, ...] = ()
    created_ns: int = 0

    @property
    def filled_qty(self) -> Decimal:
        return sum((f.qty for f in self.fills), Decimal(0))

    @property
    def filled_quote(self) -> Decimal:
        return sum((f.qty * f.price for f in self.fills), Decimal(0))


METADATA = MetaData()
ATTEMPTS = Table(
    "safe_swap_attempts", METADATA,
    Column("client_order_id", String(64), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("venue", String(120), nullable=False, index=True),
    Column("symbol", String(80), nullable=False),
    Column("side", String(8), nullable=False),
    Column("qty", Text, nullable=False),
    Column("safe", String(42), nullable=False),
    Column("safe_nonce", BigInteger, nullable=False),
    Column("safe_tx_hash", String(66), nullable=False),
    Column("tx_id", String(64), nullable=False, unique=True),
    Column("from_block", BigInteger, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("tx_hash", String(66)),
    Column("fills_json", Text, nullable=False),
    Column("created_ns", BigInteger, nullable=False),
    Column("updated_ns", BigInteger, nullable=False),
)


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 10.0}, isolation_level=None)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a written attempt survives a kill
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class SwapLedger:
    """Attempts of the Safe venue's orders, durable before the Safe transaction is signed."""

    def __init__(self, url: str) -> None:
        self._engine = _engine(url)
        METADATA.create_all(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.begin() as connection:
            yield connection

    def prepare(self, attempt: SwapAttempt) -> SwapAttempt:
        """Record an attempt before its SafeTx is signed; refuses one already on record."""
        now = time.time_ns()
        written = dataclasses.replace(attempt, state=AttemptState.PREPARED, created_ns=now)
        with self._write() as connection:
            exists = connection.execute(select(ATTEMPTS.c.attempt).filter_by(
                client_order_id=attempt.client_order_id, attempt=attempt.attempt)).first()
            if exists is not None:
                raise LedgerConflict("attempt", f"{attempt.client_order_id} attempt "
                                                f"{attempt.attempt} is already on record")
            connection.execute(insert(ATTEMPTS).values(**_row(written), updated_ns=now))
        return written

    def settle(self, attempt: SwapAttempt, state: AttemptState, reason: str = "",
               tx_hash: str | None = None, fills: tuple[VenueFill, ...] = ()) -> SwapAttempt:
        """Record the outcome of a prepared attempt once; the first outcome on record wins."""
        with self._write() as connection:
            connection.execute(update(ATTEMPTS).filter_by(
                client_order_id=attempt.client_order_id, attempt=attempt.attempt,
                state=AttemptState.PREPARED.value).values(
                state=state.value, reason=reason, tx_hash=tx_hash,
                fills_json=_fills_json(fills), updated_ns=time.time_ns()))
            row = connection.execute(select(ATTEMPTS).filter_by(
                client_order_id=attempt.client_order_id, attempt=attempt.attempt)).one()
        return _attempt(row)

    def latest(self, client_order_id: str) -> SwapAttempt | None:
        """The order's last attempt, or None when nothing was ever prepared for it."""
        with self._engine.connect() as connection:
            row = connection.execute(select(ATTEMPTS).filter_by(
                client_order_id=client_order_id).order_by(ATTEMPTS.c.attempt.desc())
                .limit(1)).first()
        return None if row is None else _attempt(row)

    def attempts(self, venue: str | None = None, state: AttemptState | None = None,
                 safe: str | None = None) -> list[SwapAttempt]:
        """Every attempt (of one venue, in one state, through one Safe), oldest first."""
        query = select(ATTEMPTS)
        if venue is not None:
            query = query.where(ATTEMPTS.c.venue == venue)
        if state is not None:
            query = query.where(ATTEMPTS.c.state == state.value)
        if safe is not None:
            query = query.where(ATTEMPTS.c.safe == safe)
        with self._engine.connect() as connection:
            rows = connection.execute(query.order_by(ATTEMPTS.c.created_ns,
                                                     ATTEMPTS.c.attempt)).all()
        return [_attempt(row) for row in rows]


def _row(attempt: SwapAttempt) -> dict[str, Any]:
    return {"client_order_id": attempt.client_order_id, "attempt": attempt.attempt,
            "venue": attempt.venue, "symbol": attempt.symbol, "side": attempt.side.value,
            "qty": str(attempt.qty), "safe": attempt.safe, "safe_nonce": attempt.safe_nonce,
            "safe_tx_hash": attempt.safe_tx_hash, "tx_id": attempt.tx_id,
            "from_block": attempt.from_block, "state": attempt.state.value,
            "reason": attempt.reason, "tx_hash": attempt.tx_hash,
            "fills_json": _fills_json(attempt.fills), "created_ns": attempt.created_ns}


def _fills_json(fills: tuple[VenueFill, ...]) -> str:
    return json.dumps([{**dataclasses.asdict(f), "side": f.side.value,
                        "liquidity": f.liquidity.value, "qty": str(f.qty),
                        "price": str(f.price), "fee": str(f.fee)} for f in fills])


def _fill(raw: dict[str, Any]) -> VenueFill:
    return VenueFill(raw["venue"], raw["client_order_id"], raw["venue_order_id"],
                     raw["trade_id"], raw["symbol"], Side(raw["side"]), Decimal(raw["qty"]),
                     Decimal(raw["price"]), Decimal(raw["fee"]), raw["fee_asset"],
                     Liquidity(raw["liquidity"]), int(raw["ts_ns"]))


def _attempt(row: Row[Any]) -> SwapAttempt:
    m = row._mapping
    return SwapAttempt(
        client_order_id=m["client_order_id"], attempt=m["attempt"], venue=m["venue"],
        symbol=m["symbol"], side=Side(m["side"]), qty=Decimal(m["qty"]), safe=m["safe"],
        safe_nonce=m["safe_nonce"], safe_tx_hash=m["safe_tx_hash"], tx_id=m["tx_id"],
        from_block=m["from_block"], state=AttemptState(m["state"]), reason=m["reason"],
        tx_hash=m["tx_hash"], fills=tuple(_fill(f) for f in json.loads(m["fills_json"])),
        created_ns=m["created_ns"])
