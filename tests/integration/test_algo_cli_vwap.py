"""`crossbook algo vwap --profile-from-venues` as a user runs it: simex and the engine's API
server as real processes, the command a real `crossbook` subprocess. The profile is measured
on simex's tape (klines) right after an order of ours traded there. (A refusal, nothing
traded, is tested in-process in test_vwap_venue_volume.py: each CLI call costs seconds.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """simex (`crossbook simex up`) and the engine (`crossbook order serve`) on free ports."""
    tmp_path = tmp_path_factory.mktemp("vwap-cli")
    env = {**os.environ, "CROSSBOOK_JOURNAL_URL": f"sqlite:///{tmp_path / 'journal.sqlite'}"}
    logs = (tmp_path / "simex.log").open("w"), (tmp_path / "engine.log").open("w")
    simex = subprocess.Popen([sys.executable, "-m", "engine.cli", "simex", "up", "--port", "0",
                              "--json"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=logs[0], text=True)
    server: subprocess.Popen[str] | None = None
    try:
        assert simex.stdout is not None
        port = json.loads(simex.stdout.readline())["port"]
        made = _run(tmp_path, env, "order", "new-key", "desk", "--json")
        assert made.returncode == 0, made.stderr
        server = subprocess.Popen([sys.executable, "-m", "engine.cli", "order", "serve",
                                   "--simex", f"simex={port}", "--port", "0", "--json"],
                                  cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                  stderr=logs[1], text=True)
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line, (tmp_path / "engine.log").read_text()
        yield tmp_path, {**env, "CROSSBOOK_API_KEY": json.loads(made.stdout)["api_key"],
                         "CROSSBOOK_API_URL": json.loads(line)["url"]}
    finally:
        for process in (server, simex):
            if process is not None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=20)
                if process.stdout is not None:
                    process.stdout.close()
        for log in logs:
            log.close()


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_vwap_profile_from_venues_when_simex_traded_then_it_runs_to_completion(
        stack: tuple[Path, dict[str, str]]) -> None:
    cwd, env = stack
    traded = _run(cwd, env, "order", "submit", "--venue", "simex", "--symbol", "WETH/USDC",
                  "--side", "buy", "--qty", "0.5", "--json")
    assert traded.returncode == 0, traded.stderr
    result = _run(cwd, env, "algo", "vwap", "--symbol", "WETH/USDC", "--side", "sell",
                  "--qty", "0.2", "--duration", "2s", "--profile-from-venues", "--buckets",
                  "2", "--lookback", "30s", "--wait", "--json")
    assert result.returncode == 0, result.stderr
    parent = _json(result)["parent"]
    assert parent["state"] == "done" and parent["reason"] is None
    assert Decimal(parent["filled"]) == Decimal("0.2")


def test_vwap_profile_from_venues_when_no_buckets_then_usage_error(tmp_path: Path) -> None:
    result = _run(tmp_path, dict(os.environ), "algo", "vwap", "--symbol", "WETH/USDC",
                  "--side", "buy", "--qty", "1", "--duration", "10s", "--profile-from-venues")
    assert result.returncode == 2 and "--buckets" in result.stderr, result.stderr
