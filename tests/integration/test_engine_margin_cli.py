"""`crossbook order serve` with the margin engine configured from the command line: simex and
the engine as real processes, every command a real `crossbook` subprocess. The margin file
prices simex's balances (1,000,000 USDC, 100 WETH, 10 WBTC); the utilisation limit sits just
above where the desk starts, so buying 20 WETH more breaches it and selling 1 does not."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

MARKET = """
[market]
index = { ETH = "3000", BTC = "60000" }
assets = { WETH = "ETH", WBTC = "BTC" }
"""


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _serve(cwd: Path, env: dict[str, str], port: int, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "engine.cli", "order", "serve", "--simex",
                             f"simex={port}", "--port", "0", "--json", *flags], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def simex(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str],
                                                                       int]]:
    tmp_path = tmp_path_factory.mktemp("margin-cli")
    env = {**os.environ, "CROSSBOOK_JOURNAL_URL": f"sqlite:///{tmp_path / 'journal.sqlite'}"}
    log = (tmp_path / "simex.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "simex", "up", "--port",
                                "0", "--json"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=log, text=True)
    try:
        assert process.stdout is not None
        port = json.loads(process.stdout.readline())["port"]
        made = _run(tmp_path, env, "order", "new-key", "desk", "--json")
        assert made.returncode == 0, made.stderr
        env["CROSSBOOK_API_KEY"] = json.loads(made.stdout)["api_key"]
        (tmp_path / "margin.toml").write_text(MARKET)
        (tmp_path / "no-btc.toml").write_text(MARKET.replace(', BTC = "60000"', ""))
        yield tmp_path, env, port
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()
        log.close()


def _submit(cwd: Path, env: dict[str, str], side: str, qty: str, request_id: str
            ) -> tuple[int, dict[str, Any]]:
    done = _run(cwd, env, "order", "submit", "--venue", "simex", "--symbol", "WETH/USDC",
                "--side", side, "--qty", qty, "--request-id", request_id, "--json")
    assert done.stdout, done.stderr
    order: dict[str, Any] = json.loads(done.stdout)["order"]
    return done.returncode, order


def test_serve_with_margin_flags_when_buy_breaches_then_denied_and_sell_accepted(
        simex: tuple[Path, dict[str, str], int]) -> None:
    cwd, env, port = simex
    # start: maintenance 0.8 x (ETH 54,000 + 3,000; BTC 96,000 + 6,000) over 1.9M = 0.06695
    server = _serve(cwd, env, port, "--margin-portfolio", str(cwd / "margin.toml"),
                    "--max-margin-utilisation", "0.07")
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line, server.stderr.read() if server.stderr else ""
        env = {**env, "CROSSBOOK_API_URL": json.loads(line)["url"]}
        code, order = _submit(cwd, env, "buy", "20", "buy-20")
        assert code == 1  # a domain refusal
        assert order["status"] == "denied"
        assert order["reason"].startswith("insufficient_margin: ")
        assert "margin_utilisation" in order["reason"]
        code, order = _submit(cwd, env, "sell", "1", "sell-1")
        assert code == 0, order
        assert order["status"] == "filled"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
        for stream in (server.stdout, server.stderr):
            if stream is not None:
                stream.close()


def test_serve_when_margin_file_prices_no_held_asset_then_usage_error_naming_it(
        simex: tuple[Path, dict[str, str], int]) -> None:
    cwd, env, port = simex
    server = _serve(cwd, env, port, "--margin-portfolio", str(cwd / "no-btc.toml"))
    _, err = server.communicate(timeout=60)
    assert server.returncode == 2
    assert "margin:" in err and "WBTC" in err
