"""Shared builders for OMS, algorithm and leg-group tests.

`PaperVenue` (engine.oms) is the in-memory reference ExecutionVenue: it stands in for simex
where a unit test needs scripted faults and no network; the integration tests run the same
paths against simex through the real CexVenue. `StaticGate` stands in for the risk and
compliance gate (tested on its own in test_gate.py): it accepts, or denies with one code.
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.journal import Journal, JournalConfig
from engine.model import DenialReason
from engine.oms import (
    ACCEPTED,
    GateDecision,
    GateLeg,
    GateReason,
    ManualClock,
    OmsConfig,
    OrderManager,
    PaperVenue,
)

D = Decimal
SECOND = 1_000_000_000


def book(mid: str = "3000", levels: int = 10, size: str = "1", step: str = "1"
         ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
    m, s, st = D(mid), D(size), D(step)
    asks = [(m + st * (i + 1), s) for i in range(levels)]
    bids = [(m - st * (i + 1), s) for i in range(levels)]
    return asks, bids


def paper(name: str = "paper", mid: str = "3000", levels: int = 10, size: str = "1",
          symbols: Sequence[str] = ("WETH/USDC",)) -> PaperVenue:
    return PaperVenue(name, {symbol: book(mid, levels, size) for symbol in symbols})


class StaticGate:
    """Accepts every group, or denies every group with `deny` (and counts what it saw)."""

    def __init__(self, deny: DenialReason | None = None) -> None:
        self.deny = deny
        self.checked: list[list[GateLeg]] = []
        self.deny_venues: set[str] = set()

    def check(self, legs: Sequence[GateLeg]) -> GateDecision:
        self.checked.append(list(legs))
        blocked = [leg for leg in legs if leg.order.venue in self.deny_venues]
        if self.deny is not None or blocked:
            code = self.deny or DenialReason.RESTRICTED
            return GateDecision(False, tuple(
                GateReason(code, f"test gate denies {leg.order.venue}",
                           leg.order.client_order_id) for leg in (blocked or legs)))
        return ACCEPTED


def journal_at(folder: Path) -> Journal:
    return Journal(JournalConfig(url=f"sqlite:///{folder / 'journal.sqlite'}"))


async def started_oms(journal: Journal, venues: Sequence[PaperVenue], gate: StaticGate,
                      clock: ManualClock, config: OmsConfig | None = None) -> OrderManager:
    oms = OrderManager(journal, {v.name: v for v in venues}, gate, clock,
                       config or OmsConfig(request_timeout_ns=2 * SECOND,
                                           resend_after_ns=5 * SECOND))
    await oms.start(background=False)
    return oms


async def api_stack(folder: Path, venues: Sequence[PaperVenue] | None = None,
                    clock: ManualClock | None = None) -> tuple[Any, str]:
    """An ApiServer over an Engine over PaperVenues, started; and a valid API key."""
    from engine.api import ApiKeys, ApiServer, Engine
    from engine.router import Router

    venues = list(venues or [paper(size="100")])
    oms = await started_oms(journal_at(folder), venues, StaticGate(), clock or ManualClock())
    engine = Engine(oms, Router(venues, refine_points=0))
    keys = ApiKeys()
    key = keys.issue("desk")
    server = ApiServer(engine, keys)
    await server.start()
    return server, key


def safe_sender(desk: Any, folder: Path, mined_timeout_s: float = 30.0,
                relayer_index: int = 1, **txm: Any) -> Any:
    """A SafeSwapSender over a `safe_desk.Desk`: its ledger and the transaction manager's
    store under `folder`, the relayer one of anvil's development keys (the desk's relayer,
    account 1, by default). Start it with `await sender.start()`, stop with `close()`."""
    from chain.txmanager import LocalKeyTxSigner, TxManager, TxManagerConfig
    from connectors.amm.execution import SafeSwapSender
    from connectors.amm.swap_ledger import SwapLedger

    from devnet_actions import dev_key

    signer = LocalKeyTxSigner(dev_key(relayer_index))
    config = TxManagerConfig(**{"store_url": f"sqlite:///{folder / 'txmanager.sqlite'}",
                                "confirmations": 1, "poll_interval_s": 0.05,
                                "lease_ttl_s": 2.0, "stuck_after_s": 3600, **txm})
    manager = TxManager(desk.devnet["rpc_url"], [signer], config)
    return SafeSwapSender(desk.wallet, desk.signers[:2], desk.executor, manager,
                          signer.address, SwapLedger(f"sqlite:///{folder / 'swaps.sqlite'}"),
                          mined_timeout_s)


# ---- crash tests: a real risk + compliance gate, and each venue's truth --------------------

class FlatMargin:
    """No Greeks, no margin use: stands in for risk.margin, which is not under test here."""

    def greeks(self, account: str, underlying: str) -> Any:
        from risk.pretrade import NO_GREEKS
        return NO_GREEKS

    def leg_greeks(self, legs: Sequence[Any]) -> Mapping[str, Any]:
        return {}

    def margin_after(self, account: str, legs: Sequence[Any]) -> Any:
        from risk.pretrade import MarginImpact
        return MarginImpact(0.0, float("inf"))


class NoCancels:
    def cancel(self, orders: Sequence[Any], reason: str) -> None:
        return None


# tick, lot, min qty, min notional of simex's WETH/USDC
SIMEX_FILTER = (D("0.01"), D("0.0001"), D("0.0001"), D(5))


def crash_gate(folder: Path, filters: Mapping[str, tuple[Decimal, Decimal, Decimal, Decimal]],
               symbol: str = "WETH/USDC") -> Any:
    """The real pre-trade gate and compliance screener (an empty list store) over `filters`
    per venue, with flat margin: what the crash tests run every child through."""
    from engine.oms import RiskGate
    from risk import compliance, pretrade

    checks = pretrade.PreTradeGate(FlatMargin(), NoCancels())
    checks.state.add_account("desk")
    for venue, venue_filter in filters.items():
        checks.state.set_filter(venue, symbol, pretrade.VenueFilter(*venue_filter))
    store = compliance.ListStore(f"sqlite:///{folder / 'lists.sqlite'}")
    return RiskGate(checks, compliance.Screener(store), {venue: () for venue in filters},
                    account="desk", strategy="crash-test")


def simex_trades(server: Any) -> list[Any]:
    from connectors.simex import DEFAULT_API_KEY
    return list(server.engine.account_trades.get(DEFAULT_API_KEY, []))


def check_simex_venue(name: str, server: Any, journal: Journal,
                      start: Mapping[str, Decimal]) -> int:
    """No duplicate client order id at simex, the journal's fills are exactly simex's trades,
    and positions and balances equal simex's; returns the number of our orders there."""
    from connectors.simex import DEFAULT_API_KEY

    ours = [o for o in server.engine.orders.values() if o.account.api_key == DEFAULT_API_KEY]
    counts = collections.Counter(o.client_order_id for o in ours)
    assert max(counts.values()) == 1, f"duplicate orders at {name}: {counts.most_common(3)}"
    projections = journal.projections()
    booked = {(coid, trade) for (coid, trade), fill in projections.fills.items()
              if fill.venue == name}
    truth = {(t.client_order_id, str(t.trade_id)) for t in simex_trades(server)}
    assert booked == truth, f"{name}: lost {truth - booked}, extra {booked - truth}"
    position = sum((t.qty if t.is_buyer else -t.qty for t in simex_trades(server)), D(0))
    assert projections.positions.get((name, "WETH/USDC"), D(0)) == position
    balances = server.engine.accounts[DEFAULT_API_KEY].balances
    for asset in ("WETH", "USDC"):
        venue_delta = balances[asset].free + balances[asset].locked - start[asset]
        assert projections.balances.get((name, asset), D(0)) == venue_delta, (name, asset)
    return len(ours)


async def spawn_script(script: str, config: dict[str, Any]) -> asyncio.subprocess.Process:
    """Run a crash test's own file as the engine process, its config as one JSON argument."""
    return await asyncio.create_subprocess_exec(
        sys.executable, script, json.dumps(config), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


async def read_until(process: asyncio.subprocess.Process, prefix: str, timeout_s: float) -> str:
    """The engine's first stdout line starting with `prefix`; its stderr if it exits first."""
    assert process.stdout is not None
    async with asyncio.timeout(timeout_s):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                stderr = (await process.stderr.read()).decode() if process.stderr else ""
                raise AssertionError(f"engine exited before {prefix!r}: {stderr[-3000:]}")
            if line.startswith(prefix):
                return line
