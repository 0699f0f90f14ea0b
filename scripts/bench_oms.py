"""OMS benchmarks: durable journal appends, and orders through accept -> gate -> journal.

1. `Journal.append` of order events (validation, lifecycle, projections, one fsync'd WAL
   commit each) on SQLite in a temporary directory. Baseline, same run and same file system: a
   bare sqlite3 single-row INSERT + COMMIT per row with the same pragmas, i.e. the floor any
   durable per-event write must pay. The ratio (value / baseline) says what share we keep.
2. Orders per second through `OrderManager.prepare`: a new order with its deterministic id,
   the real gate (risk.pretrade.PreTradeGate + risk.compliance.Screener via RiskGate), and the
   write-ahead OrderCreated in the SQLite WAL journal, everything but the venue call; with the
   median and p99 latency of one order. Baseline: the same run's bare durable insert (1.).
   NautilusTrader's order submission through its risk engine is measured in the same run
   only when a Python with `nautilus_trader` is given in NAUTILUS_PYTHON (it is not a
   dependency of this project).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from engine.api import risk_gate
from engine.journal import Journal, JournalConfig
from engine.model import Side
from engine.oms import ChildSpec, OrderManager, PaperVenue

from factories import accepted, filled, new_order

_ORDERS = 300  # four events each; a few seconds on a laptop SSD
_GATED = 400
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


def _gated_orders(folder: Path) -> tuple[float, list[float]]:
    """(orders/s, per-order latencies in us) through accept -> gate -> journal."""
    venue = PaperVenue("bench", {"WETH/USDC": ([(Decimal(3001), Decimal(10**6))],
                                               [(Decimal(2999), Decimal(10**6))])})
    gate = risk_gate([venue], "desk", "bench", f"sqlite:///{folder / 'lists.sqlite'}")
    journal = Journal(JournalConfig(url=f"sqlite:///{folder / 'gated.sqlite'}"))
    oms = OrderManager(journal, {"bench": venue}, gate)
    oms.subscribe(gate.on_event)
    oms.attach()
    oms.accepting = True  # an empty journal: nothing to reconcile
    spec = ChildSpec("bench", "WETH/USDC", Side.BUY, Decimal("0.01"),
                     expected_price=Decimal(3001))
    latencies = []
    started = time.perf_counter()
    for n in range(_GATED):
        before = time.perf_counter_ns()
        (order,) = oms.prepare([spec], parent_id=f"bench-{n}")
        latencies.append((time.perf_counter_ns() - before) / 1000)
        assert order.status.value == "pending_new"
    elapsed = time.perf_counter() - started
    journal.close()
    return _GATED / elapsed, latencies


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# Run in NautilusTrader's own Python: a strategy submits limit orders (far from any market) in
# a BacktestEngine; each submit_order passes its RiskEngine and ExecutionEngine to the
# simulated venue. Nautilus keeps its cache in memory here: no durable write per order, unlike
# our journal, so the comparison shows the cost of write-ahead durability as much as anything.
_NAUTILUS_SCRIPT = """import json, sys, time
from decimal import Decimal
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.enums import AccountType, OmsType, OrderSide, TimeInForce
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.trading.strategy import Strategy

N = int(sys.argv[1])
result = {}

class Submitter(Strategy):
    def __init__(self, instrument):
        super().__init__(StrategyConfig(strategy_id="BENCH-001"))
        self.instrument = instrument
    def on_start(self):
        lat = []
        t0 = time.perf_counter()
        for _ in range(N):
            order = self.order_factory.limit(self.instrument.id, OrderSide.BUY,
                                             Quantity.from_int(1000), Price.from_str("1.00000"),
                                             time_in_force=TimeInForce.GTC)
            b = time.perf_counter_ns()
            self.submit_order(order)
            lat.append((time.perf_counter_ns() - b) / 1000)
        el = time.perf_counter() - t0
        lat.sort()
        result.update(orders_per_s=round(N / el, 1), median_us=round(lat[len(lat)//2], 1),
                      p99_us=round(lat[min(len(lat)-1, int(0.99*len(lat)))], 1))

engine = BacktestEngine(BacktestEngineConfig(logging=LoggingConfig(log_level="ERROR")))
venue = Venue("SIM")
engine.add_venue(venue, oms_type=OmsType.NETTING, account_type=AccountType.MARGIN,
                 starting_balances=[Money(1_000_000, USD)])
inst = TestInstrumentProvider.default_fx_ccy("EUR/USD", venue)
engine.add_instrument(inst)
engine.add_strategy(Submitter(inst))
engine.run()
print(json.dumps(result))
"""


def _nautilus() -> list[dict[str, Any]]:
    """NautilusTrader's submit_order through its RiskEngine, in its own Python (optional)."""
    python = os.environ.get("NAUTILUS_PYTHON")
    if not python:
        return []
    done = subprocess.run([python, "-c", _NAUTILUS_SCRIPT, str(_GATED)], capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode != 0:
        print(f"nautilus bench failed: {done.stderr[-2000:]}", file=sys.stderr)
        return []
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return [{"name": f"nautilus_{k}", "value": v, "unit": u, "better": b}
            for k, v, u, b in (("orders_per_s", measured["orders_per_s"], "orders/s",
                                "higher"),
                               ("order_latency_median_us", measured["median_us"], "us",
                                "lower"),
                               ("order_latency_p99_us", measured["p99_us"], "us", "lower"))]


def run() -> list[dict[str, Any]]:
    """Measure values and baselines in this run; results in the `make bench` shape."""
    with tempfile.TemporaryDirectory() as folder:
        baseline = _bare_sqlite_rows_per_s(Path(folder))
        value = _journal_events_per_s(Path(folder))
        gated, latencies = _gated_orders(Path(folder))
    results = [{
        "name": "journal_durable_appends_per_s", "value": round(value, 1), "unit": "events/s",
        "better": "higher", "baseline_name": "bare_sqlite_insert_commit_per_s",
        "baseline_value": round(baseline, 1), "ratio": round(value / baseline, 4),
    }, {
        "name": "orders_accept_gate_journal_per_s", "value": round(gated, 1),
        "unit": "orders/s", "better": "higher",
        "baseline_name": "bare_sqlite_insert_commit_per_s", "baseline_value": round(baseline, 1),
        "ratio": round(gated / baseline, 4),
    }, {
        "name": "order_accept_gate_journal_median_us",
        "value": round(_percentile(latencies, 0.5), 1), "unit": "us", "better": "lower",
    }, {
        "name": "order_accept_gate_journal_p99_us",
        "value": round(_percentile(latencies, 0.99), 1), "unit": "us", "better": "lower",
    }]
    nautilus = _nautilus()
    if nautilus:  # the comparison: the same path in NautilusTrader, same run
        for ours, theirs in zip(results[1:], nautilus, strict=True):
            ours.update(baseline_name=theirs["name"], baseline_value=theirs["value"],
                        ratio=round(ours["value"] / theirs["value"], 4))
    return results + nautilus


if __name__ == "__main__":
    for result in run():
        print(result)
