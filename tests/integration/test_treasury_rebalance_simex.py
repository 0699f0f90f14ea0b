"""Issue 12's done-when, end to end: on a 2-chain devnet beside simex (its capital endpoints
backed by devnet hot wallets), a margin shortfall on simex (its need from the margin engine over
the desk's simex perpetual) is covered from the treasury Safe on the other chain by the cheaper
route, executed by `crossbook treasury rebalance --execute`, and every balance reconciles: the
Safes on both chains, the bridge's release, and the simex account.

The two routes the planner weighs for the part chain 31337's Safe lacks:
- bridge then deposit: burn the Safe's bridged USDC on 31338 (going home it arrives as 31337's
  own USDC, which simex credits), then deposit on 31337: the lock-and-mint gas estimate plus a
  token transfer's gas, at the policy's gas price (1 gwei, ETH 3000): 0.36 + 0.195;
- withdraw then deposit: "othex", a second venue holding USDC, pays out on 31337 for a 1 USDC
  fee: 1 + 0.195.
The first is cheaper, and the test asserts the planner chose it for that reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt_async
import pytest
from eth_typing import ChecksumAddress
from web3 import Web3

from chain.bridge import LockMintBridge, TransferStatus, relayer_config_for
from chain.bridge.lockmint import LOCK_GAS
from chain.devnet import chain_manifests, connect, running_devnet
from chain.signers import LocalKeySigner
from chain.wallet import GuardPolicy, selector
from chain.wallet.provision import fund, provision_guarded_safe
from chain.world import load_world
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, MakerConfig, SimexServer
from connectors.simex.config import AccountConfig, CapitalConfig, SimexConfig
from engine.treasury.policy import GasPolicy
from risk.compliance import ListEffect, ListStore, parse_list_file
from risk.margin import MarginEngine, load_portfolio

from devnet_actions import rpc

pytestmark = pytest.mark.integration

USDC = 10**6
PASSWORD_ENV = "TREASURY_E2E_PASSWORD"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ofac"
NETWORK_A = "DEVNET31337"


@pytest.fixture(scope="module")
def two_chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path_factory.mktemp("rebalance-simex-devnet")
    with running_devnet(state_dir, world=load_world(), chains=2) as manifest:
        yield {**manifest, "state_dir": str(state_dir)}


@pytest.fixture
async def exchanges(two_chains: dict[str, Any]) -> AsyncIterator[tuple[SimexServer, SimexServer]]:
    """simex with capital on both chains, its account holding 1,000 USDC; and othex, a plain
    second venue holding 100,000 USDC."""
    simex = SimexServer(SimexConfig(
        makers=MakerConfig(enabled=False),
        accounts=(AccountConfig(balances={"USDC": Decimal(1_000)}),),
        capital=CapitalConfig(min_confirm=2, poll_interval_ms=100)), devnet_manifest=two_chains)
    othex = SimexServer(SimexConfig(name="othex", makers=MakerConfig(enabled=False),
                                    accounts=(AccountConfig(
                                        balances={"USDC": Decimal(100_000)}),)))
    await simex.start()
    await othex.start()
    yield simex, othex
    await othex.stop()
    await simex.stop()


@pytest.fixture
def relayer(two_chains: dict[str, Any], tmp_path: Path) -> Iterator[None]:
    config = tmp_path / "relayer.json"
    config.write_text(relayer_config_for(two_chains, tmp_path / "relayer.sqlite",
                                         confirmations=1).model_dump_json())
    log = (tmp_path / "relayer.log").open("ab")
    child = subprocess.Popen([sys.executable, "-m", "chain.bridge.relayer", "--config",
                              str(config)], stdout=log, stderr=log)
    log.close()
    yield
    child.kill()
    child.wait(timeout=10)


async def _deposit_address(simex: SimexServer) -> ChecksumAddress:
    client: Any = ccxt_async.binance({"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET})
    client.urls["api"] = {**client.urls["api"], **simex.ccxt_urls()}
    try:
        answer = await client.fetch_deposit_address("USDC", {"network": NETWORK_A})
    finally:
        await client.close()
    return Web3.to_checksum_address(answer["address"])


async def _crossbook(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.cli", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, PASSWORD_ENV: "correct horse"})
    out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _token_balance(chain: dict[str, Any], abis: dict[str, Any], token: str, holder: str) -> int:
    contract = connect(chain["rpc_url"]).eth.contract(address=Web3.to_checksum_address(token),
                                                      abi=abis["TestERC20"])
    balance: int = contract.functions.balanceOf(holder).call()
    return balance


async def test_margin_shortfall_on_simex_is_covered_by_bridge_then_deposit_and_reconciles(
    two_chains: dict[str, Any], exchanges: tuple[SimexServer, SimexServer], relayer: None,
    tmp_path: Path,
) -> None:
    simex, othex = exchanges
    chain_a, chain_b = chain_manifests(two_chains)
    abis = two_chains["abis"]
    deposit_address = await _deposit_address(simex)
    usdc_a = Web3.to_checksum_address(chain_a["tokens"]["USDC"]["address"])
    wrapped_a_on_b = Web3.to_checksum_address(chain_b["bridge"]["wrapped"]["31337"]["USDC"])

    # The treasury: a guarded 2-of-3 Safe on each chain, owners in keystores.
    owners = []
    for i in range(3):
        owner = LocalKeySigner.generate(f"owner-{i}")
        owner.to_keystore(tmp_path / f"owner-{i}.json", PASSWORD_ENV, kdf="pbkdf2",
                          iterations=2, environ={PASSWORD_ENV: "correct horse"})
        owners.append(owner)
    sender = list(connect(chain_a["rpc_url"]).eth.accounts)[1]
    safes: dict[int, ChecksumAddress] = {}
    for chain, guard in (
        (chain_a, GuardPolicy(
            delay_s=3_600, sanctions_oracle=Web3.to_checksum_address(chain_a["sanctions_oracle"]),
            calls=[(usdc_a, selector("transfer(address,uint256)"))],
            recipients=[deposit_address], caps={usdc_a: (50_000 * USDC, 100_000 * USDC)})),
        (chain_b, GuardPolicy(
            delay_s=3_600, sanctions_oracle=Web3.to_checksum_address(chain_b["sanctions_oracle"]),
            calls=[(Web3.to_checksum_address(chain_b["bridge"]["minter"]),
                    selector("burn(address,uint256,address)"))],
            caps={wrapped_a_on_b: (50_000 * USDC, 100_000 * USDC)})),
    ):
        w3 = connect(chain["rpc_url"])
        wallet = await provision_guarded_safe(w3, chain, owners, 2, sender, guard,
                                              salt_nonce=w3.eth.block_number)
        safes[chain["chain_id"]] = wallet.address
    fund(connect(chain_a["rpc_url"]), chain_a, safes[31337], {"USDC": 500 * USDC},
         chain_a["deployer"])
    # The Safe on 31338 holds USDC bridged over from 31337 earlier.
    bridge = LockMintBridge(chain_manifests(two_chains), abis, confirmations=1)
    seed = bridge.send(bridge.quote(31337, 31338, usdc_a, 20_000 * USDC), chain_a["deployer"],
                       safes[31338])
    assert bridge.finalize(seed, timeout_s=60).status is TransferStatus.COMPLETED
    for chain in (chain_a, chain_b):  # blocks keep coming: simex credits after 2
        rpc(connect(chain["rpc_url"]), "evm_setIntervalMining", 1)

    # The desk's simex perpetual: its initial margin is simex's requirement.
    portfolio = tmp_path / "desk.toml"
    portfolio.write_text('[market]\nindex = { BTC = "100000" }\n[[perpetual]]\n'
                         'venue = "simex"\nsymbol = "BTCUSDT"\nunderlying = "BTC"\n'
                         'quantity = "2"\nentry_price = "100000"\n')
    document = load_portfolio(portfolio)
    requirement = MarginEngine(document.portfolio, document.market).standard_margin() \
        .initial_margin_usd
    need = requirement * Decimal("1.5")
    assert requirement * Decimal("1.2") > 1_000  # simex's 1,000 is under the alert level

    store = ListStore(f"sqlite:///{tmp_path / 'compliance.sqlite'}")
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v1.xml"),
               source="fixture")
    policy = tmp_path / "policy.toml"
    policy_text = f"""
max_seconds = 3600
[assets.USDC]
price = "1"
decimals = 6
[[wallets]]
name = "treasury"
address = "{safes[31337]}"
addresses = {{ 31338 = "{safes[31338]}" }}
safe = true
[[venues]]
name = "simex"
url = "{simex.rest_url}"
deposit_chains = [31337]
withdrawal_fee = {{ USDC = "1" }}
[venues.collateral]
asset = "USDC"
buffer = "1.5"
alert_below = "1.2"
auto_top_up = AUTO
[[venues]]
name = "othex"
url = "{othex.rest_url}"
deposit_chains = [31337]
withdrawal_fee = {{ USDC = "1" }}
[margin]
portfolio = "desk.toml"
method = "standard"
level = "initial"
[execution]
sender = "{sender}"
keystores = ["owner-0.json", "owner-2.json"]
password_env = "{PASSWORD_ENV}"
caps = {{ USDC = "50000" }}
arrival_timeout_s = 120
poll_s = "0.3"
[gas]
gas_price_gwei = "1"
native_price = "3000"
"""
    policy.write_text(policy_text.replace("AUTO", "false"))
    common = ("--policy", str(policy), "--state-dir", two_chains["state_dir"])
    journaled = ("--journal", str(tmp_path / "treasury.sqlite"), "--compliance-url",
                 f"sqlite:///{tmp_path / 'compliance.sqlite'}")

    code, out, err = await _crossbook("treasury", "status", *common, "--json")
    assert code == 0, err
    [collateral] = json.loads(out)["collateral"]
    assert Decimal(collateral["requirement"]) == requirement
    assert Decimal(collateral["need"]) == need and collateral["alerting"] is True
    assert Decimal(collateral["held"]) == 1_000

    # Top-ups not enabled: the alert is raised and the top-up proposed, nothing sent.
    code, out, err = await _crossbook("treasury", "topup", *common, *journaled, "--json")
    assert code == 0, err
    proposal = json.loads(out)
    assert proposal["executed"] is False and proposal["transfers"] == []
    assert len(proposal["plan"]["transfers"]) == 2
    assert simex.engine.accounts[DEFAULT_API_KEY].balance("USDC").free == 1_000

    # Enabled in the policy: the same top-up is executed.
    policy.write_text(policy_text.replace("AUTO", "true"))
    code, out, err = await _crossbook("treasury", "topup", *common, *journaled, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["executed"] is True
    [alert] = result["alerts"]
    assert alert["venue"] == "simex" and Decimal(alert["need"]) == need

    # Why this route: by cost, bridge-then-deposit beats withdraw-then-deposit.
    gas = GasPolicy(gas_price_gwei=Decimal(1), native_price=Decimal(3000))
    deposit_cost = gas.cost_of(gas.transfer_gas)
    bridge_route = gas.cost_of(LOCK_GAS) + deposit_cost
    withdrawal_route = Decimal(1) + deposit_cost
    assert bridge_route < withdrawal_route
    plan = result["plan"]
    assert Decimal(plan["cost"]) == bridge_route
    kinds = {(t["kind"], t["source"]["location"], t["source"]["chain_id"])
             for t in plan["transfers"]}
    assert kinds == {("bridge", "treasury", 31338), ("cex_deposit", "treasury", 31337)}
    # simex's deposit is timed by its own terms (config/getall: min_confirm=2 above, 2 s blocks,
    # plus 5 s processing), not by the policy's default 60 s.
    arrival = {t["kind"]: t["expected_arrival_s"] for t in plan["transfers"]}
    assert arrival["cex_deposit"] - arrival["bridge"] == 2 * 2 + 5

    legs = {t["kind"]: t for t in result["transfers"]}
    assert [t["state"] for t in result["transfers"]] == ["arrived", "arrived"]
    assert legs["cex_deposit"]["depends_on"] == [legs["bridge"]["transfer_id"]]
    shortfall = need - 1_000
    assert Decimal(legs["cex_deposit"]["received"]) == shortfall
    bridged = Decimal(legs["bridge"]["amount"])

    # Everything reconciles: both Safes, the bridge, the exchange account.
    assert simex.engine.accounts[DEFAULT_API_KEY].balance("USDC").free == need
    raw = int(bridged * USDC)
    assert _token_balance(chain_b, abis, wrapped_a_on_b, safes[31338]) == 20_000 * USDC - raw
    assert _token_balance(chain_a, abis, usdc_a, safes[31337]) == \
        500 * USDC + raw - int(shortfall * USDC)
    locker = connect(chain_a["rpc_url"]).eth.contract(address=chain_a["bridge"]["locker"],
                                                      abi=abis["BridgeLocker"])
    assert locker.functions.isReleased(
        bytes.fromhex(legs["bridge"]["bridge_transfer_id"][2:])).call()

    code, out, err = await _crossbook("treasury", "status", *common, "--json")
    assert code == 0, err
    status = json.loads(out)
    [collateral] = status["collateral"]
    assert Decimal(collateral["held"]) == need and collateral["alerting"] is False
    holdings = {(h["location"], h["chain_id"]): Decimal(h["balance"]) for h in status["holdings"]}
    assert holdings[("simex", None)] + holdings[("treasury", 31337)] + \
        holdings[("treasury", 31338)] == 1_000 + 500 + 20_000  # nothing lost on the way


async def test_withdrawal_leg_sigkilled_after_the_request_then_paid_out_exactly_once(
    two_chains: dict[str, Any], exchanges: tuple[SimexServer, SimexServer], tmp_path: Path,
) -> None:
    """An operations wallet on 31337 short of 300 USDC is paid from simex's account; the
    rebalance is SIGKILLed right after asking simex for the withdrawal (before journaling it):
    the restart finds it by its client id (`withdrawOrderId`) and never asks again."""
    simex, _ = exchanges
    chain_a = chain_manifests(two_chains)[0]
    w3 = connect(chain_a["rpc_url"])
    rpc(w3, "evm_setIntervalMining", 1)  # simex completes a withdrawal 2 blocks deep
    ops = Web3.to_checksum_address("0x" + "5e" * 20)
    LocalKeySigner.generate("owner").to_keystore(
        tmp_path / "owner.json", PASSWORD_ENV, kdf="pbkdf2", iterations=2,
        environ={PASSWORD_ENV: "correct horse"})
    store = ListStore(f"sqlite:///{tmp_path / 'compliance.sqlite'}")
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v1.xml"),
               source="fixture")
    policy = tmp_path / "policy.toml"
    policy.write_text(f"""
[assets.USDC]
price = "1"
decimals = 6
[[wallets]]
name = "ops"
address = "{ops}"
chains = [31337]
[[venues]]
name = "simex"
url = "{simex.rest_url}"
deposit_chains = [31337]
withdrawal_fee = {{ USDC = "1" }}
[[targets]]
location = "ops"
chain = 31337
asset = "USDC"
target = "300"
[execution]
sender = "{list(w3.eth.accounts)[1]}"
keystores = ["owner.json"]
password_env = "{PASSWORD_ENV}"
arrival_timeout_s = 120
poll_s = "0.3"
""")
    args = ("treasury", "rebalance", "--policy", str(policy), "--state-dir",
            two_chains["state_dir"], "--journal", str(tmp_path / "treasury.sqlite"),
            "--compliance-url", f"sqlite:///{tmp_path / 'compliance.sqlite'}", "--execute",
            "--json")

    code, out, err = await _crossbook(*args, "--crash-at", "broadcast")
    assert code == -9, out + err  # SIGKILL
    code, out, err = await _crossbook(*args)
    assert code == 0, err
    result = json.loads(out)
    [recovered] = result["recovered"]
    assert recovered["kind"] == "cex_withdrawal" and recovered["state"] == "arrived"
    assert recovered["recovered"] is True and Decimal(recovered["received"]) == 300
    assert result["plan"]["transfers"] == []  # nothing planned again

    account = simex.engine.accounts[DEFAULT_API_KEY]
    assert account.balance("USDC").free == 1_000 - 301  # 300 paid out, 1 fee, once
    assert _token_balance(chain_a, two_chains["abis"], chain_a["tokens"]["USDC"]["address"],
                          ops) == 300 * USDC
