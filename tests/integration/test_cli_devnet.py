"""The `crossbook` command as a user runs it: a real subprocess, real anvil, real output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli import crossbook

pytestmark = pytest.mark.integration


def test_help_when_run_then_lists_every_command_with_one_line_help() -> None:
    result = crossbook("--help")
    assert result.returncode == 0
    assert "devnet" in result.stdout
    devnet_help = crossbook("devnet", "--help")
    for command in ("up", "down", "status"):
        line = next(ln for ln in devnet_help.stdout.splitlines() if f" {command} " in ln)
        assert len(line.split(command, 1)[1].strip()) > 10  # a real one-line description


def test_devnet_up_status_down_when_run_twice_then_same_world_gets_same_addresses(
    devnet: dict[str, Any], tmp_path: Path
) -> None:
    state_dir = str(tmp_path / "cli-devnet")
    up = crossbook("devnet", "up", "--state-dir", state_dir, "--json")
    assert up.returncode == 0, up.stderr
    try:
        manifest = json.loads(up.stdout)
        status = crossbook("devnet", "status", "--state-dir", state_dir, "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout) == manifest
        # Deterministic deployment: every address matches the session devnet's.
        for section in ("tokens", "uniswap_v2", "uniswap_v3", "safe"):
            assert manifest[section] == devnet[section]
        table = crossbook("devnet", "status", "--state-dir", state_dir)
        assert "uniswap_v3" in table.stdout and "WETH/USDC" in table.stdout
    finally:
        down = crossbook("devnet", "down", "--state-dir", state_dir)
    assert down.returncode == 0 and "devnet stopped" in down.stdout
    after = crossbook("devnet", "status", "--state-dir", state_dir, "--json")
    assert after.returncode == 3
    assert "crossbook devnet up" in after.stderr


def test_devnet_up_when_world_file_is_invalid_then_exit_2_names_the_problem(
    tmp_path: Path,
) -> None:
    world = tmp_path / "world.toml"
    world.write_text('[tokens.USDC]\ndecimals = 6\n[[markets]]\nbase = "WETH"\nquote = "USDC"\n'
                     'price = "3000"\n')
    result = crossbook("devnet", "up", "--state-dir", str(tmp_path), "--world", str(world))
    assert result.returncode == 2
    assert "unknown token WETH" in result.stderr
