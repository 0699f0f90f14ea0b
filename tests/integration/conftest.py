"""Fixtures that start real things: anvil from node_modules with the default world deployed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.devnet import connect as connect_rpc
from chain.devnet import running_devnet
from chain.world import load_world


@pytest.fixture(scope="session")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One devnet with the default world for the whole session; stopped at the end."""
    state_dir: Path = tmp_path_factory.mktemp("devnet")
    with running_devnet(state_dir, world=load_world()) as manifest:
        yield {**manifest, "state_dir": str(state_dir)}  # for CLI tests: --state-dir


@pytest.fixture
def w3(devnet: dict[str, Any]) -> Iterator[Web3]:
    """A client of the session devnet whose changes are reverted after each test."""
    client = connect_rpc(devnet["rpc_url"])
    snapshot = client.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    yield client
    client.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


@pytest.fixture
async def simex() -> Any:
    """A simex exchange on an ephemeral loopback port, default config, makers off (tests
    place the liquidity they need); stopped after the test."""
    from connectors.simex import MakerConfig, SimexConfig, SimexServer

    server = SimexServer(SimexConfig(makers=MakerConfig(enabled=False)))
    await server.start()
    yield server
    await server.stop()
