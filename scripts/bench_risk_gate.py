"""Risk benchmark, pre-trade half: the gate per leg, median and p99, on a realistic desk.

The desk: 4 accounts x 20 underlyings x 5 instruments (about 400 positions; the count is in
the results), 160 of our own resting orders (none on the AMM, which has no book), references
of every kind per instrument, limits at six levels (desk, account, strategy, venue,
underlying, account x instrument), message and notional throttles per venue and per strategy,
collars, a duplicate window and every post-trade limit (positions, concentration, Greeks,
margin). The margin view is the tests' `LinearMarginView` until the real engine is wired in
(the lead merges this module into bench_risk). Every timed leg is accepted, so every check
runs to the end.

Each variant runs in three interleaved rounds and the round with the lowest p99 is reported
(the machine is shared; other processes only ever add time). Baselines, measured in the same
run: the same gate with no limits, throttles or references
(what is left: identity, filters, duplicate ids, self-trade, the post-trade bookkeeping), and
a bare dict lookup of one limit, the floor of any limit check in Python.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import zlib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "unit" / "risk" / "pretrade"))

from pretrade_support import (  # noqa: E402  (the tests' honest MarginView)
    SPOT_GREEKS,
    InstrumentSpec,
    LinearMarginView,
    RecordingCanceller,
)

from risk.pretrade import (  # noqa: E402
    DESK,
    Greeks,
    InstrumentKind,
    LegIntent,
    PreTradeGate,
    ReferenceKind,
    RestingOrder,
    Scope,
    Side,
    ThrottleScope,
    ThrottleSpec,
    VenueFilter,
)

ACCOUNTS = [f"acct-{i}" for i in range(4)]
UNDERLYINGS = [f"U{i:02d}" for i in range(20)]
KINDS = [("SPOT", InstrumentKind.SPOT, SPOT_GREEKS, "cex"),
         ("PERP", InstrumentKind.PERPETUAL, SPOT_GREEKS, "cex"),
         ("C", InstrumentKind.OPTION, Greeks(0.5, 0.001, 10.0), "opt"),
         ("P", InstrumentKind.OPTION, Greeks(-0.4, 0.001, 9.0), "opt"),
         ("SWAP", InstrumentKind.SWAP, SPOT_GREEKS, "amm")]
FILTERS = {"cex": VenueFilter(Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("5")),
           "opt": VenueFilter(Decimal("0.01"), Decimal("0.1"), Decimal("0.1"), Decimal("0")),
           "amm": VenueFilter(Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"))}
PRICE = Decimal("100")
SAMPLES, WARMUP, ROUNDS = 5_000, 500, 3


class _Clock:
    """Monotonic, but always moving: two checks never share a timestamp."""

    def __init__(self) -> None:
        self._last = 0

    def now_ns(self) -> int:
        self._last = max(self._last + 1, time.monotonic_ns())
        return self._last


def _instrument(underlying: str, tag: str) -> str:
    return f"{underlying}-{tag}"


def build(with_limits: bool) -> tuple[PreTradeGate, dict[str, InstrumentSpec]]:
    specs = {_instrument(u, tag): InstrumentSpec(u, kind, greeks)
             for u in UNDERLYINGS for tag, kind, greeks, _ in KINDS}
    view = LinearMarginView(specs, {u: float(PRICE) for u in UNDERLYINGS})
    gate = PreTradeGate(view, RecordingCanceller(), _Clock())
    state = gate.state
    for account in ACCOUNTS:
        state.add_account(account)
        view.equity[account] = 50_000_000.0
    for u in UNDERLYINGS:
        state.set_underlying_price(u, PRICE)
        for tag, _, _, venue in KINDS:
            instrument = _instrument(u, tag)
            state.set_filter(venue, instrument, FILTERS[venue])
            for account in ACCOUNTS:  # 400 positions
                quantity = Decimal(zlib.crc32(f"{account}{instrument}".encode()) % 21 - 10)
                state.set_position(account, instrument, u, quantity)
                view.apply(account, instrument, quantity)
            for i in range(2 if venue != "amm" else 0):  # 160 resting orders, far away
                side = Side.BUY if i == 0 else Side.SELL
                state.add_resting(RestingOrder(
                    f"rest-{instrument}-{i}", ACCOUNTS[i], "mm", venue, instrument, side,
                    PRICE * (Decimal("0.8") if side is Side.BUY else Decimal("1.2")),
                    Decimal("1")))
    if with_limits:
        _limits(gate)
    return gate, specs


def _limits(gate: PreTradeGate) -> None:
    limits, state = gate.limits, gate.state
    limits.set(DESK, max_order_qty=Decimal("1000"), max_order_notional=Decimal("1000000"),
               collar_mid_bps=500, collar_mark_bps=800, collar_amm_bps=300,
               max_reference_age_ns=3_600 * 10**9, duplicate_window_ns=10**9,
               max_margin_utilisation=0.9, min_liquidation_buffer=0.01)
    limits.set(Scope(strategy="basis"), max_order_notional=Decimal("500000"))
    limits.set(Scope(venue="cex"), max_order_qty=Decimal("800"))
    for account in ACCOUNTS:
        limits.set(Scope(account=account), max_order_notional=Decimal("400000"))
        for u in UNDERLYINGS:
            limits.set(Scope(account=account, underlying=u), max_net_position=Decimal("5000"),
                       max_gross_position=Decimal("9000"), max_gross_concentration_bps=10_000,
                       max_net_concentration_bps=10_000, max_abs_delta=5000.0,
                       max_abs_gamma=50.0, max_abs_vega=100_000.0)
            limits.set(Scope(account=account, instrument=_instrument(u, "PERP")),
                       max_order_qty=Decimal("600"))
    for u in UNDERLYINGS:
        limits.set(Scope(underlying=u), max_net_position=Decimal("8000"),
                   max_desk_net_position=Decimal("30000"),
                   max_desk_gross_position=Decimal("90000"))
        for tag, _, _, venue in KINDS:
            for kind in ReferenceKind:
                state.set_reference(venue, _instrument(u, tag), kind, PRICE)
    big = ThrottleSpec(max_messages=10**9, per_ns=10**9, max_notional=Decimal("1e15"),
                       window_ns=10**9)
    for venue in FILTERS:
        gate.throttles.set(ThrottleScope.VENUE, venue, big)
    for strategy in ("basis", "hedge"):
        gate.throttles.set(ThrottleScope.STRATEGY, strategy, big)


def _legs(specs: dict[str, InstrumentSpec], count: int, tag: str,
          start: int = 0) -> list[LegIntent]:
    """Accepted legs, all different economic orders, spread over accounts and instruments."""
    names = sorted(specs)
    legs = []
    for i in range(start, start + count):
        instrument = names[i % len(names)]
        spec = specs[instrument]
        venue = {InstrumentKind.SWAP: "amm", InstrumentKind.OPTION: "opt"}.get(spec.kind, "cex")
        # a quantity of its own for every leg: no two are the same economic order
        quantity = Decimal(i % 8999 + 1) / 10 if venue == "opt" else Decimal(i + 100) / 1000
        price = PRICE + Decimal(i % 50) / 100 if venue != "amm" else None
        legs.append(LegIntent(
            ACCOUNTS[i % len(ACCOUNTS)], "basis" if i % 2 else "hedge", venue, instrument,
            spec.underlying, spec.kind, Side.BUY if i % 3 else Side.SELL, quantity, price,
            quantity * PRICE, f"{tag}-{i}"))
    return legs


def _time_legs(gate: PreTradeGate, legs: list[LegIntent]) -> list[float]:
    """Microseconds per `check` of a single leg."""
    for leg in legs[:WARMUP]:
        decision = gate.check([leg])
        assert decision.accepted, decision.reasons
    gc.collect()
    samples = []
    clock = time.perf_counter_ns
    for leg in legs[WARMUP:]:
        started = clock()
        decision = gate.check([leg])
        samples.append((clock() - started) / 1_000)
        if not decision.accepted:
            raise AssertionError(f"bench leg denied: {decision.reasons}")
    return samples


def _time_pairs(gate: PreTradeGate, specs: dict[str, InstrumentSpec], start: int,
                round_no: int) -> list[float]:
    """Microseconds per leg of a hedged two-leg group (perp bought, spot sold)."""
    legs = _legs(specs, 5 * SAMPLES, f"pair{round_no}", start=start)
    buys = [leg for leg in legs if leg.instrument.endswith("PERP")]
    samples = []
    for i, buy in enumerate(buys[:SAMPLES]):
        sell = LegIntent(buy.account, buy.strategy, "cex", _instrument(buy.underlying, "SPOT"),
                         buy.underlying, InstrumentKind.SPOT, Side.SELL, buy.quantity,
                         buy.limit_price, buy.notional, f"pair{round_no}-sell-{i}",
                         f"g{round_no}-{i}")
        started = time.perf_counter_ns()
        decision = gate.check([replace(buy, group_id=sell.group_id), sell])
        samples.append((time.perf_counter_ns() - started) / 2_000)
        if not decision.accepted:
            raise AssertionError(f"bench group denied: {decision.reasons}")
    return samples


def _time_dict_lookup() -> list[float]:
    table = {(a, u): Decimal("5000") for a in ACCOUNTS for u in UNDERLYINGS}
    key = (ACCOUNTS[1], UNDERLYINGS[7])
    samples = []
    clock = time.perf_counter_ns
    for _ in range(SAMPLES):
        started = clock()
        table.get(key)
        samples.append((clock() - started) / 1_000)
    return samples


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def _quietest(rounds: list[list[float]]) -> list[float]:
    """The round with the lowest p99: on a shared machine other processes only ever add."""
    return min(rounds, key=_p99)


def run() -> list[dict[str, Any]]:
    full, specs = build(with_limits=True)
    bare, _ = build(with_limits=False)
    full_rounds, bare_rounds, pair_rounds = [], [], []
    for r in range(ROUNDS):  # interleaved, so a noisy spell hits every variant alike
        start = r * 100_000
        full_rounds.append(_time_legs(full, _legs(specs, SAMPLES + WARMUP, f"full{r}", start)))
        bare_rounds.append(_time_legs(bare, _legs(specs, SAMPLES + WARMUP, f"bare{r}", start)))
        pair_rounds.append(_time_pairs(full, specs, start + 50_000, r))
    full_us, bare_us = _quietest(full_rounds), _quietest(bare_rounds)
    pair_us = _quietest(pair_rounds)
    lookup_us = _time_dict_lookup()
    positions = len(full.state.positions)
    return [
        {"name": "pretrade_gate_leg_median_us", "value": statistics.median(full_us),
         "unit": "us/leg", "better": "lower", "target": "< 100 us",
         "baseline_name": "pretrade_gate_no_limits_median_us",
         "baseline_value": statistics.median(bare_us)},
        {"name": "pretrade_gate_leg_p99_us", "value": _p99(full_us), "unit": "us/leg",
         "better": "lower", "target": "< 100 us",
         "baseline_name": "pretrade_gate_no_limits_p99_us", "baseline_value": _p99(bare_us)},
        {"name": "pretrade_gate_hedged_pair_per_leg_median_us",
         "value": statistics.median(pair_us), "unit": "us/leg", "better": "lower",
         "target": "< 100 us", "baseline_name": "pretrade_gate_leg_median_us",
         "baseline_value": statistics.median(full_us)},
        {"name": "pretrade_gate_hedged_pair_per_leg_p99_us", "value": _p99(pair_us),
         "unit": "us/leg", "better": "lower", "target": "< 100 us"},
        {"name": "limit_dict_lookup_median_us", "value": statistics.median(lookup_us),
         "unit": "us", "better": "lower",
         "target": f"floor of one limit check ({positions} positions in the timed desk)"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
