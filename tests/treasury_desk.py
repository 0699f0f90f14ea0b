"""One test's treasury for the rebalance crash tests: guarded 2-of-3 Safes on both chains of a
2-chain devnet (owners from keystores, as a desk keeps them), its policy, journal and relayer
process, and the checks that a transfer completed exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from chain.bridge import relayer_config_for
from chain.devnet import chain_manifests, connect
from chain.signers import LocalKeySigner
from chain.wallet import GuardPolicy, selector
from chain.wallet.provision import fund, provision_guarded_safe
from engine.treasury.journal import TransferJournal, TransferState
from risk.compliance import ListEffect, ListStore, parse_list_file

USDC = 10**6
PASSWORD_ENV = "TREASURY_TEST_PASSWORD"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ofac"
LOCK = "lock(address,uint256,uint256,address)"



@dataclass
class Treasury:
    """One test's treasury: a Safe per chain, its policy and journal, and its relayer."""

    manifest: dict[str, Any]
    workdir: Path
    safes: dict[int, str]
    policy: Path
    journal: Path
    compliance_url: str
    relayer: subprocess.Popen[bytes] | None = None

    def rebalance(self, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, PASSWORD_ENV: "correct horse"}
        return subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "treasury", "rebalance", "--policy",
             str(self.policy), "--state-dir", self.manifest["state_dir"], "--journal",
             str(self.journal), "--compliance-url", self.compliance_url, "--execute", "--json",
             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def start_relayer(self, *args: str) -> subprocess.Popen[bytes]:
        config = self.workdir / "relayer.json"
        config.write_text(relayer_config_for(self.manifest, self.workdir / "relayer.sqlite",
                                             confirmations=1).model_dump_json())
        log = (self.workdir / "relayer.log").open("ab")
        self.relayer = subprocess.Popen(
            [sys.executable, "-m", "chain.bridge.relayer", "--config", str(config), *args],
            stdout=log, stderr=log)
        log.close()
        return self.relayer

    def stop_relayer(self) -> None:
        if self.relayer is not None and self.relayer.poll() is None:
            self.relayer.kill()
            self.relayer.wait(timeout=10)

    def records(self) -> list[Any]:
        with TransferJournal(self.journal) as journal:
            return journal.transfers()

    def usdc(self, chain_id: int) -> int:
        """The Safe's USDC on `chain_id`: the chain's own token plus the bridged one."""
        chain = {c["chain_id"]: c for c in chain_manifests(self.manifest)}[chain_id]
        tokens = [chain["tokens"]["USDC"]["address"]] + [
            w["USDC"] for w in chain["bridge"]["wrapped"].values()]
        w3 = connect(chain["rpc_url"])
        return sum(w3.eth.contract(address=Web3.to_checksum_address(t),
                                   abi=self.manifest["abis"]["TestERC20"]).functions
                   .balanceOf(self.safes[chain_id]).call() for t in tokens)

    def safe_nonce(self, chain_id: int) -> int:
        chain = {c["chain_id"]: c for c in chain_manifests(self.manifest)}[chain_id]
        safe = connect(chain["rpc_url"]).eth.contract(
            address=Web3.to_checksum_address(self.safes[chain_id]),
            abi=[{"type": "function", "name": "nonce", "stateMutability": "view",
                  "inputs": [], "outputs": [{"name": "", "type": "uint256"}]}])
        nonce: int = safe.functions.nonce().call()
        return nonce


def minted(manifest: dict[str, Any], transfer_id: str) -> int:
    destination = chain_manifests(manifest)[0]
    minter = connect(destination["rpc_url"]).eth.contract(
        address=destination["bridge"]["minter"], abi=manifest["abis"]["BridgeMinter"])
    return sum(1 for e in minter.events.Minted().get_logs(from_block=0)
               if Web3.to_hex(e["args"]["transferId"]) == transfer_id)


async def open_treasury(two_chains: dict[str, Any], tmp_path: Path) -> AsyncIterator[Treasury]:
    """Safes on both chains owned by 3 keystore owners (threshold 2), 10,000 USDC in the one on
    the second chain, and a policy that wants 2,500 USDC in the one on the first."""
    owners = []
    for i in range(3):
        owner = LocalKeySigner.generate(f"owner-{i}")
        owner.to_keystore(tmp_path / f"owner-{i}.json", PASSWORD_ENV, kdf="pbkdf2",
                          iterations=2, environ={PASSWORD_ENV: "correct horse"})
        owners.append(owner)
    safes: dict[int, str] = {}
    sender = ""
    for chain in chain_manifests(two_chains):
        w3 = connect(chain["rpc_url"])
        locker = Web3.to_checksum_address(chain["bridge"]["locker"])
        usdc = Web3.to_checksum_address(chain["tokens"]["USDC"]["address"])
        guard = GuardPolicy(
            delay_s=3_600, sanctions_oracle=Web3.to_checksum_address(chain["sanctions_oracle"]),
            calls=[(locker, selector(LOCK))], spenders=[locker],
            caps={usdc: (50_000 * USDC, 100_000 * USDC)})
        sender = list(w3.eth.accounts)[1]
        wallet = await provision_guarded_safe(w3, chain, owners, 2, sender, guard,
                                              salt_nonce=w3.eth.block_number)
        safes[chain["chain_id"]] = wallet.address
    second = chain_manifests(two_chains)[1]
    fund(connect(second["rpc_url"]), second, safes[31338], {"USDC": 10_000 * USDC},
         second["deployer"])
    store = ListStore(f"sqlite:///{tmp_path / 'compliance.sqlite'}")
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v1.xml"),
               source="fixture")
    policy = tmp_path / "policy.toml"
    policy.write_text(f"""
max_seconds = 3600
[assets.USDC]
price = "1"
decimals = 6
[[wallets]]
name = "treasury"
address = "{safes[31337]}"
addresses = {{ 31338 = "{safes[31338]}" }}
safe = true
[[targets]]
location = "treasury"
chain = 31337
asset = "USDC"
target = "2500"
[execution]
sender = "{sender}"
keystores = ["owner-0.json", "owner-1.json"]
password_env = "{PASSWORD_ENV}"
caps = {{ USDC = "50000" }}
arrival_timeout_s = 60
poll_s = "0.2"
""")
    treasury = Treasury(two_chains, tmp_path, safes, policy, tmp_path / "treasury.sqlite",
                        f"sqlite:///{tmp_path / 'compliance.sqlite'}")
    yield treasury
    treasury.stop_relayer()


def finish(treasury: Treasury) -> dict[str, Any]:
    process = treasury.rebalance()
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def assert_completed_once(treasury: Treasury, result: dict[str, Any], nonce_before: int
                           ) -> None:
    [recovered] = result["recovered"]
    assert recovered["state"] == "arrived"
    assert result["transfers"] == [] and result["plan"]["transfers"] == []  # need met
    [record] = treasury.records()
    assert record.state is TransferState.ARRIVED
    assert treasury.safe_nonce(31338) == nonce_before + 1  # one Safe execution
    assert minted(treasury.manifest, record.facts["bridge_transfer"]["transfer_id"]) == 1
    assert treasury.usdc(31338) == 7_500 * USDC
    assert treasury.usdc(31337) == 2_500 * USDC




def wait_for(condition: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)

