"""ape works offline: `ape compile` with our solc shim, and the foundry provider on npm anvil."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chain.compile import REPO_ROOT, install_solc_shim

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
