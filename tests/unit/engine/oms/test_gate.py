"""RiskGate: the real pre-trade gate and the real compliance screener behind one Gate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from engine.model import DenialReason, Order, OrderType, Side, client_order_id
from engine.oms import GateLeg, RiskGate, instrument_of
from engine.oms._gate import _PRETRADE_REASONS
from risk import compliance, pretrade

D = Decimal
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "ofac"
SANCTIONED = "0x7e57000000000000000000000000000000000001"
POOL = "0x" + "a0" * 20


class FlatMargin:
    """A margin view with no Greeks and no margin use: stands in for risk.margin here, where
    only the mapping of the gate's answers is under test."""

    def greeks(self, account: str, underlying: str) -> pretrade.Greeks:
        return pretrade.NO_GREEKS

    def leg_greeks(self, legs: Sequence[pretrade.LegIntent]) -> Mapping[str, pretrade.Greeks]:
        return {}

    def margin_after(self, account: str,
                     legs: Sequence[pretrade.LegIntent]) -> pretrade.MarginImpact:
        return pretrade.MarginImpact(0.0, float("inf"))


class NoCancels:
    def cancel(self, orders: Sequence[pretrade.RestingOrder], reason: str) -> None:
        return None


def _order(seq: int = 0, venue: str = "simex", qty: str = "1") -> Order:
    return Order(client_order_id=client_order_id("gate-test", seq), venue=venue,
                 instrument=instrument_of("WETH/USDC"), side=Side.BUY,
                 order_type=OrderType.LIMIT, qty=D(qty), limit_price=D(3000),
                 created_ts_ns=1, updated_ts_ns=1)


@pytest.fixture
def gate(tmp_path: Path) -> RiskGate:
    checks = pretrade.PreTradeGate(FlatMargin(), NoCancels())
    checks.state.add_account("desk")
    filters = pretrade.VenueFilter(D("0.01"), D("0.0001"), D("0.0001"), D(5))
    for venue in ("simex", "uniswap"):
        checks.state.set_filter(venue, "WETH/USDC", filters)
    store = compliance.ListStore(f"sqlite:///{tmp_path / 'lists.sqlite'}")
    store.load("ofac-sdn", compliance.ListEffect.SANCTIONS,
               compliance.parse_list_file(FIXTURES / "sdn_v1.xml"), source="sdn_v1.xml")
    screener = compliance.Screener(store)
    book = {"simex": (), "uniswap": ((POOL, compliance.AddressRole.POOL),)}
    return RiskGate(checks, screener, book, account="desk", strategy="twap",
                    swap_venues=frozenset({"uniswap"}))


def test_every_pretrade_reason_code_maps_to_a_denial_reason() -> None:
    assert set(_PRETRADE_REASONS) == set(pretrade.ReasonCode)


def test_check_when_known_and_within_limits_then_accepted(gate: RiskGate) -> None:
    assert gate.check([GateLeg(_order(0), D(3000))]).accepted
    assert gate.check([GateLeg(_order(1, "uniswap"), D(3000))]).accepted


def test_check_when_notional_over_limit_then_max_notional(gate: RiskGate) -> None:
    gate.pretrade.limits.set(pretrade.Scope(account="desk"), max_order_notional=D(1000))
    decision = gate.check([GateLeg(_order(), D(3000))])
    assert not decision.accepted and decision.first.code is DenialReason.MAX_NOTIONAL


def test_check_when_same_client_id_again_then_duplicate_order(gate: RiskGate) -> None:
    assert gate.check([GateLeg(_order(), D(3000))]).accepted
    decision = gate.check([GateLeg(_order(), D(3000))])
    assert decision.first.code is DenialReason.DUPLICATE_ORDER


def test_check_when_venue_unknown_to_compliance_then_denied_fail_closed(
        gate: RiskGate) -> None:
    decision = gate.check([GateLeg(_order(venue="elsewhere"), D(3000))])
    assert decision.first.code is DenialReason.UNKNOWN_VENUE


def test_check_when_leg_touches_a_sanctioned_address_then_sanctioned(gate: RiskGate) -> None:
    gate.addresses["uniswap"] = ((SANCTIONED, compliance.AddressRole.RECIPIENT),)
    decision = gate.check([GateLeg(_order(venue="uniswap"), D(3000))])
    assert not decision.accepted
    assert decision.first.code is DenialReason.SANCTIONED_ADDRESS


def test_check_when_one_leg_of_a_group_fails_then_the_group_is_denied(gate: RiskGate) -> None:
    legs = [GateLeg(_order(0), D(3000)), GateLeg(_order(1, qty="0.00001"), D(3000))]
    decision = gate.check(legs)
    assert not decision.accepted
    assert decision.first.code is DenialReason.VENUE_FILTER


async def test_gate_tracking_fills_when_position_limit_reached_then_next_order_denied(
        tmp_path: Path) -> None:
    from engine.model import OrderStatus
    from engine.oms import ChildSpec, ManualClock, OrderManager, SpotCashMargin

    from oms_support import journal_at, paper

    checks = pretrade.PreTradeGate(FlatMargin(), NoCancels())
    checks.margin_view = SpotCashMargin(checks.state)
    checks.state.add_account("desk")
    checks.state.set_filter("paper", "WETH/USDC", pretrade.VenueFilter(
        D("0.01"), D("0.0001"), D("0.0001"), D(5)))
    checks.limits.set(pretrade.Scope(account="desk"), max_net_position=D("1.2"))
    store = compliance.ListStore(f"sqlite:///{tmp_path / 'lists.sqlite'}")
    gate = RiskGate(checks, compliance.Screener(store), {"paper": ()}, "desk", "t")
    oms = OrderManager(journal_at(tmp_path), {"paper": paper(size="100")}, gate,
                       ManualClock())
    oms.subscribe(gate.on_event)
    await oms.start(background=False)
    spec = ChildSpec("paper", "WETH/USDC", Side.BUY, D(1), expected_price=D(3001))
    (first,) = await oms.submit([spec], parent_id="p-1")
    assert first.status is OrderStatus.FILLED
    assert checks.state.position("desk", "WETH/USDC") == D(1)
    (second,) = await oms.submit([spec], parent_id="p-2")
    assert second.status is OrderStatus.DENIED
    assert second.reason is not None and second.reason.startswith("max_position")
