"""A treasury bridge leg executed as a user's desk would: screened by compliance, then one
guarded 2-of-3 Safe transaction on the source chain, completed by the relayer process on the
other chain; a sanctioned destination is refused before anything is signed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.bridge import LockMintBridge, TransferStatus, relayer_config_for
from chain.devnet import chain_manifests, connect, running_devnet
from chain.wallet import GuardPolicy, SafeWallet, selector
from chain.wallet.provision import fund, provision_guarded_safe
from chain.world import load_world
from engine.treasury.rebalance import LegRefused, send_bridge_leg
from risk.compliance import ListEffect, ListStore, OracleSource, Screener, parse_list_file

from safe_desk import KeySigner

pytestmark = pytest.mark.integration

USDC = 10**6
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ofac"
LOCK_SIGNATURE = "lock(address,uint256,uint256,address)"


@pytest.fixture(scope="module")
def two_chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("rebalance-devnet")
    with running_devnet(state_dir, world=load_world(), chains=2) as manifest:
        yield manifest


@pytest.fixture(scope="module")
def relayer_process(two_chains: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[subprocess.Popen[bytes]]:
    workdir = tmp_path_factory.mktemp("rebalance-relayer")
    config = workdir / "relayer.json"
    config.write_text(relayer_config_for(two_chains, workdir / "relayer.sqlite",
                                         confirmations=1).model_dump_json())
    process = subprocess.Popen([sys.executable, "-m", "chain.bridge.relayer", "--config",
                                str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    yield process
    process.kill()
    process.wait(timeout=10)


@pytest.fixture
async def safe(two_chains: dict[str, Any]) -> tuple[SafeWallet, list[KeySigner], str]:
    """A guarded 2-of-3 Safe on the second chain holding 10,000 USDC, allowed only to lock on
    the bridge, capped, with the chain's sanctions oracle."""
    chain = chain_manifests(two_chains)[1]
    w3 = connect(chain["rpc_url"])
    locker = Web3.to_checksum_address(chain["bridge"]["locker"])
    usdc = Web3.to_checksum_address(chain["tokens"]["USDC"]["address"])
    policy = GuardPolicy(
        delay_s=3_600, sanctions_oracle=Web3.to_checksum_address(chain["sanctions_oracle"]),
        calls=[(locker, selector(LOCK_SIGNATURE))], spenders=[locker],
        caps={usdc: (50_000 * USDC, 100_000 * USDC)},
    )
    signers = [KeySigner(f"treasury-owner-{i}") for i in range(3)]
    relayer = w3.eth.accounts[1]
    wallet = await provision_guarded_safe(w3, chain, signers, 2, relayer, policy,
                                          salt_nonce=w3.eth.block_number)
    fund(w3, chain, wallet.address, {"USDC": 10_000 * USDC}, chain["deployer"])
    return wallet, signers, relayer


def _screener(tmp_path: Path, destination: dict[str, Any]) -> Screener:
    store = ListStore(f"sqlite:///{tmp_path / 'compliance.sqlite'}")
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v1.xml"),
               source="fixture")
    return Screener(store, [OracleSource(connect(destination["rpc_url"]),
                                         destination["sanctions_oracle"])])


def _balance(chain: dict[str, Any], token: str, holder: str) -> int:
    contract = connect(chain["rpc_url"]).eth.contract(
        address=Web3.to_checksum_address(token), abi=chain["abis"]["BridgedToken"])
    balance: int = contract.functions.balanceOf(holder).call()
    return balance


async def test_bridge_leg_from_guarded_safe_when_recipient_is_clean_then_arrives_on_other_chain(
    two_chains: dict[str, Any], relayer_process: subprocess.Popen[bytes],
    safe: tuple[SafeWallet, list[KeySigner], str], tmp_path: Path,
) -> None:
    wallet, signers, relayer = safe
    source, destination = chain_manifests(two_chains)[1], chain_manifests(two_chains)[0]
    bridge = LockMintBridge(chain_manifests(two_chains), two_chains["abis"], confirmations=1)
    usdc = Web3.to_checksum_address(source["tokens"]["USDC"]["address"])
    recipient = connect(destination["rpc_url"]).eth.accounts[2]
    wrapped = destination["bridge"]["wrapped"][str(source["chain_id"])]["USDC"]
    before = _balance(destination, wrapped, recipient)

    quote = bridge.quote(source["chain_id"], destination["chain_id"], usdc, 2_500 * USDC)
    transfer = await send_bridge_leg(
        request_id="treasury-leg-1", bridge=bridge, quote=quote, recipient=recipient,
        wallet=wallet, signers=signers[:2], relayer=relayer,
        screener=_screener(tmp_path, destination))

    assert transfer.sender == wallet.address
    assert _balance(source, usdc, wallet.address) == 7_500 * USDC
    assert bridge.finalize(transfer, timeout_s=30).status is TransferStatus.COMPLETED
    assert _balance(destination, wrapped, recipient) == before + 2_500 * USDC


async def test_bridge_leg_when_recipient_is_sanctioned_then_refused_before_signing(
    two_chains: dict[str, Any], safe: tuple[SafeWallet, list[KeySigner], str], tmp_path: Path,
) -> None:
    wallet, signers, relayer = safe
    source, destination = chain_manifests(two_chains)[1], chain_manifests(two_chains)[0]
    w3 = connect(destination["rpc_url"])
    sanctioned = w3.eth.accounts[6]
    oracle = w3.eth.contract(address=destination["sanctions_oracle"],
                             abi=two_chains["abis"]["SanctionsOracle"])
    tx = oracle.functions.addToSanctionsList([sanctioned]).transact(
        {"from": destination["deployer"]})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    bridge = LockMintBridge(chain_manifests(two_chains), two_chains["abis"], confirmations=1)
    usdc = Web3.to_checksum_address(source["tokens"]["USDC"]["address"])
    nonce = wallet.nonce()

    quote = bridge.quote(source["chain_id"], destination["chain_id"], usdc, 1_000 * USDC)
    with pytest.raises(LegRefused, match="deny"):
        await send_bridge_leg(
            request_id="treasury-leg-2", bridge=bridge, quote=quote, recipient=sanctioned,
            wallet=wallet, signers=signers[:2], relayer=relayer,
            screener=_screener(tmp_path, destination))
    assert wallet.nonce() == nonce
    assert _balance(source, usdc, wallet.address) == 10_000 * USDC
