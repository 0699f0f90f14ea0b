"""`crossbook treasury status|plan` as a user runs them, on a 2-chain devnet beside simex: the
balances come from the chains (ERC-20 `balanceOf`), from simex through the real ccxt client and
from the bridge relayer's store, and the plan covers simex's shortfall by the cheapest route."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.bridge import LockMintBridge, relayer_config_for
from chain.devnet import chain_manifests, connect, running_devnet
from chain.world import load_world

pytestmark = pytest.mark.integration

USDC = 10**6


@pytest.fixture(scope="module")
def two_chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("treasury-devnet")
    with running_devnet(state_dir, world=load_world(), chains=2) as manifest:
        first, second = chain_manifests(manifest)
        treasury = connect(first["rpc_url"]).eth.accounts[2]
        for chain, amount in ((first, 1_000), (second, 20_000)):
            w3 = connect(chain["rpc_url"])
            usdc = w3.eth.contract(address=chain["tokens"]["USDC"]["address"],
                                   abi=manifest["abis"]["TestERC20"])
            tx = usdc.functions.transfer(treasury, amount * USDC).transact(
                {"from": chain["deployer"]})
            assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        yield {**manifest, "state_dir": str(state_dir), "treasury": treasury}


def _policy(path: Path, manifest: dict[str, Any], simex_url: str, simex_target: int) -> Path:
    path.write_text(f"""
max_seconds = 3600

[assets.USDC]
price = "1"
decimals = 6

[[wallets]]
name = "treasury"
address = "{manifest['treasury']}"

[[venues]]
name = "simex"
url = "{simex_url}"
deposit_chains = [31337]
withdrawal_fee = {{ USDC = "1" }}

[[targets]]
location = "simex"
asset = "USDC"
target = "{simex_target}"
buffer = "500"
""")
    return path


async def _crossbook(*args: str) -> tuple[int, str, str]:
    # The CLI is its own process; simex serves it from this test's event loop.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_plan_when_simex_is_short_then_bridges_from_the_other_chain_and_deposits(
    simex: Any, two_chains: dict[str, Any], tmp_path: Path
) -> None:
    simex_usdc = simex.config.accounts[0].balances["USDC"]
    # simex must reach 1,005,500 (target + buffer): 5,500 more than it holds.
    policy = _policy(tmp_path / "policy.toml", two_chains, simex.rest_url,
                     int(simex_usdc) + 5_000)
    code, out, err = await _crossbook("treasury", "status", "--policy", str(policy),
                                      "--state-dir", two_chains["state_dir"], "--json")
    assert code == 0, err
    holdings = {(h["location"], h["chain_id"]): h for h in json.loads(out)["holdings"]}
    assert Decimal(holdings[("treasury", 31337)]["balance"]) == 1_000
    assert Decimal(holdings[("treasury", 31338)]["balance"]) == 20_000
    assert Decimal(holdings[("simex", None)]["balance"]) == simex_usdc
    assert Decimal(holdings[("simex", None)]["shortfall"]) == 5_500

    code, out, err = await _crossbook("treasury", "plan", "--policy", str(policy),
                                      "--state-dir", two_chains["state_dir"], "--json")
    assert code == 0, err
    plan = json.loads(out)
    legs = {(t["kind"], t["source"]["chain_id"]): t for t in plan["transfers"]}
    # simex takes deposits on 31337 only: what 31337 lacks is bridged from 31338 first.
    assert set(legs) == {("bridge", 31338), ("cex_deposit", 31337)}
    assert Decimal(legs[("cex_deposit", 31337)]["received"]) == 5_500
    assert Decimal(legs[("bridge", 31338)]["amount"]) == 4_500
    assert legs[("cex_deposit", 31337)]["expected_arrival_s"] == 120 + 60
    final = {(b["location"], b["chain_id"]): Decimal(b["balance"])
             for b in plan["final_balances"]}
    assert final[("simex", None)] == simex_usdc + 5_500
    assert sum(final.values()) == simex_usdc + 21_000  # the bridge and deposit keep nothing

    code, out, err = await _crossbook("treasury", "plan", "--policy", str(policy),
                                      "--state-dir", two_chains["state_dir"])
    assert code == 0, err
    assert "Planned transfers" in out and "bridge" in out and "total cost" in out


async def test_status_when_a_bridge_transfer_is_in_flight_then_it_counts_as_arriving(
    simex: Any, two_chains: dict[str, Any], tmp_path: Path
) -> None:
    first, second = chain_manifests(two_chains)
    bridge = LockMintBridge(chain_manifests(two_chains), two_chains["abis"], confirmations=50)
    usdc = Web3.to_checksum_address(second["tokens"]["USDC"]["address"])
    quote = bridge.quote(second["chain_id"], first["chain_id"], usdc, 300 * USDC)
    transfer = bridge.send(quote, second["deployer"], two_chains["treasury"])
    db = tmp_path / "relayer.sqlite"
    config = tmp_path / "relayer.json"
    config.write_text(relayer_config_for(two_chains, db, confirmations=50).model_dump_json())
    # One relayer round records the lock; 50 confirmations keep it from completing.
    subprocess.run([sys.executable, "-m", "chain.bridge.relayer", "--config", str(config),
                    "--once"], check=True, timeout=60, capture_output=True)

    policy = _policy(tmp_path / "policy.toml", two_chains, simex.rest_url, 0)
    code, out, err = await _crossbook("treasury", "status", "--policy", str(policy),
                                      "--state-dir", two_chains["state_dir"],
                                      "--relayer-db", str(db), "--json")
    assert code == 0, err
    status = json.loads(out)
    [flight] = status["in_flight"]
    assert flight["transfer_id"] == transfer.transfer_id
    assert flight["destination"] == {"location": "treasury", "chain_id": 31337, "asset": "USDC"}
    holdings = {(h["location"], h["chain_id"]): h for h in status["holdings"]}
    assert Decimal(holdings[("treasury", 31337)]["arriving"]) == 300


async def test_plan_when_target_exceeds_all_collateral_then_exit_1_names_the_shortfall(
    simex: Any, two_chains: dict[str, Any], tmp_path: Path
) -> None:
    policy = _policy(tmp_path / "policy.toml", two_chains, simex.rest_url, 10**9)
    code, _, err = await _crossbook("treasury", "plan", "--policy", str(policy),
                                    "--state-dir", two_chains["state_dir"])
    assert code == 1
    assert "simex@-:USDC short" in err


async def test_status_when_policy_names_unknown_asset_then_exit_2_names_the_rule(
    two_chains: dict[str, Any], tmp_path: Path
) -> None:
    policy = tmp_path / "bad.toml"
    policy.write_text('[assets.USDC]\nprice = "1"\ndecimals = 6\n[[venues]]\nname = "x"\n'
                      'url = "http://127.0.0.1:1"\n[[targets]]\nlocation = "x"\n'
                      'asset = "DAI"\ntarget = "1"\n')
    code, _, err = await _crossbook("treasury", "status", "--policy", str(policy),
                                    "--state-dir", two_chains["state_dir"])
    assert code == 2
    assert "unknown asset DAI" in err
