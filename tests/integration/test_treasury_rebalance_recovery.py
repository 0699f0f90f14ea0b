"""A rebalance SIGKILLed while it waits for arrival, the bridge relayer killed while a rebalance
waits for its mint, and a sanctioned destination refused in the rebalance path: nothing lost,
nothing sent twice, nothing signed for a refused leg."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from chain.bridge.relayer import CRASH_EXIT_STATUS
from chain.devnet import chain_manifests, connect, running_devnet
from chain.world import load_world
from engine.treasury.journal import TransferJournal, TransferState

from treasury_desk import (
    USDC,
    Treasury,
    assert_completed_once,
    finish,
    minted,
    open_treasury,
    wait_for,
)

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


def test_rebalance_sigkilled_while_waiting_for_arrival_then_restart_completes(
    treasury: Treasury,
) -> None:
    nonce_before = treasury.safe_nonce(31338)
    waiting = treasury.rebalance()  # no relayer yet: the mint cannot happen
    wait_for(lambda: any(r.state is TransferState.SENT for r in treasury.records()))
    time.sleep(0.5)
    waiting.send_signal(signal.SIGKILL)
    waiting.communicate(timeout=30)
    assert waiting.returncode == -signal.SIGKILL
    assert treasury.usdc(31337) == 0

    treasury.start_relayer()
    assert_completed_once(treasury, finish(treasury), nonce_before)


def test_relayer_killed_mid_transfer_within_a_rebalance_then_the_rebalance_completes(
    treasury: Treasury,
) -> None:
    nonce_before = treasury.safe_nonce(31338)
    crashing = treasury.start_relayer("--crash-at", "before-send")
    running = treasury.rebalance()
    assert crashing.wait(timeout=60) == CRASH_EXIT_STATUS  # died about to mint
    [record] = treasury.records()
    assert record.state is TransferState.SENT and running.poll() is None  # still waiting

    treasury.start_relayer()
    out, err = running.communicate(timeout=120)
    assert running.returncode == 0, err
    [transfer] = json.loads(out)["transfers"]
    assert transfer["state"] == "arrived"
    assert treasury.safe_nonce(31338) == nonce_before + 1
    assert minted(treasury.manifest, transfer["bridge_transfer_id"]) == 1
    assert treasury.usdc(31337) == 2_500 * USDC and treasury.usdc(31338) == 7_500 * USDC


def test_rebalance_when_destination_safe_is_sanctioned_then_refused_before_signing(
    treasury: Treasury,
) -> None:
    first = chain_manifests(treasury.manifest)[0]
    w3 = connect(first["rpc_url"])
    oracle = w3.eth.contract(address=first["sanctions_oracle"],
                             abi=treasury.manifest["abis"]["SanctionsOracle"])
    tx = oracle.functions.addToSanctionsList([treasury.safes[31337]]).transact(
        {"from": first["deployer"]})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    nonce_before = treasury.safe_nonce(31338)

    process = treasury.rebalance()
    out, err = process.communicate(timeout=180)
    assert process.returncode == 1, err
    assert "refused" in err
    [transfer] = json.loads(out)["transfers"]
    assert transfer["state"] == "refused" and transfer["reasons"]
    [record] = treasury.records()
    with TransferJournal(treasury.journal) as journal:
        states = [e.state for e in journal.events(record.transfer_id)]
    assert states == [TransferState.INTENT, TransferState.REFUSED]  # never signed
    assert treasury.safe_nonce(31338) == nonce_before
    assert treasury.usdc(31338) == 10_000 * USDC
