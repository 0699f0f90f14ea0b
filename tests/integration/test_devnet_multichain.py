"""`crossbook devnet up --chains 2` as a user runs it: two anvils, two worlds, one manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from chain.devnet import DevnetState, chain_manifest, chain_manifests, connect
from chain.errors import DevnetError

from cli import crossbook

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _erc20_balance(manifest: dict[str, Any], token: str, holder: str) -> int:
    w3 = connect(manifest["rpc_url"])
    contract = w3.eth.contract(address=token, abi=manifest["abis"]["TestERC20"])
    balance: int = contract.functions.balanceOf(holder).call()
    return balance


def test_devnet_up_with_two_chains_then_each_chain_has_its_own_world_and_down_stops_both(
    devnet: dict[str, Any], tmp_path: Path
) -> None:
    state_dir = str(tmp_path / "two-chains")
    up = crossbook("devnet", "up", "--chains", "2", "--state-dir", state_dir, "--json")
    assert up.returncode == 0, up.stderr
    try:
        manifest = json.loads(up.stdout)
        first, second = chain_manifests(manifest)
        # The first chain keeps the single-chain shape at the top level.
        assert manifest["chain_id"] == 31337 and manifest["tokens"] == devnet["tokens"]
        assert second["chain_id"] == 31338 and second["rpc_url"] != first["rpc_url"]
        assert connect(second["rpc_url"]).eth.chain_id == 31338
        for chain in (first, second):
            for section in ("safe", "execution", "sanctions_oracle", "uniswap_v3"):
                assert section in chain
            usdc = chain["tokens"]["USDC"]["address"]
            assert _erc20_balance(chain, usdc, chain["deployer"]) > 0
            other = second if chain is first else first
            wrapped = chain["bridge"]["wrapped"][str(other["chain_id"])]
            assert set(wrapped) == set(other["tokens"])
        assert chain_manifest(manifest, 31338)["tokens"] == second["tokens"]
        with pytest.raises(DevnetError, match="no chain 5"):
            chain_manifest(manifest, 5)
        status = crossbook("devnet", "status", "--state-dir", state_dir, "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout) == manifest
        table = crossbook("devnet", "status", "--state-dir", state_dir)
        assert table.stdout.count("Protocol contracts") == 2
        assert "31338" in table.stdout
        state = DevnetState.model_validate_json((Path(state_dir) / "state.json").read_text())
        pids = [chain_state.pid for chain_state in state.every_chain()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    finally:
        down = crossbook("devnet", "down", "--state-dir", state_dir)
    assert down.returncode == 0 and "devnet stopped" in down.stdout
    assert not any(_alive(pid) for pid in pids)


def test_devnet_up_with_chains_and_fork_url_then_exit_1_says_forks_run_one_chain(
    tmp_path: Path,
) -> None:
    result = crossbook("devnet", "up", "--chains", "2", "--fork-url", "http://127.0.0.1:1",
                       "--state-dir", str(tmp_path))
    assert result.returncode != 0
    assert "forked devnet runs one chain" in result.stderr
    assert not (tmp_path / "state.json").exists()
