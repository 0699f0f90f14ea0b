"""The lock-and-mint bridge on a 2-chain devnet with its relayer as a real process, killed and
restarted mid-transfer: nothing is lost and nothing is minted twice."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.bridge import (
    BridgeTimeout,
    BridgeTransfer,
    LockMintBridge,
    RelayerStore,
    RelayStatus,
    TransferStatus,
    UnsupportedRoute,
    relayer_config_for,
)
from chain.bridge.relayer import CRASH_EXIT_STATUS
from chain.devnet import chain_manifests, connect, running_devnet
from chain.world import load_world

pytestmark = pytest.mark.integration

CONFIRMATIONS = 3
AMOUNT = 1_234_567  # 1.234567 USDC


@pytest.fixture(scope="module")
def two_chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_devnet(tmp_path_factory.mktemp("bridge-devnet"), world=load_world(),
                        chains=2) as manifest:
        yield manifest


class RelayerProcess:
    """`python -m chain.bridge.relayer` in a subprocess, with its config and store in tmp."""

    def __init__(self, manifest: dict[str, Any], workdir: Path) -> None:
        self.db_path = workdir / "relayer.sqlite"
        self.config_path = workdir / "relayer.json"
        config = relayer_config_for(manifest, self.db_path, confirmations=CONFIRMATIONS)
        self.config_path.write_text(config.model_dump_json())
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / "relayer.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chain.bridge.relayer", "--config", str(self.config_path),
             *args], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        )
        log.close()
        return self.process

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def status_of(self, transfer_id: str) -> RelayStatus | None:
        if not self.db_path.exists():
            return None
        store = RelayerStore(self.db_path)
        try:
            statuses = {t.transfer_id: t.status for t in store.all_transfers()}
        finally:
            store.close()
        return statuses.get(transfer_id)


@pytest.fixture
def relayer(two_chains: dict[str, Any], tmp_path: Path) -> Iterator[RelayerProcess]:
    process = RelayerProcess(two_chains, tmp_path)
    yield process
    process.stop()


@pytest.fixture
def bridge(two_chains: dict[str, Any]) -> LockMintBridge:
    return LockMintBridge(chain_manifests(two_chains), two_chains["abis"], CONFIRMATIONS)


def _wait_for(condition: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def _mine(manifest: dict[str, Any], blocks: int) -> None:
    connect(manifest["rpc_url"]).provider.make_request(
        "anvil_mine", [hex(blocks)])  # type: ignore[arg-type]


def _balance(chain: dict[str, Any], token: str, holder: str) -> int:
    contract = connect(chain["rpc_url"]).eth.contract(
        address=Web3.to_checksum_address(token), abi=chain["abis"]["BridgedToken"])
    balance: int = contract.functions.balanceOf(holder).call()
    return balance


def _minted_events(chain: dict[str, Any], transfer_id: str) -> int:
    minter = connect(chain["rpc_url"]).eth.contract(
        address=chain["bridge"]["minter"], abi=chain["abis"]["BridgeMinter"])
    events = minter.events.Minted().get_logs(from_block=0)
    return sum(1 for e in events if Web3.to_hex(e["args"]["transferId"]) == transfer_id)


def _lock_usdc(bridge: LockMintBridge, two_chains: dict[str, Any], recipient_index: int
               ) -> tuple[BridgeTransfer, str, str]:
    source, destination = chain_manifests(two_chains)
    recipient = connect(destination["rpc_url"]).eth.accounts[recipient_index]
    usdc = source["tokens"]["USDC"]["address"]
    quote = bridge.quote(source["chain_id"], destination["chain_id"], usdc, AMOUNT)
    transfer = bridge.send(quote, source["deployer"], recipient)
    wrapped = destination["bridge"]["wrapped"][str(source["chain_id"])]["USDC"]
    return transfer, wrapped, recipient


def test_lock_then_mint_after_confirmations_and_burn_then_release_home(
    two_chains: dict[str, Any], bridge: LockMintBridge, relayer: RelayerProcess
) -> None:
    source, destination = chain_manifests(two_chains)
    relayer.start()
    transfer, wrapped, recipient = _lock_usdc(bridge, two_chains, recipient_index=3)
    time.sleep(1.0)  # several relayer rounds: it must still hold the transfer back
    progress = bridge.track(transfer)
    assert progress.status is TransferStatus.PENDING and progress.confirmations == 1
    assert _balance(destination, wrapped, recipient) == 0
    with pytest.raises(BridgeTimeout):
        bridge.finalize(transfer, timeout_s=0.5)

    _mine(source, CONFIRMATIONS - 1)
    assert bridge.finalize(transfer, timeout_s=20).status is TransferStatus.COMPLETED
    assert _balance(destination, wrapped, recipient) == AMOUNT

    home = connect(source["rpc_url"]).eth.accounts[4]
    usdc = source["tokens"]["USDC"]["address"]
    before = _balance(source, usdc, home)
    back = bridge.quote(destination["chain_id"], source["chain_id"], wrapped, AMOUNT)
    burn = bridge.send(back, recipient, home)
    _mine(destination, CONFIRMATIONS - 1)
    assert bridge.finalize(burn, timeout_s=20).status is TransferStatus.COMPLETED
    assert _balance(destination, wrapped, recipient) == 0
    assert _balance(source, usdc, home) == before + AMOUNT


@pytest.mark.parametrize("crash_at", ["before-send", "after-send"])
def test_relayer_crash_while_completing_then_restart_mints_exactly_once(
    two_chains: dict[str, Any], bridge: LockMintBridge, relayer: RelayerProcess, crash_at: str
) -> None:
    source, destination = chain_manifests(two_chains)
    recipient_index = 5 if crash_at == "before-send" else 6
    transfer, wrapped, recipient = _lock_usdc(bridge, two_chains, recipient_index)
    _mine(source, CONFIRMATIONS - 1)
    crashed = relayer.start("--crash-at", crash_at)
    assert crashed.wait(timeout=30) == CRASH_EXIT_STATUS
    # The crash left the transfer marked as possibly sent; after-send, the mint did land.
    assert relayer.status_of(transfer.transfer_id) is RelayStatus.SUBMITTED
    minted_before_restart = AMOUNT if crash_at == "after-send" else 0
    assert _balance(destination, wrapped, recipient) == minted_before_restart

    relayer.start()
    _wait_for(lambda: relayer.status_of(transfer.transfer_id) is RelayStatus.DONE)
    assert _balance(destination, wrapped, recipient) == AMOUNT
    assert _minted_events(destination, transfer.transfer_id) == 1


def test_relayer_sigkilled_while_waiting_for_confirmations_then_restart_completes(
    two_chains: dict[str, Any], bridge: LockMintBridge, relayer: RelayerProcess
) -> None:
    source, destination = chain_manifests(two_chains)
    process = relayer.start()
    transfer, wrapped, recipient = _lock_usdc(bridge, two_chains, recipient_index=7)
    _wait_for(lambda: relayer.status_of(transfer.transfer_id) is RelayStatus.SEEN)
    relayer.stop()  # SIGKILL
    assert process.returncode == -9
    _mine(source, CONFIRMATIONS - 1)
    time.sleep(0.5)
    assert _balance(destination, wrapped, recipient) == 0  # nobody relays while it is down

    relayer.start()
    assert bridge.finalize(transfer, timeout_s=20).status is TransferStatus.COMPLETED
    assert _balance(destination, wrapped, recipient) == AMOUNT
    assert _minted_events(destination, transfer.transfer_id) == 1


def test_quote_when_token_has_no_route_then_unsupported_route_names_it(
    two_chains: dict[str, Any], bridge: LockMintBridge
) -> None:
    source, destination = chain_manifests(two_chains)
    stranger = Web3.to_checksum_address("0x" + "ab" * 20)
    with pytest.raises(UnsupportedRoute, match=stranger):
        bridge.quote(source["chain_id"], destination["chain_id"], stranger, 1)
    with pytest.raises(UnsupportedRoute):
        bridge.quote(source["chain_id"], source["chain_id"],
                     source["tokens"]["USDC"]["address"], 1)
