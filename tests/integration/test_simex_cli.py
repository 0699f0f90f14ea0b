"""`crossbook simex up` as a user runs it: a foreground process that ccxt.binance trades on."""

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


async def test_simex_up_serves_binance_api_for_the_given_key_until_interrupted(
        tmp_path: Path) -> None:
    config = tmp_path / "simex.toml"
    config.write_text('name = "simex-b"\ntaker_fee = "0.0008"\n[makers]\nrefresh_ms = 50\n')
    env = {**os.environ, "SIMEX_API_SECRET": "cli-secret"}
    with subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "simex", "up", "--port", "0", "--json",
         "--api-key", "cli-key", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    ) as process:
        await _trade_against(process)
        assert process.wait(timeout=10) == 0


async def _trade_against(process: subprocess.Popen[str]) -> None:
    try:
        assert process.stdout is not None
        summary = json.loads(process.stdout.readline())
        assert summary["name"] == "simex-b" and summary["api_keys"] == ["cli-key"]
        assert {"WETH/USDC", "WBTC/USDC"} <= set(summary["symbols"])
        assert "cli-secret" not in json.dumps(summary)
        exchange = ccxt_async.binance({"apiKey": "cli-key", "secret": "cli-secret"})
        rest, ws = summary["rest_url"], summary["ws_url"]
        root = rest.removesuffix("/api/v3")
        exchange.urls["api"] = {**exchange.urls["api"], "public": rest, "private": rest,
                                "sapi": f"{root}/sapi/v1", "fapiPublic": f"{root}/fapi/v1",
                                "dapiPublic": f"{root}/dapi/v1", "ws": {"spot": ws}}
        try:
            book = await exchange.fetch_order_book("WBTC/USDC")
            assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
            balance = await exchange.fetch_balance()
            assert balance["USDC"]["free"] == 1_000_000
            account = await exchange.private_get_account()
            assert account["commissionRates"]["taker"] == "0.00080000"
        finally:
            await exchange.close()
    finally:
        process.send_signal(signal.SIGINT)


def test_simex_up_with_an_unknown_config_key_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('nmae = "typo"\n')
    result = crossbook("simex", "up", "--port", "0", "--config", str(config))
    assert result.returncode == 2
    assert "config.nmae" in result.stderr
