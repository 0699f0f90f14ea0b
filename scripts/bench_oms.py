"""OMS benchmarks: durable journal appends per second.

Value: `Journal.append` of order events (validation, lifecycle, projections, one fsync'd WAL
commit each) on SQLite. Baseline, same run and same file system: a bare sqlite3 INSERT + COMMIT
per row with the same pragmas, i.e. the floor any durable per-event write must pay. The ratio
says what share of that floor our journal keeps.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from engine.journal import Journal, JournalConfig

from factories import accepted, filled, new_order

_ORDERS = 300  # four events each


def _journal_events_per_s(folder: Path) -> float:
    journal = Journal(JournalConfig(url=f"sqlite:///{folder / 'journal.sqlite'}"))
    orders = [new_order(n) for n in range(_ORDERS)]
    started = time.perf_counter()
    for order in orders:
        journal.record_new_order(order)
        journal.append(accepted(order))
        journal.append(filled(order, "0.5", trade="a"))
        journal.append(filled(order, "1.5", trade="b"))
    elapsed = time.perf_counter() - started
    journal.close()
    return 4 * _ORDERS / elapsed


def _bare_sqlite_rows_per_s(folder: Path) -> float:
    connection = sqlite3.connect(folder / "bare.sqlite", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, payload TEXT)")
    payload = '{"kind": "filled", "qty": "0.5"}' * 8
    started = time.perf_counter()
    for _ in range(4 * _ORDERS):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO events (payload) VALUES (?)", (payload,))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return 4 * _ORDERS / elapsed


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        baseline = _bare_sqlite_rows_per_s(Path(folder))
        value = _journal_events_per_s(Path(folder))
    return [{
        "name": "journal_durable_appends_per_s", "value": value, "unit": "events/s",
        "better": "higher", "baseline_name": "bare_sqlite_commits_per_s",
        "baseline_value": baseline,
    }]
