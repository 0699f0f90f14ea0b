"""Client order ids: distinct for distinct (parent, sequence), always within venue rules."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model import CLIENT_ORDER_ID_MAX_LENGTH, client_order_id, validate_client_order_id

BINANCE_RULE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


@settings(max_examples=300, derandomize=True)
@given(parents=st.lists(st.text(min_size=1, max_size=80), min_size=2, max_size=20, unique=True),
       sequences=st.lists(st.integers(0, 36**8 - 1), min_size=1, max_size=5, unique=True))
def test_client_order_id_when_distinct_parents_and_sequences_then_ids_are_distinct_and_valid(
    parents: list[str], sequences: list[int]
) -> None:
    ids = [client_order_id(parent, sequence) for parent in parents for sequence in sequences]
    assert len(set(ids)) == len(ids)
    assert all(BINANCE_RULE.fullmatch(i) and len(i) <= CLIENT_ORDER_ID_MAX_LENGTH for i in ids)
    assert all(validate_client_order_id(i) == i for i in ids)


@settings(max_examples=200, derandomize=True)
@given(parent=st.text(min_size=1), sequence=st.integers(0, 36**8 - 1))
def test_client_order_id_when_recomputed_then_identical(parent: str, sequence: int) -> None:
    assert client_order_id(parent, sequence) == client_order_id(parent, sequence)
