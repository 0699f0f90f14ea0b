"""Starting, forking and stopping devnets, and the errors a user sees when that goes wrong."""

from __future__ import annotations

import socket
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import chain.devnet as devnet_module
from chain.devnet import AnvilOptions, Devnet, connect, running_devnet
from chain.errors import AnvilNotInstalled, DeploymentFailed, DevnetNotRunning, PortInUse
from chain.world import load_world

pytestmark = pytest.mark.integration


def _token(manifest: dict[str, Any], symbol: str, rpc_url: str) -> Any:
    w3 = connect(rpc_url)
    return w3.eth.contract(
        address=manifest["tokens"][symbol]["address"], abi=manifest["abis"]["TestERC20"]
    )


def test_fork_when_parent_is_a_running_devnet_then_fork_reads_parent_state_and_writes_stay_local(
    devnet: dict[str, Any], tmp_path: Path
) -> None:
    parent_usdc = _token(devnet, "USDC", devnet["rpc_url"])
    deployer = devnet["deployer"]
    parent_balance = parent_usdc.functions.balanceOf(deployer).call()
    options = AnvilOptions(fork_url=devnet["rpc_url"], fork_block_number=devnet["block"])

    with running_devnet(tmp_path, options) as fork:
        fork_usdc = _token(devnet, "USDC", fork["rpc_url"])
        assert fork["chain_id"] == devnet["chain_id"]
        assert fork["block"] == devnet["block"]
        assert fork_usdc.functions.balanceOf(deployer).call() == parent_balance
        fork_w3 = connect(fork["rpc_url"])
        tx = fork_usdc.functions.transfer(fork_w3.eth.accounts[9], 123).transact(
            {"from": deployer}
        )
        assert fork_w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        assert fork_usdc.functions.balanceOf(deployer).call() == parent_balance - 123

    assert parent_usdc.functions.balanceOf(deployer).call() == parent_balance


def test_up_when_port_is_taken_then_port_in_use_names_the_port(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(PortInUse, match=f"port {port} is already in use"):
            Devnet(tmp_path).up(AnvilOptions(port=port), world=None)
    assert not (tmp_path / "state.json").exists()


def test_up_when_anvil_is_missing_then_error_says_to_run_make_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devnet_module, "ANVIL_BINARY", tmp_path / "no-anvil")
    with pytest.raises(AnvilNotInstalled, match="make setup"):
        Devnet(tmp_path).up(AnvilOptions(), world=None)


def test_up_when_deployment_fails_then_error_names_the_step_and_anvil_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pair asking for more WETH than the deployer can wrap makes the transfer revert.
    world = load_world()
    market = world.markets[0].model_copy(update={"v2_base_liquidity": Decimal(10) ** 9})
    broken = world.model_copy(update={"markets": [market]})
    started: list[int] = []
    real_start = devnet_module.start_anvil

    def recording_start(*args: Any) -> devnet_module.DevnetState:
        state = real_start(*args)
        started.append(state.pid)
        return state

    monkeypatch.setattr(devnet_module, "start_anvil", recording_start)
    with pytest.raises(DeploymentFailed, match="V2 pair WETH/USDC"):
        Devnet(tmp_path).up(AnvilOptions(), broken)

    assert started and not devnet_module._is_alive(started[0])
    with pytest.raises(DevnetNotRunning):
        Devnet(tmp_path).status()
