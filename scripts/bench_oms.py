"""OMS benchmarks: durable journal appends per second.

Value: `Journal.append` of order events (validation, lifecycle, projections, one fsync'd WAL
commit each) on SQLite in a temporary directory. Baseline, same run and same file system: a bare
sqlite3 single-row INSERT + COMMIT per row with the same pragmas, i.e. the floor any durable
per-event write must pay. The ratio (value / baseline) says what share of that floor we keep.
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

_ORDERS = 300  # four events each; a few seconds on a laptop SSD
_EVENTS = 4 * _ORDERS


def _journal_events_per_s(folder: Path) -> float:
    orders = [new_order(n) for n in range(_ORDERS)]
    with Journal(JournalConfig(url=f"sqlite:///{folder / 'journal.sqlite'}")) as journal:
        started = time.perf_counter()
        for order in orders:
            journal.record_new_order(order)
            journal.append(accepted(order))
            journal.append(filled(order, "0.5", trade="a"))
            journal.append(filled(order, "1.5", trade="b"))
        elapsed = time.perf_counter() - started
    return _EVENTS / elapsed


def _bare_sqlite_rows_per_s(folder: Path) -> float:
    connection = sqlite3.connect(folder / "bare.sqlite", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, payload TEXT)")
    payload = '{"kind": "filled", "qty": "0.5"}' * 8
    started = time.perf_counter()
    for _ in range(_EVENTS):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO events (payload) VALUES (?)", (payload,))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return _EVENTS / elapsed


def run() -> list[dict[str, Any]]:
    """Measure value and baseline in this run; results in the `make bench` shape."""
    with tempfile.TemporaryDirectory() as folder:
        baseline = _bare_sqlite_rows_per_s(Path(folder))
        value = _journal_events_per_s(Path(folder))
    return [{
        "name": "journal_durable_appends_per_s", "value": round(value, 1), "unit": "events/s",
        "better": "higher", "baseline_name": "bare_sqlite_insert_commit_per_s",
        "baseline_value": round(baseline, 1), "ratio": round(value / baseline, 4),
    }]


if __name__ == "__main__":
    for result in run():
        print(result)
