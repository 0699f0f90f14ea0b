"""The bridge relayer under reorgs (anvil_reorg on a 2-chain devnet), driven round by round in
process: a lock or burn whose block is reorganised away is never completed from it, and one
re-included in a later block is completed exactly once, counted from its new block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.bridge import (
    BridgeTransfer,
    LockMintBridge,
    Relayer,
    RelayerStore,
    RelayStatus,
    relayer_config_for,
)
from chain.devnet import chain_manifests, connect, running_devnet
from chain.world import load_world

from devnet_actions import rpc

pytestmark = pytest.mark.integration

CONFIRMATIONS = 3
AMOUNT = 4_321_000  # 4.321 USDC


@pytest.fixture(scope="module")
def two_chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_devnet(tmp_path_factory.mktemp("reorg-devnet"), world=load_world(),
                        chains=2) as manifest:
        yield manifest


@pytest.fixture
def relayer(two_chains: dict[str, Any], tmp_path: Path) -> Iterator[Relayer]:
    relayer = Relayer(relayer_config_for(two_chains, tmp_path / "relayer.sqlite",
                                         confirmations=CONFIRMATIONS))
    relayer.run_round()  # past every earlier transfer of the module's devnet
    yield relayer
    relayer.close()


@pytest.fixture
def bridge(two_chains: dict[str, Any]) -> LockMintBridge:
    return LockMintBridge(chain_manifests(two_chains), two_chains["abis"], CONFIRMATIONS)


def _status(relayer: Relayer, transfer_id: str) -> tuple[RelayStatus, str | None]:
    store = RelayerStore(relayer.config.db_path)
    try:
        [found] = [t for t in store.all_transfers() if t.transfer_id == transfer_id]
    finally:
        store.close()
    return found.status, found.source_block_hash


def _balance(chain: dict[str, Any], token: str, holder: str) -> int:
    contract = connect(chain["rpc_url"]).eth.contract(
        address=Web3.to_checksum_address(token), abi=chain["abis"]["BridgedToken"])
    balance: int = contract.functions.balanceOf(holder).call()
    return balance


def _reorg_last_block(chain: dict[str, Any]) -> None:
    """Replace the chain's head block by an empty one, then build on top of it."""
    w3 = connect(chain["rpc_url"])
    rpc(w3, "anvil_reorg", 1, [])
    rpc(w3, "anvil_mine", hex(CONFIRMATIONS))


def _rounds(relayer: Relayer, n: int = 3) -> None:
    for _ in range(n):
        relayer.run_round()


def _lock(bridge: LockMintBridge, two_chains: dict[str, Any], recipient: str
          ) -> BridgeTransfer:
    source = chain_manifests(two_chains)[0]
    quote = bridge.quote(31337, 31338, source["tokens"]["USDC"]["address"], AMOUNT)
    return bridge.send(quote, source["deployer"], Web3.to_checksum_address(recipient))


def test_lock_when_its_block_is_reorged_away_then_never_minted(
    two_chains: dict[str, Any], bridge: LockMintBridge, relayer: Relayer
) -> None:
    source, destination = chain_manifests(two_chains)
    recipient = connect(destination["rpc_url"]).eth.accounts[3]
    wrapped = destination["bridge"]["wrapped"]["31337"]["USDC"]
    before = _balance(destination, wrapped, recipient)
    transfer = _lock(bridge, two_chains, recipient)
    relayer.run_round()
    assert _status(relayer, transfer.transfer_id)[0] is RelayStatus.SEEN

    _reorg_last_block(source)
    _rounds(relayer)
    assert _status(relayer, transfer.transfer_id)[0] is RelayStatus.REORGED
    assert _balance(destination, wrapped, recipient) == before
    assert relayer.store.open_transfers() == []  # not in flight: the treasury must not wait


def test_burn_when_its_block_is_reorged_away_then_never_released(
    two_chains: dict[str, Any], bridge: LockMintBridge, relayer: Relayer
) -> None:
    source, destination = chain_manifests(two_chains)
    holder = connect(destination["rpc_url"]).eth.accounts[4]
    home = connect(source["rpc_url"]).eth.accounts[5]
    usdc = source["tokens"]["USDC"]["address"]
    wrapped = destination["bridge"]["wrapped"]["31337"]["USDC"]
    minted = _lock(bridge, two_chains, holder)
    rpc(connect(source["rpc_url"]), "anvil_mine", hex(CONFIRMATIONS))
    _rounds(relayer, 2)
    assert _status(relayer, minted.transfer_id)[0] is RelayStatus.DONE
    home_before = _balance(source, usdc, home)

    burn = bridge.send(bridge.quote(31338, 31337, Web3.to_checksum_address(wrapped), AMOUNT),
                       Web3.to_checksum_address(holder), Web3.to_checksum_address(home))
    relayer.run_round()
    assert _status(relayer, burn.transfer_id)[0] is RelayStatus.SEEN
    _reorg_last_block(destination)  # the burn never happened: the holder has the tokens again
    _rounds(relayer)
    assert _status(relayer, burn.transfer_id)[0] is RelayStatus.REORGED
    assert _balance(destination, wrapped, holder) == AMOUNT
    assert _balance(source, usdc, home) == home_before  # no release of unburnt tokens


def test_lock_when_reorged_then_included_again_then_minted_once_from_its_new_block(
    two_chains: dict[str, Any], bridge: LockMintBridge, relayer: Relayer
) -> None:
    source, destination = chain_manifests(two_chains)
    w3 = connect(source["rpc_url"])
    recipient = connect(destination["rpc_url"]).eth.accounts[6]
    wrapped = destination["bridge"]["wrapped"]["31337"]["USDC"]
    before = _balance(destination, wrapped, recipient)
    first = _lock(bridge, two_chains, recipient)
    relayer.run_round()
    _reorg_last_block(source)
    relayer.run_round()
    assert _status(relayer, first.transfer_id)[0] is RelayStatus.REORGED

    # The same lock lands again (the sender resubmits it): same locker nonce, same id.
    again = _lock(bridge, two_chains, recipient)
    assert again.transfer_id == first.transfer_id and again.source_block > first.source_block
    relayer.run_round()
    status, block_hash = _status(relayer, again.transfer_id)
    assert status is RelayStatus.SEEN
    assert block_hash == Web3.to_hex(w3.eth.get_block(again.source_block)["hash"])
    assert _balance(destination, wrapped, recipient) == before  # not yet 3 deep

    rpc(w3, "anvil_mine", hex(CONFIRMATIONS))
    _rounds(relayer)
    assert _status(relayer, again.transfer_id)[0] is RelayStatus.DONE
    assert _balance(destination, wrapped, recipient) == before + AMOUNT
    minter = connect(destination["rpc_url"]).eth.contract(
        address=destination["bridge"]["minter"], abi=two_chains["abis"]["BridgeMinter"])
    mints = [e for e in minter.events.Minted().get_logs(from_block=0)
             if Web3.to_hex(e["args"]["transferId"]) == again.transfer_id]
    assert len(mints) == 1
