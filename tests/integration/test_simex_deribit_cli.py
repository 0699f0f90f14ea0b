"""`crossbook simex up --dialect deribit` as a user runs it: a foreground process that the
real ccxt.deribit loads markets from and trades on, stopped by Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import ccxt.async_support as ccxt_async
import pytest

from cli import crossbook

pytestmark = pytest.mark.integration


async def test_simex_up_deribit_serves_ccxt_deribit_for_the_given_key_until_interrupted(
        tmp_path: Path) -> None:
    config = tmp_path / "deribit.toml"
    config.write_text('name = "deribit-b"\n[makers]\ndrift_bps = "0"\n')
    env = {**os.environ, "SIMEX_API_SECRET": "cli-secret"}
    with subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "simex", "up", "--dialect", "deribit", "--port",
         "0", "--json", "--api-key", "cli-key", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    ) as process:
        try:
            assert process.stdout is not None
            summary = json.loads(process.stdout.readline())
            assert (summary["name"], summary["dialect"], summary["api_keys"]) == (
                "deribit-b", "deribit", ["cli-key"])
            assert {"BTC-PERPETUAL", "ETH-PERPETUAL"} == set(summary["perpetuals"])
            assert summary["options"] > 100 and summary["futures"]
            assert "cli-secret" not in json.dumps(summary)
            exchange = ccxt_async.deribit({"apiKey": "cli-key", "secret": "cli-secret"})
            root = summary["rest_url"].removesuffix("/api/v2")
            exchange.urls["api"] = {**exchange.urls["api"], "rest": root,
                                    "ws": summary["ws_url"]}
            try:
                markets = await exchange.load_markets()
                assert markets["BTC/USD:BTC"]["swap"]
                order = await exchange.create_order("BTC/USD:BTC", "market", "buy", 100)
                assert order["status"] == "closed"
                balance = await exchange.fetch_balance({"code": "BTC"})
                assert 9.99 < balance["BTC"]["total"] < 10
            finally:
                await exchange.close()
        finally:
            process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_simex_up_deribit_with_an_unknown_config_key_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[makers]\nrefersh_ms = 10\n')
    result = crossbook("simex", "up", "--dialect", "deribit", "--port", "0", "--config",
                       str(config))
    assert result.returncode == 2
    assert "config.makers.refersh_ms" in result.stderr


def test_simex_up_with_an_unknown_dialect_is_a_usage_error() -> None:
    result = crossbook("simex", "up", "--dialect", "kraken", "--port", "0")
    assert result.returncode == 2
