"""Replay is exact: random valid event streams, journaled, rebuild the same projections."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import TerminalError
from engine.journal import Journal, JournalConfig, Projections
from engine.model import (
    Fill,
    Instrument,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderCreated,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    Side,
    client_order_id,
)

from factories import new_order

VENUES = ("simex", "uniswap_v3", "uniswap_v2")
INSTRUMENTS = (Instrument(base="WETH", quote="USDC"), Instrument(base="WBTC", quote="USDC"))
ACTIONS = ("accept", "fill", "cancel_request", "cancel", "cancel_reject", "expire", "unknown",
           "reject")

step = st.tuples(st.integers(0, 4), st.sampled_from(ACTIONS), st.integers(1, 2000))
order_spec = st.tuples(st.sampled_from(VENUES), st.sampled_from(INSTRUMENTS),
                       st.sampled_from(Side), st.integers(1, 5000))


def _event(order_id: str, action: str, n: int, amount: int) -> OrderEvent:
    common = {"event_id": f"{order_id}/{n}", "client_order_id": order_id, "ts_ns": 10_000 + n}
    if action == "fill":
        fill = Fill(trade_id=f"t{n}", qty=Decimal(amount).scaleb(-3),
                    price=Decimal(2900 + amount % 200), fee=Decimal(amount % 7).scaleb(-2),
                    fee_asset="USDC", ts_ns=10_000 + n)
        return OrderFilled(**common, fill=fill)
    simple: dict[str, OrderEvent] = {
        "accept": OrderAccepted(**common, venue_order_id=f"v{n}"),
        "cancel_request": OrderCancelRequested(**common),
        "cancel": OrderCanceled(**common),
        "cancel_reject": OrderCancelRejected(**common, reason="too late"),
        "expire": OrderExpired(**common),
        "unknown": OrderStatusUnknown(**common, reason="timeout"),
        "reject": OrderRejected(**common, reason="insufficient balance"),
    }
    return simple[action]


def _valid_stream(specs: list[tuple], steps: list[tuple]) -> tuple[list[OrderEvent], Projections]:
    """Interpret random steps, keeping only the events the lifecycle accepts."""
    projections, stream = Projections(), []
    for index, (venue, instrument, side, qty_lots) in enumerate(specs):
        order = new_order(venue=venue, instrument=instrument, side=side,
                          client_order_id=client_order_id("prop", index),
                          qty=Decimal(qty_lots).scaleb(-3))
        created = OrderCreated(event_id=f"{order.client_order_id}/new",
                               client_order_id=order.client_order_id, ts_ns=1, order=order)
        projections.apply(created)
        stream.append(created)
    for n, (which, action, amount) in enumerate(steps):
        order_id = client_order_id("prop", which % len(specs))
        candidate = _event(order_id, action, n, amount)
        try:
            projections.apply(candidate)
        except TerminalError:
            continue  # illegal here (or an overfill): a real venue would not send it either
        stream.append(candidate)
    return stream, projections


@settings(max_examples=40, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(order_spec, min_size=1, max_size=5), steps=st.lists(step, max_size=40))
def test_replay_when_random_valid_streams_then_projections_equal_twice_and_incrementally(
    specs: list[tuple], steps: list[tuple]
) -> None:
    stream, expected = _valid_stream(specs, steps)
    with tempfile.TemporaryDirectory() as folder:
        journal = Journal(JournalConfig(url=f"sqlite:///{Path(folder) / 'j.sqlite'}"))
        try:
            for event in stream:
                journal.append(event)
            first, second = journal.replay(), journal.replay()
            assert first == second == expected
            assert journal.projections() == first
            assert [event for _, event in journal.events()] == stream
        finally:
            journal.close()


@settings(max_examples=300, derandomize=True)
@given(parents=st.lists(st.text(min_size=1, max_size=40), min_size=2, max_size=20, unique=True),
       sequences=st.lists(st.integers(0, 36**8 - 1), min_size=1, max_size=5, unique=True))
def test_client_order_id_when_distinct_parents_and_sequences_then_ids_are_distinct_and_valid(
    parents: list[str], sequences: list[int]
) -> None:
    ids = [client_order_id(parent, sequence) for parent in parents for sequence in sequences]
    assert len(set(ids)) == len(ids)
    assert all(len(i) <= 36 and i.replace("-", "").isalnum() and i.isascii() for i in ids)
