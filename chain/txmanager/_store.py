"""The transaction manager's store: per-sender next nonce, tracked transactions, their signed
versions and every state change, in SQLite (WAL) or any SQLAlchemy URL.

Nonces are reserved inside one write transaction (`BEGIN IMMEDIATE` on SQLite), so two tasks or
two processes sharing a store serialise on the database lock and never get the same nonce. A
reservation carries a lease (owner, expiry): while it runs, only its owner sends at that nonce;
once it expires, any manager may close the nonce with a filler. State changes are compare-and-set
on the current state, so two trackers of the same transaction cannot both apply a change.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from sqlalchemy import (
    BigInteger,
    Boolean,
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
from sqlalchemy.exc import IntegrityError, OperationalError

from chain.txmanager._model import (
    TRANSITIONS,
    Fees,
    TxEvent,
    TxPurpose,
    TxRecord,
    TxState,
    TxVersion,
    VersionKind,
)
from chain.txmanager.errors import IllegalTxTransition, NonceLeaseBusy, UnknownTransaction

METADATA = MetaData()

NONCES = Table(
    "txm_nonces", METADATA,
    Column("chain_id", BigInteger, primary_key=True),
    Column("sender", String(42), primary_key=True),
    Column("next_nonce", BigInteger, nullable=False),
)
RECORDS = Table(
    "txm_transactions", METADATA,
    Column("tx_id", String(64), primary_key=True),
    Column("chain_id", BigInteger, nullable=False, index=True),
    Column("sender", String(42), nullable=False, index=True),
    Column("nonce", BigInteger, nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("to", String(42), nullable=False),
    Column("data", Text, nullable=False),  # 0x-hex
    Column("value_wei", Text, nullable=False),  # decimal string: uint256 exceeds BIGINT
    Column("gas_limit", BigInteger, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("settled", Boolean, nullable=False, default=False, index=True),
    Column("mined_hash", String(66)),
    Column("block_number", BigInteger),
    Column("block_hash", String(66)),
    Column("detail", Text, nullable=False, default=""),
    Column("lease_owner", String(64)),
    Column("lease_expires_ns", BigInteger),
    Column("rebroadcasts", Integer, nullable=False, default=0),
    Column("replacements", Integer, nullable=False, default=0),
    Column("created_ns", BigInteger, nullable=False),
    Column("updated_ns", BigInteger, nullable=False),
)
VERSIONS = Table(
    "txm_versions", METADATA,
    Column("tx_hash", String(66), primary_key=True),
    Column("tx_id", String(64), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("fees", Text, nullable=False),  # JSON of Fees
    Column("raw", Text, nullable=False),  # 0x-hex signed transaction
    Column("sent_ns", BigInteger),
)
EVENTS = Table(
    "txm_events", METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("tx_id", String(64), nullable=False, index=True),
    Column("sender", String(42), nullable=False),
    Column("nonce", BigInteger, nullable=False),
    Column("previous", String(16)),
    Column("state", String(16), nullable=False),
    Column("tx_hash", String(66)),
    Column("block_number", BigInteger),
    Column("detail", Text, nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
)


def open_store_engine(url: str, busy_timeout_ms: int) -> Engine:
    """An engine for `url`; on SQLite: WAL, full sync, and the write lock taken at BEGIN."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # The write lock up front: two reservations queue instead of failing on lock upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class TxStore:
    """Persistence of nonces, tracked transactions, versions and events."""

    def __init__(self, url: str, busy_timeout_ms: int = 10_000) -> None:
        self._engine = open_store_engine(url, busy_timeout_ms)
        METADATA.create_all(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _write(self, sender: str = "") -> Iterator[Connection]:
        try:
            with self._engine.begin() as connection:
                yield connection
        except OperationalError as error:
            if "locked" in str(error.orig):
                raise NonceLeaseBusy(sender, str(error.orig)) from error
            raise

    # --- nonces -------------------------------------------------------------------------------

    def reserve(self, record: TxRecord, chain_pending_nonce: int, lease_owner: str,
                lease_expires_ns: int) -> tuple[TxRecord, TxEvent]:
        """Give `record` the sender's next nonce (never below the chain's pending count) under
        a lease, insert it as CREATED and advance the sender's next nonce, atomically."""
        key = {"chain_id": record.chain_id, "sender": record.sender}
        self._ensure_sender(key)
        with self._write(record.sender) as connection:
            # FOR UPDATE locks the row on PostgreSQL; SQLite already holds the database lock.
            stored = connection.execute(
                select(NONCES.c.next_nonce).filter_by(**key).with_for_update()).scalar_one()
            nonce = max(stored, chain_pending_nonce)
            connection.execute(update(NONCES).filter_by(**key).values(next_nonce=nonce + 1))
            reserved = _replace(record, nonce=nonce)
            connection.execute(insert(RECORDS).values(
                **_record_row(reserved), lease_owner=lease_owner,
                lease_expires_ns=lease_expires_ns))
            return reserved, self._event(connection, reserved, None, reserved.detail)

    def _ensure_sender(self, key: dict[str, Any]) -> None:
        """Create the sender's nonce row once; a concurrent creator winning is fine."""
        with self._engine.connect() as connection:
            exists = connection.execute(select(NONCES.c.next_nonce).filter_by(**key)).first()
        if exists is None:
            with contextlib.suppress(IntegrityError), self._write(key["sender"]) as connection:
                connection.execute(insert(NONCES).values(**key, next_nonce=0))

    def insert_at_nonce(self, record: TxRecord, lease_owner: str,
                        lease_expires_ns: int) -> tuple[TxRecord, TxEvent]:
        """Insert a filler at the nonce it closes (the nonce is already counted as used)."""
        with self._write(record.sender) as connection:
            connection.execute(insert(RECORDS).values(
                **_record_row(record), lease_owner=lease_owner,
                lease_expires_ns=lease_expires_ns))
            return record, self._event(connection, record, None, record.detail)

    def release(self, chain_id: int, sender: str, nonce: int) -> bool:
        """Hand `nonce` back when it is the last one reserved; False when a later one exists."""
        key = {"chain_id": chain_id, "sender": sender}
        with self._write(sender) as connection:
            result = connection.execute(
                update(NONCES).filter_by(**key, next_nonce=nonce + 1).values(next_nonce=nonce))
            return result.rowcount == 1

    def rewind(self, chain_id: int, sender: str, chain_pending_nonce: int) -> int | None:
        """Set the sender's next nonce back to the chain's pending nonce when the store is
        ahead and no unsettled record holds a nonce at or above it; return the old value."""
        key = {"chain_id": chain_id, "sender": sender}
        with self._write(sender) as connection:
            stored = connection.execute(select(NONCES.c.next_nonce).filter_by(**key)
                                        .with_for_update()).scalar_one_or_none()
            if stored is None or stored <= chain_pending_nonce:
                return None
            in_flight = connection.execute(select(RECORDS.c.tx_id).where(
                RECORDS.c.chain_id == chain_id, RECORDS.c.sender == sender,
                RECORDS.c.nonce >= chain_pending_nonce, RECORDS.c.settled.is_(False),
            ).limit(1)).first()
            if in_flight is not None:
                return None
            connection.execute(
                update(NONCES).filter_by(**key).values(next_nonce=chain_pending_nonce))
            return int(stored)

    def next_nonce(self, chain_id: int, sender: str) -> int | None:
        with self._engine.connect() as connection:
            value = connection.execute(select(NONCES.c.next_nonce).filter_by(
                chain_id=chain_id, sender=sender)).scalar_one_or_none()
            return None if value is None else int(value)

    # --- state --------------------------------------------------------------------------------

    def transition(self, tx_id: str, expected: TxState, target: TxState, detail: str = "",
                   version: TxVersion | None = None, tx_hash: str | None = None,
                   **fields: Any) -> tuple[TxRecord, TxEvent] | None:
        """Move `tx_id` from `expected` to `target` (adding `version` when given) and record the
        event, which names `tx_hash` (else the version's, else the mined hash); None when
        another writer changed the state first."""
        if (expected, target) not in TRANSITIONS:
            raise IllegalTxTransition(tx_id, expected, target)
        with self._write() as connection:
            result = connection.execute(
                update(RECORDS).filter_by(tx_id=tx_id, state=expected.value).values(
                    state=target.value, detail=detail, updated_ns=_now_ns(), **fields))
            if result.rowcount != 1:
                return None
            if version is not None:
                self._insert_version(connection, tx_id, version)
            record = self._load(connection, tx_id)
            return record, self._event(connection, record, expected, detail,
                                       tx_hash or (version.tx_hash if version else None))

    def add_version(self, tx_id: str, version: TxVersion) -> None:
        """Persist a signed version before it is broadcast (so a crash cannot lose its hash)."""
        with self._write() as connection:
            self._insert_version(connection, tx_id, version)

    def update_fields(self, tx_id: str, **fields: Any) -> None:
        """Change bookkeeping columns (counters, lease, settled) without a state change."""
        with self._write() as connection:
            connection.execute(update(RECORDS).filter_by(tx_id=tx_id).values(**fields))

    def mark_sent(self, tx_hash: str, sent_ns: int) -> None:
        with self._write() as connection:
            connection.execute(update(VERSIONS).filter_by(tx_hash=tx_hash).values(sent_ns=sent_ns))

    # --- reads --------------------------------------------------------------------------------

    def get(self, tx_id: str) -> TxRecord:
        with self._engine.connect() as connection:
            return self._load(connection, tx_id)

    def counters(self, tx_id: str) -> dict[str, Any]:
        with self._engine.connect() as connection:
            row = connection.execute(select(
                RECORDS.c.rebroadcasts, RECORDS.c.replacements, RECORDS.c.lease_owner,
                RECORDS.c.lease_expires_ns).filter_by(tx_id=tx_id)).one()
            return dict(row._mapping)

    def unsettled(self, chain_id: int, senders: Sequence[str]) -> list[TxRecord]:
        """Every record of these senders that is still watched (not settled), by nonce."""
        with self._engine.connect() as connection:
            ids = connection.execute(select(RECORDS.c.tx_id).where(
                RECORDS.c.chain_id == chain_id, RECORDS.c.sender.in_(list(senders)),
                RECORDS.c.settled.is_(False)).order_by(RECORDS.c.nonce,
                                                       RECORDS.c.created_ns)).scalars().all()
            return [self._load(connection, tx_id) for tx_id in ids]

    def at_nonce(self, chain_id: int, sender: str, nonce: int) -> list[TxRecord]:
        with self._engine.connect() as connection:
            ids = connection.execute(select(RECORDS.c.tx_id).filter_by(
                chain_id=chain_id, sender=sender, nonce=nonce)).scalars().all()
            return [self._load(connection, tx_id) for tx_id in ids]

    def events(self, tx_id: str) -> list[TxEvent]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(EVENTS).filter_by(tx_id=tx_id).order_by(EVENTS.c.seq)).all()
            return [_event_from_row(row) for row in rows]

    # --- rows ---------------------------------------------------------------------------------

    def _insert_version(self, connection: Connection, tx_id: str, version: TxVersion) -> None:
        seq = len(connection.execute(
            select(VERSIONS.c.tx_hash).filter_by(tx_id=tx_id)).all())
        connection.execute(insert(VERSIONS).values(
            tx_hash=version.tx_hash, tx_id=tx_id, seq=seq, kind=version.kind.value,
            fees=json.dumps(version.fees.to_json()), raw="0x" + version.raw.hex(),
            sent_ns=version.sent_ns))

    def _load(self, connection: Connection, tx_id: str) -> TxRecord:
        row = connection.execute(select(RECORDS).filter_by(tx_id=tx_id)).one_or_none()
        if row is None:
            raise UnknownTransaction(tx_id)
        versions = connection.execute(
            select(VERSIONS).filter_by(tx_id=tx_id).order_by(VERSIONS.c.seq)).all()
        return _record_from_row(row, tuple(_version_from_row(v) for v in versions))

    def _event(self, connection: Connection, record: TxRecord, previous: TxState | None,
               detail: str, tx_hash: str | None = None) -> TxEvent:
        tx_event = TxEvent(
            tx_id=record.tx_id, sender=record.sender, nonce=record.nonce, previous=previous,
            state=record.state, tx_hash=tx_hash or record.mined_hash, detail=detail,
            block_number=record.block_number, ts_ns=_now_ns())
        connection.execute(insert(EVENTS).values(
            tx_id=tx_event.tx_id, sender=tx_event.sender, nonce=tx_event.nonce,
            previous=previous.value if previous else None, state=tx_event.state.value,
            tx_hash=tx_event.tx_hash, block_number=tx_event.block_number, detail=detail,
            ts_ns=tx_event.ts_ns))
        return tx_event


def _now_ns() -> int:
    return time.time_ns()


def _replace(record: TxRecord, **changes: Any) -> TxRecord:
    return dataclasses.replace(record, **changes)


def _record_row(record: TxRecord) -> dict[str, Any]:
    return {
        "tx_id": record.tx_id, "chain_id": record.chain_id, "sender": record.sender,
        "nonce": record.nonce, "purpose": record.purpose.value, "to": record.to,
        "data": "0x" + record.data.hex(), "value_wei": str(record.value_wei),
        "gas_limit": record.gas_limit, "state": record.state.value, "settled": record.settled,
        "mined_hash": record.mined_hash, "block_number": record.block_number,
        "block_hash": record.block_hash, "detail": record.detail,
        "created_ns": record.created_ns, "updated_ns": record.updated_ns,
    }


def _record_from_row(row: Row[Any], versions: tuple[TxVersion, ...]) -> TxRecord:
    m = row._mapping
    sender: ChecksumAddress = to_checksum_address(m["sender"])
    return TxRecord(
        tx_id=m["tx_id"], chain_id=m["chain_id"], sender=sender, nonce=m["nonce"],
        purpose=TxPurpose(m["purpose"]), to=to_checksum_address(m["to"]),
        data=bytes.fromhex(m["data"][2:]), value_wei=int(m["value_wei"]),
        gas_limit=m["gas_limit"], state=TxState(m["state"]), settled=bool(m["settled"]),
        mined_hash=m["mined_hash"], block_number=m["block_number"], block_hash=m["block_hash"],
        detail=m["detail"], created_ns=m["created_ns"], updated_ns=m["updated_ns"],
        versions=versions,
    )


def _version_from_row(row: Row[Any]) -> TxVersion:
    m = row._mapping
    return TxVersion(tx_hash=m["tx_hash"], kind=VersionKind(m["kind"]),
                     fees=Fees(**json.loads(m["fees"])), raw=bytes.fromhex(m["raw"][2:]),
                     sent_ns=m["sent_ns"])


def _event_from_row(row: Row[Any]) -> TxEvent:
    m = row._mapping
    return TxEvent(
        tx_id=m["tx_id"], sender=to_checksum_address(m["sender"]), nonce=m["nonce"],
        previous=TxState(m["previous"]) if m["previous"] else None, state=TxState(m["state"]),
        tx_hash=m["tx_hash"], block_number=m["block_number"], detail=m["detail"],
        ts_ns=m["ts_ns"])
