"""`crossbook simex up --devnet-manifest` as a user runs it: every devnet chain a network."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt_async
import pytest
from web3 import Web3

from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, binance_ccxt_urls

from cli import crossbook

pytestmark = pytest.mark.integration


def _manifest_file(tmp_path: Path, manifest: dict[str, Any]) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({k: v for k, v in manifest.items() if k != "state_dir"}))
    return path


async def test_simex_up_with_devnet_manifest_then_funded_hot_wallet_and_deposit_addresses(
        devnet: dict[str, Any], w3: Web3, tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "simex", "up", "--port", "0", "--json",
         "--devnet-manifest", str(_manifest_file(tmp_path, devnet))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as process:
        try:
            assert process.stdout is not None
            summary = json.loads(process.stdout.readline())
            hot = summary["hot_wallets"]["DEVNET31337"]
            assert w3.eth.get_balance(hot) == 100 * 10**18  # gas from the deployer
            usdc = w3.eth.contract(address=devnet["tokens"]["USDC"]["address"],
                                   abi=devnet["abis"]["TestERC20"])
            assert usdc.functions.balanceOf(hot).call() == 1_000_000 * 10**6  # the float
            exchange = ccxt_async.binance({"apiKey": DEFAULT_API_KEY,
                                           "secret": DEFAULT_API_SECRET})
            exchange.urls["api"] = {**exchange.urls["api"],
                                    **binance_ccxt_urls(summary["rest_url"][:-len("/api/v3")])}
            try:
                address = await exchange.fetch_deposit_address("WETH")
            finally:
                await exchange.close()
            assert Web3.is_checksum_address(address["address"]) and address["address"] != hot
        finally:
            process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_simex_up_when_manifest_unreadable_or_chain_unreachable_then_2_or_3(
        devnet: dict[str, Any], tmp_path: Path) -> None:
    missing = crossbook("simex", "up", "--port", "0", "--devnet-manifest",
                        str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "--devnet-manifest" in missing.stderr
    away = _manifest_file(tmp_path, {**devnet, "rpc_url": "http://127.0.0.1:1"})
    unreachable = crossbook("simex", "up", "--port", "0", "--devnet-manifest", str(away))
    assert unreachable.returncode == 3 and "127.0.0.1:1" in unreachable.stderr
