"""Property: the single-address walk and the multi-source map agree on every random graph."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from risk.compliance import Transfer, TransferGraph

NODES = [f"0x{n:040x}" for n in range(1, 13)]


def _graph(edges: list[tuple[int, int]]) -> TransferGraph:
    graph = TransferGraph()
    graph.extend(Transfer(i, i, f"0x{i:064x}", 0, "native", NODES[s], NODES[r], 1)
                 for i, (s, r) in enumerate(edges))
    return graph


@settings(derandomize=True, max_examples=200)
@given(edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=30),
       listed=st.sets(st.integers(0, 11), min_size=1, max_size=3),
       max_hops=st.integers(1, 4))
def test_exposure_hops_equal_exposure_map_distance(
    edges: list[tuple[int, int]], listed: set[int], max_hops: int
) -> None:
    graph = _graph(edges)
    targets = frozenset(NODES[i] for i in listed)
    distances = graph.exposure_map(targets, max_hops)
    for node in NODES:
        if node in targets:
            continue
        path = graph.exposure(node, targets, max_hops)
        assert (path.hops if path else None) == distances.get(node)
        if path is not None:  # every step of the reported path is a real transfer
            assert all(b in graph.neighbors(a) for a, b in zip(path.path, path.path[1:],
                                                                strict=False))
