"""Compliance benchmarks: address lookups against a one-million-address list, and exposure over
100k transfers.

Lookups: 1,000,000 random addresses loaded as one list version into a SQLite store; 200,000
queries (half listed, half not, mixed-case input as a caller would pass it). Measured: the
in-memory snapshot lookup the gate does (normalise the address, then test every list), the
indexed SQL point lookup that needs no list in memory, and a whole `Screener.screen` call on
one address (which also reads the store's newest version). Baseline, same run: `in` on a bare
Python set of the pre-normalised strings.

Exposure: 100,000 random transfers among 20,000 addresses with 50 listed ones; the time to build
the graph and compute every address's hop distance (up to 2) to a listed address. Baseline,
same run: scipy's compiled shortest paths (unweighted, so breadth-first) from a super-source
joined to every listed address; the two results are checked to be identical.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from risk.compliance import (
    AddressRole,
    ListedAddress,
    ListEffect,
    ListFormat,
    ListStore,
    ParsedList,
    Screener,
    ScreeningRequest,
    Transfer,
    TransferGraph,
    normalize_address,
)

_LIST_SIZE = 1_000_000
_QUERIES = 200_000
_SQL_QUERIES = 20_000
_SCREENS = 5_000
_TRANSFERS = 100_000
_ACCOUNTS = 20_000
_LISTED = 50
_HOPS = 2


def _addresses(rng: random.Random, count: int) -> list[str]:
    return ["0x" + rng.randbytes(20).hex() for _ in range(count)]


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _lookups(rng: random.Random, workdir: Path) -> list[dict[str, Any]]:
    listed = _addresses(rng, _LIST_SIZE)
    queries = [a.upper().replace("0X", "0x") if i % 3 == 0 else a for i, a in enumerate(
        [*rng.sample(listed, _QUERIES // 2), *_addresses(rng, _QUERIES // 2)])]
    rng.shuffle(queries)
    store = ListStore(f"sqlite:///{workdir / 'bench.sqlite'}")
    started = time.perf_counter()
    entries = tuple(ListedAddress(a, "ETH", "", "") for a in listed)
    version = store.load("bench-sdn", ListEffect.SANCTIONS,
                         ParsedList(ListFormat.PLAIN, date(2026, 1, 1), "bench", entries),
                         source="bench").version
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    snapshot = store.snapshot()
    snapshot_s = time.perf_counter() - started

    started = time.perf_counter()
    hits = sum(1 for q in queries if snapshot.hits(normalize_address(q)))
    gate_s = time.perf_counter() - started
    bare = set(listed)
    prepared = [q.lower() for q in queries]
    started = time.perf_counter()
    bare_hits = sum(1 for q in prepared if q in bare)
    bare_s = time.perf_counter() - started
    assert hits == bare_hits == _QUERIES // 2, (hits, bare_hits)

    started = time.perf_counter()
    sql_hits = sum(1 for q in prepared[:_SQL_QUERIES] if store.contains(version, q))
    sql_s = time.perf_counter() - started
    assert sql_hits == sum(1 for q in prepared[:_SQL_QUERIES] if q in bare)

    screener = Screener(store)
    requests = [ScreeningRequest.of(f"leg-{i}", "bench", [(q, AddressRole.RECIPIENT)])
                for i, q in enumerate(queries[:_SCREENS])]
    screener.screen(requests[0])  # loads the snapshot once, as a running engine would have
    started = time.perf_counter()
    for request in requests:
        screener.screen(request)
    screen_s = time.perf_counter() - started
    store.close()
    bare_rate = _rate(_QUERIES, bare_s)
    return [
        {"name": "lookup_1m_list_snapshot_per_s", "value": _rate(_QUERIES, gate_s),
         "unit": "lookups/s", "better": "higher", "baseline_name": "bare_python_set_in_per_s",
         "baseline_value": bare_rate},
        {"name": "lookup_1m_list_sql_indexed_per_s", "value": _rate(_SQL_QUERIES, sql_s),
         "unit": "lookups/s", "better": "higher", "baseline_name": "bare_python_set_in_per_s",
         "baseline_value": bare_rate},
        {"name": "screen_call_1_address_1m_list_per_s", "value": _rate(_SCREENS, screen_s),
         "unit": "screens/s", "better": "higher", "baseline_name": "bare_python_set_in_per_s",
         "baseline_value": bare_rate},
        {"name": "load_1m_list_version_s", "value": load_s, "unit": "s", "better": "lower"},
        {"name": "snapshot_1m_list_into_memory_s", "value": snapshot_s, "unit": "s",
         "better": "lower"},
    ]


def _scipy_distances(found: list[Transfer], listed: frozenset[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for transfer in found:
        for address in (transfer.sender, transfer.recipient):
            index.setdefault(address, len(index))
    source = len(index)  # the super-source, one hop before every listed address
    rows = [index[t.sender] for t in found] + [source] * len(listed)
    cols = [index[t.recipient] for t in found] + [index[a] for a in listed]
    matrix = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(source + 1, source + 1))
    distances = dijkstra(matrix.tocsr(), directed=False, indices=source, unweighted=True,
                         limit=_HOPS + 1)
    names = list(index)
    return {names[i]: int(d) - 1 for i, d in enumerate(distances[:-1]) if np.isfinite(d)}


def _exposure(rng: random.Random) -> list[dict[str, Any]]:
    accounts = _addresses(rng, _ACCOUNTS)
    found = [Transfer(block=i, block_ts=i * 12, tx_hash=f"0x{i:064x}", log_index=0,
                      token="native", sender=s, recipient=r, amount_raw=rng.randrange(10**18))
             for i, (s, r) in enumerate(
                 (rng.choice(accounts), rng.choice(accounts)) for _ in range(_TRANSFERS))
             if s != r]
    listed = frozenset(rng.sample(accounts, _LISTED))
    started = time.perf_counter()
    graph = TransferGraph()
    graph.extend(found)
    distances = graph.exposure_map(listed, _HOPS)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    reference = _scipy_distances(found, listed)
    scipy_s = time.perf_counter() - started
    assert distances == reference, "exposure distances differ from scipy's"
    probes = accounts[:2_000]
    started = time.perf_counter()
    for address in probes:
        graph.exposure(address, listed, _HOPS)
    probe_s = time.perf_counter() - started
    return [
        {"name": "exposure_map_100k_transfers_s", "value": ours_s, "unit": "s",
         "better": "lower", "baseline_name": "scipy_csgraph_bfs_100k_transfers_s",
         "baseline_value": scipy_s},
        {"name": "exposure_single_address_2_hops_per_s", "value": _rate(len(probes), probe_s),
         "unit": "addresses/s", "better": "higher"},
        {"name": "exposed_addresses_within_2_hops", "value": len(distances) - _LISTED,
         "unit": "addresses", "better": "lower"},
    ]


def run() -> list[dict[str, Any]]:
    """Every compliance benchmark, each with its same-run baseline."""
    rng = random.Random(20260115)
    with tempfile.TemporaryDirectory() as workdir:
        results = _lookups(rng, Path(workdir))
    return results + _exposure(rng)


if __name__ == "__main__":
    for result in run():
        print(result)
