"""`crossbook treasury rebalance --execute` SIGKILLed at seeded points mid-rebalance, then run
again: the bridge leg from a guarded Safe on one chain to the treasury's Safe on the other
completes exactly once (one Safe execution, one mint) and the balances reconcile."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from chain.devnet import running_devnet
from chain.world import load_world
from engine.treasury.journal import TransferState

from treasury_desk import Treasury, assert_completed_once, finish, open_treasury

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def two_chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("rebalance-crash-devnet")
    with running_devnet(state_dir, world=load_world(), chains=2) as manifest:
        yield {**manifest, "state_dir": str(state_dir)}


@pytest.fixture
async def treasury(two_chains: dict[str, Any], tmp_path: Path) -> AsyncIterator[Treasury]:
    async for treasury in open_treasury(two_chains, tmp_path):
        yield treasury


@pytest.mark.parametrize("point, journaled, executed", [
    ("intent", TransferState.INTENT, False),
    ("signed", TransferState.SIGNED, False),
    ("broadcast", TransferState.SIGNED, True),
    ("sent", TransferState.SENT, True),
])
def test_rebalance_sigkilled_then_restarted_completes_the_bridge_leg_exactly_once(
    treasury: Treasury, point: str, journaled: TransferState, executed: bool
) -> None:
    nonce_before = treasury.safe_nonce(31338)
    treasury.start_relayer()
    crashed = treasury.rebalance("--crash-at", point)
    crashed.communicate(timeout=180)
    assert crashed.returncode == -signal.SIGKILL

    [record] = treasury.records()
    assert record.state is journaled  # write-ahead: the journal is exactly one step behind
    assert record.kind.value == "bridge" and record.amount == 2_500
    assert treasury.safe_nonce(31338) == nonce_before + (1 if executed else 0)

    result = finish(treasury)
    assert_completed_once(treasury, result, nonce_before)
    assert result["recovered"][0]["recovered"] is (point == "broadcast")
