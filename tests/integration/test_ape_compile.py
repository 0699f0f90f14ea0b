"""ape works offline: `ape compile` with our solc shim, and the foundry provider on npm anvil.

Also checks the one assumption chain.compile makes about the chain: bytecode for its EVM target
(cancun) runs on the npm anvil's default hardfork.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import solcx
from web3 import Web3

from chain.compile import COMPILER_SETTINGS, REPO_ROOT, SOLC_SHIM, install_solc_shim

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ape_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment the Makefile gives ape: shim installed, data folder in a scratch place."""
    solcx_dir = tmp_path_factory.mktemp("solcx")
    install_solc_shim(solcx_dir)
    env = dict(os.environ)
    env.update({
        "SOLCX_BINARY_PATH": str(solcx_dir),
        "APE_DATA_FOLDER": str(tmp_path_factory.mktemp("ape")),
        "PATH": f"{REPO_ROOT / 'node_modules' / '.bin'}{os.pathsep}{env['PATH']}",
    })
    return env


def _ape(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "ape"), *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def test_ape_compile_when_offline_then_our_tokens_compile_with_the_shim(
    ape_env: dict[str, str],
) -> None:
    result = _ape(ape_env, "compile", "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0.8.30" in result.stdout + result.stderr
    manifest = json.loads((REPO_ROOT / ".build" / "__local__.json").read_text())
    assert {"TestERC20", "WrappedEther"} <= set(manifest["contractTypes"])


def test_ape_foundry_provider_when_connected_then_runs_npm_anvil_and_deploys(
    ape_env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "deploy.py"
    script.write_text(textwrap.dedent("""
        from ape import accounts, networks, project
        with networks.parse_network_choice("ethereum:local:foundry") as provider:
            owner = accounts.test_accounts[0]
            token = owner.deploy(project.TestERC20, "Test USDC", "USDC", 6)
            token.mint(owner, 10**6, sender=owner)
            print("RESULT", provider.name, token.decimals(), token.balanceOf(owner))
    """))
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO_ROOT, env=ape_env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert "RESULT foundry 6 1000000" in result.stdout, result.stdout + result.stderr


# TSTORE/TLOAD (EIP-1153) and MCOPY (EIP-5656) exist from cancun on; an older hardfork rejects
# them as invalid opcodes, so a successful call proves the target runs on this anvil.
CANCUN_PROBE = """
pragma solidity ^0.8.24;
contract CancunProbe {
    function probe(uint256 value) external returns (uint256 stored, uint256 copied) {
        assembly {
            tstore(0, value)
            stored := tload(0)
            mstore(0x80, value)
            mcopy(0xa0, 0x80, 32)
            copied := mload(0xa0)
        }
    }
}
"""


@pytest.fixture
def bare_anvil(tmp_path: Path) -> Iterator[Web3]:
    """The npm anvil with no flags (its default hardfork) on a free port; always stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "anvil.log").open("w")
    process = subprocess.Popen(
        [str(REPO_ROOT / "node_modules" / ".bin" / "anvil"), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        deadline = time.monotonic() + 30
        while not w3.is_connected():
            assert process.poll() is None and time.monotonic() < deadline, "anvil did not start"
            time.sleep(0.1)
        yield w3
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_cancun_bytecode_when_run_on_npm_anvil_default_hardfork_then_executes(
    bare_anvil: Web3,
) -> None:
    output = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"CancunProbe.sol": {"content": CANCUN_PROBE}},
            "settings": COMPILER_SETTINGS,
        },
        solc_binary=SOLC_SHIM,
    )
    compiled = output["contracts"]["CancunProbe.sol"]["CancunProbe"]
    w3 = bare_anvil
    deployer = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=compiled["abi"], bytecode=compiled["evm"]["bytecode"]["object"])
    deployment = factory.constructor().transact({"from": deployer})
    receipt = w3.eth.wait_for_transaction_receipt(deployment)
    probe = w3.eth.contract(address=receipt["contractAddress"], abi=compiled["abi"])
    assert probe.functions.probe(42).call({"from": deployer}) == [42, 42]
