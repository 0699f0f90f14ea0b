"""Replay is exact: random valid event streams, journaled, rebuild the same projections."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import TerminalError
from engine.journal import Journal, JournalConfig, Projections
from engine.model import (
    DenialReason,
    Fill,
    Instrument,
    InstrumentKind,
    Liquidity,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderCreated,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    Side,
    client_order_id,
)

from factories import new_order

LOT = Decimal("0.001")
VENUES = ("simex", "binance", "uniswap_v3")
INSTRUMENTS = (Instrument(base="WETH", quote="USDC"), Instrument(base="WBTC", quote="USDC"),
               Instrument(base="BTC", quote="USDT", kind=InstrumentKind.PERPETUAL))
# Weighted by repetition: mostly acks and fills, so streams reach partial and full fills often.
ACTIONS = ("accept", "accept", "fill", "fill", "fill", "fill", "cancel_request", "cancel",
           "cancel_reject", "expire", "unknown", "reject", "deny")

step = st.tuples(st.integers(0, 5), st.sampled_from(ACTIONS), st.integers(1, 1000))
order_spec = st.tuples(st.sampled_from(VENUES), st.sampled_from(INSTRUMENTS),
                       st.sampled_from(Side), st.integers(1, 5000))


def _fill(n: int, amount: int, leaves_qty: Decimal) -> Fill:
    # `amount` per mille of what is left, from 800 on all of it; at least one lot, so a fill
    # on a filled order is an overfill, which the lifecycle refuses.
    share = leaves_qty if amount >= 800 else (leaves_qty * amount / 1000).quantize(LOT)
    qty = max(LOT, share)
    return Fill(trade_id=f"t{n}", qty=qty,
                price=Decimal(2900 + amount % 200) + Decimal(amount).scaleb(-4),
                fee=Decimal(amount % 7 - 1).scaleb(-2), fee_asset="USDC",
                liquidity=Liquidity.MAKER if amount % 2 else Liquidity.TAKER, ts_ns=10_000 + n)


def _event(order: Order, action: str, n: int, amount: int) -> OrderEvent:
    order_id = order.client_order_id
    common: dict[str, Any] = {"event_id": f"{order_id}/{n}", "client_order_id": order_id,
                              "ts_ns": 10_000 + n, "correlation_id": "prop", "causation_id": None}
    builders = {
        "fill": lambda: OrderFilled(**common, fill=_fill(n, amount, order.leaves_qty)),
        "accept": lambda: OrderAccepted(**common, venue_order_id=f"v{n}"),
        "cancel_request": lambda: OrderCancelRequested(**common),
        "cancel": lambda: OrderCanceled(**common),
        "cancel_reject": lambda: OrderCancelRejected(**common, reason="too late"),
        "expire": lambda: OrderExpired(**common),
        "unknown": lambda: OrderStatusUnknown(**common, reason="timeout"),
        "reject": lambda: OrderRejected(**common, reason="insufficient balance"),
        "deny": lambda: OrderDenied(**common, reason_code=DenialReason.MAX_NOTIONAL),
    }
    event: OrderEvent = builders[action]()
    return event


def _valid_stream(specs: list[tuple[Any, ...]], steps: list[tuple[Any, ...]]
                  ) -> tuple[list[OrderEvent], Projections]:
    """Interpret random steps, keeping only the events the lifecycle accepts."""
    projections, stream = Projections(), []
    for index, (venue, instrument, side, qty_lots) in enumerate(specs):
        order = new_order(venue=venue, instrument=instrument, side=side,
                          client_order_id=client_order_id("prop", index),
                          qty=Decimal(qty_lots).scaleb(-3), parent_id="prop")
        created = OrderCreated(event_id=f"{order.client_order_id}/new",
                               client_order_id=order.client_order_id, ts_ns=1, order=order)
        projections.apply(created)
        stream.append(created)
    for n, (which, action, amount) in enumerate(steps):
        order = projections.orders[client_order_id("prop", which % len(specs))]
        candidate = _event(order, action, n, amount)
        try:
            projections.apply(candidate)
        except TerminalError:
            continue  # illegal here (or an overfill): a real venue would not send it either
        stream.append(candidate)
    return stream, projections


@settings(max_examples=80, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(order_spec, min_size=1, max_size=6),
       steps=st.lists(step, min_size=3, max_size=60))
def test_replay_when_random_valid_streams_then_projections_equal_twice_and_incrementally(
    specs: list[tuple[Any, ...]], steps: list[tuple[Any, ...]]
) -> None:
    stream, expected = _valid_stream(specs, steps)
    with tempfile.TemporaryDirectory() as folder, \
            Journal(JournalConfig(url=f"sqlite:///{Path(folder) / 'j.sqlite'}")) as journal:
        for event in stream:
            journal.append(event)
        first, second = journal.replay(), journal.replay()
        assert first == second == expected
        assert journal.projections() == first
        assert [event for _, event in journal.events()] == stream
        # Rebuilding the tables from the log gives the same projections once more.
        assert journal.rebuild_projections() == first
        assert journal.projections() == first
