"""The Deribit-dialect engine under random order flow: books never cross, positions net to
zero across accounts, and coin is conserved (premiums, PnL and funding move between
accounts; only fees leave them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.simex.deribit.config import DeribitConfig, DeribitMakerConfig
from connectors.simex.deribit.engine import DerivativesEngine
from connectors.simex.deribit.errors import DeribitApiError
from connectors.simex.deribit.model import OrderRequest

NOW_MS = int(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC).timestamp() * 1000)
KEYS = ("a", "b", "c")
# (instrument, price ticks around a centre, tick, lot)
MARKETS = {"BTC-1JAN27-95000-C": (D("0.06"), D("0.0005"), D("0.1")),
           "BTC-PERPETUAL": (D(95000), D("0.5"), D(10))}

command = st.tuples(
    st.sampled_from(KEYS), st.sampled_from(sorted(MARKETS)), st.sampled_from(["buy", "sell"]),
    st.integers(-6, 6), st.integers(1, 30),
    st.sampled_from(["good_til_cancelled", "immediate_or_cancel", "market"]))


def fresh() -> DerivativesEngine:
    engine = DerivativesEngine(DeribitConfig(makers=DeribitMakerConfig(enabled=False),
                                             accounts=()), lambda: NOW_MS)
    for key in KEYS:
        engine.add_account(key, "secret", {"BTC": D(1000)})
    return engine


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(command, min_size=1, max_size=60), st.integers(0, 8 * 3_600_000))
def test_random_flow_when_matched_then_books_positions_and_coin_stay_consistent(
        commands: list[tuple[str, str, str, int, int, str]], funding_ms: int) -> None:
    engine = fresh()
    for key, name, direction, ticks, lots, kind in commands:
        centre, tick, lot = MARKETS[name]
        request = OrderRequest(key, name, direction, lot * lots,
                               "market" if kind == "market" else "limit",
                               None if kind == "market" else centre + tick * ticks, "",
                               "good_til_cancelled" if kind == "market" else kind, False,
                               False)
        try:
            engine.place(request)
        except DeribitApiError as refused:
            assert refused.code == 10009  # only margin may refuse these requests
        for book in engine.books.values():
            bid, ask = book.best("buy"), book.best("sell")
            assert bid is None or ask is None or bid < ask
    engine.apply_funding(funding_ms)
    for name in MARKETS:
        assert sum(a.positions[name].size for a in engine.accounts.values()
                   if name in a.positions) == 0
    fees = sum((o.commission for o in engine.orders.values()), D(0))
    cash = sum((a.cash["BTC"] for a in engine.accounts.values()), D(0))
    # inverse PnL and funding are rounded to 1e-10 coin per fill / payment
    assert abs(cash + fees - D(3000)) <= D("1e-8")
