"""`crossbook order` and `crossbook algo` as a user runs them: simex and the engine's API
server as real processes, every command a real `crossbook` subprocess."""

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
    tmp_path = tmp_path_factory.mktemp("oms-cli")
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
        key = json.loads(made.stdout)["api_key"]
        assert key not in (tmp_path / ".crossbook" / "api_keys.json").read_text()
        server = subprocess.Popen([sys.executable, "-m", "engine.cli", "order", "serve",
                                   "--simex", f"simex={port}", "--port", "0", "--json"],
                                  cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                  stderr=logs[1], text=True)
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line, (tmp_path / "engine.log").read_text()
        summary = json.loads(line)
        yield tmp_path, {**env, "CROSSBOOK_API_KEY": key, "CROSSBOOK_API_URL": summary["url"]}
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


def test_order_submit_status_list_cancel_through_the_server(
        stack: tuple[Path, dict[str, str]]) -> None:
    cwd, env = stack
    filled = _run(cwd, env, "order", "submit", "--venue", "simex", "--symbol", "WETH/USDC",
                  "--side", "buy", "--qty", "0.5", "--request-id", "cli-1", "--json")
    assert filled.returncode == 0, filled.stderr
    order = _json(filled)["order"]
    assert order["status"] == "filled" and Decimal(order["filled_qty"]) == Decimal("0.5")
    again = _json(_run(cwd, env, "order", "submit", "--venue", "simex", "--symbol",
                       "WETH/USDC", "--side", "buy", "--qty", "0.5", "--request-id", "cli-1",
                       "--json"))["order"]
    assert again["client_order_id"] == order["client_order_id"]  # idempotent
    resting = _json(_run(cwd, env, "order", "submit", "--venue", "simex", "--symbol",
                         "WETH/USDC", "--side", "buy", "--qty", "0.1", "--type", "limit",
                         "--limit", "1000", "--tif", "gtc", "--json"))["order"]
    assert resting["status"] == "accepted"
    canceled = _run(cwd, env, "order", "cancel", resting["client_order_id"], "--json")
    assert _json(canceled)["order"]["status"] == "canceled"
    status = _json(_run(cwd, env, "order", "status", order["client_order_id"], "--json"))
    assert status["order"]["status"] == "filled"
    listed = _json(_run(cwd, env, "order", "list", "--json"))["orders"]
    ids = [o["client_order_id"] for o in listed]
    assert ids.index(order["client_order_id"]) < ids.index(resting["client_order_id"])
    table = _run(cwd, env, "order", "list")
    assert table.returncode == 0 and order["client_order_id"] in table.stdout


def test_order_submit_when_invalid_or_unauthorised_then_exit_codes(
        stack: tuple[Path, dict[str, str]]) -> None:
    cwd, env = stack
    bad = _run(cwd, env, "order", "submit", "--venue", "simex", "--symbol", "WETH/USDC",
               "--side", "buy", "--qty", "-1")
    assert bad.returncode == 1 and "qty" in bad.stderr
    denied = _run(cwd, env, "order", "submit", "--venue", "simex", "--symbol", "WETH/USDC",
                  "--side", "buy", "--qty", "0.00001", "--json")  # under the lot size
    assert denied.returncode == 1 and _json(denied)["order"]["status"] == "denied"
    wrong = _run(cwd, {**env, "CROSSBOOK_API_KEY": "cbk_nope"}, "order", "list")
    assert wrong.returncode == 2
    gone = _run(cwd, {**env, "CROSSBOOK_API_URL": "http://127.0.0.1:9"}, "order", "list")
    assert gone.returncode == 3


def test_algo_twap_runs_to_completion_with_wait(stack: tuple[Path, dict[str, str]]) -> None:
    cwd, env = stack
    result = _run(cwd, env, "algo", "twap", "--symbol", "WETH/USDC", "--side", "sell",
                  "--qty", "0.3", "--duration", "3s", "--slices", "3", "--randomize", "0.2",
                  "--parent-id", "cli-twap", "--wait", "--json")
    assert result.returncode == 0, result.stderr
    parent = _json(result)["parent"]
    assert parent["state"] == "done" and Decimal(parent["filled"]) == Decimal("0.3")
    assert parent["children"] >= 3
    assert {k: Decimal(v) for k, v in parent["fills_by_venue"].items()} == {
        "simex": Decimal("0.3")}
    children = _json(_run(cwd, env, "order", "list", "--parent", "cli-twap", "--json"))
    assert all(o["status"] in ("filled", "expired") for o in children["orders"])
    bad = _run(cwd, env, "algo", "iceberg", "--symbol", "WETH/USDC", "--side", "buy",
               "--qty", "1", "--display", "2")
    assert bad.returncode == 1 and "display_qty" in bad.stderr
