"""The Safe venue's ledger: an attempt is on record before it is signed, its first outcome
wins, and a fresh process reads back exactly what was written (fills included)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.amm.swap_ledger import AttemptState, LedgerConflict, SwapAttempt, SwapLedger
from connectors.orders import Liquidity, VenueFill
from connectors.venue import Side

SAFE = "0x" + "ab" * 20


def _attempt(coid: str = "o-1", number: int = 1, nonce: int = 7) -> SwapAttempt:
    return SwapAttempt(coid, number, "uniswap_v3:WETH/USDC:500", "WETH/USDC", Side.BUY,
                       Decimal("1.5"), SAFE, nonce, "0x" + "11" * 32, f"{coid}#{number}", 100)


def _fill(coid: str = "o-1") -> VenueFill:
    return VenueFill("uniswap_v3:WETH/USDC:500", coid, "0x" + "22" * 32, "0x" + "22" * 32 + ":3",
                     "WETH/USDC", Side.BUY, Decimal("1.5"), Decimal("3001.123456789"),
                     Decimal("0.000123"), "ETH", Liquidity.TAKER, 1_700_000_000 * 10**9)


@pytest.fixture
def ledger(tmp_path: Path) -> SwapLedger:
    return SwapLedger(f"sqlite:///{tmp_path / 'swaps.sqlite'}")


def test_prepare_when_attempt_already_on_record_then_conflict_names_the_field(
    ledger: SwapLedger,
) -> None:
    ledger.prepare(_attempt())
    with pytest.raises(LedgerConflict) as clash:
        ledger.prepare(_attempt())
    assert clash.value.field == "attempt"


def test_settle_when_settled_twice_then_first_outcome_wins(ledger: SwapLedger) -> None:
    attempt = ledger.prepare(_attempt())
    filled = ledger.settle(attempt, AttemptState.FILLED, tx_hash="0x" + "22" * 32,
                           fills=(_fill(),))
    again = ledger.settle(attempt, AttemptState.REJECTED, reason="late")
    assert again == filled and again.state is AttemptState.FILLED
    assert again.filled_qty == Decimal("1.5")
    assert again.filled_quote == Decimal("1.5") * Decimal("3001.123456789")


def test_latest_when_read_by_a_fresh_process_then_same_attempt_and_fills(
    ledger: SwapLedger, tmp_path: Path,
) -> None:
    first = ledger.prepare(_attempt())
    ledger.settle(first, AttemptState.NEVER_SENT)
    second = ledger.prepare(_attempt(number=2, nonce=8))
    ledger.settle(second, AttemptState.FILLED, tx_hash="0x" + "22" * 32, fills=(_fill(),))
    ledger.close()
    fresh = SwapLedger(f"sqlite:///{tmp_path / 'swaps.sqlite'}")
    latest = fresh.latest("o-1")
    assert latest is not None and latest.attempt == 2 and latest.fills == (_fill(),)
    assert latest == dataclasses.replace(second, state=AttemptState.FILLED,
                                         tx_hash="0x" + "22" * 32, fills=(_fill(),))
    assert fresh.latest("never") is None
    assert [a.attempt for a in fresh.attempts(state=AttemptState.NEVER_SENT)] == [1]
    assert [a.attempt for a in fresh.attempts(venue="uniswap_v3:WETH/USDC:500",
                                              safe=SAFE)] == [1, 2]
    assert fresh.attempts(venue="elsewhere") == []
