"""The exchange as a path between chains: on a 2-chain devnet, USDC deposited on one chain is
withdrawn on the other through simex, and every balance on both chains and the venue agrees."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.devnet import chain_manifests, connect, running_devnet
from chain.world import load_world
from connectors.cex import (
    CapitalClient,
    CexVenueConfig,
    ExchangeRail,
    RailDirection,
    RailStatus,
    devnet_rail_chains,
)
from connectors.simex import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    CapitalConfig,
    MakerConfig,
    SimexConfig,
    SimexServer,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def two_chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state_dir: Path = tmp_path_factory.mktemp("rail-devnet")
    with running_devnet(state_dir, world=load_world(), chains=2) as manifest:
        yield manifest


@pytest.fixture
async def venue(two_chains: dict[str, Any]) -> AsyncIterator[tuple[SimexServer, ExchangeRail]]:
    config = SimexConfig(makers=MakerConfig(enabled=False),
                         capital=CapitalConfig(min_confirm=2, poll_interval_ms=50))
    server = SimexServer(config, devnet_manifest=two_chains)
    await server.start()
    client = CapitalClient(CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                          urls=server.ccxt_urls()))
    yield server, ExchangeRail("simex", client, devnet_rail_chains(two_chains), poll_s=0.05)
    await client.close()
    await server.stop()


def usdc_of(chain: dict[str, Any], holder: str) -> int:
    w3 = connect(chain["rpc_url"])
    contract = w3.eth.contract(address=chain["tokens"]["USDC"]["address"],
                               abi=chain["abis"]["TestERC20"])
    balance: int = contract.functions.balanceOf(holder).call()
    return balance


def mine(chain: dict[str, Any], blocks: int) -> None:
    connect(chain["rpc_url"]).provider.make_request("anvil_mine", [hex(blocks)])  # type: ignore[arg-type]


async def test_usdc_deposited_on_one_chain_when_withdrawn_on_the_other_then_all_reconcile(
        venue: tuple[SimexServer, ExchangeRail], two_chains: dict[str, Any]) -> None:
    server, rail = venue
    first, second = chain_manifests(two_chains)
    account = server.engine.accounts[DEFAULT_API_KEY].balance("USDC")
    sender, recipient = second["deployer"], connect(first["rpc_url"]).eth.accounts[3]
    venue_before, sent_before = account.free, usdc_of(second, sender)
    received_before = usdc_of(first, recipient)

    deposit = await rail.quote(RailDirection.DEPOSIT, second["chain_id"], "USDC", D(100))
    assert deposit.network == f"DEVNET{second['chain_id']}"
    incoming = await rail.send(deposit, sender, "", "leg-in")
    mine(second, 1)
    assert (await rail.finalize(incoming, timeout_s=20)).status is RailStatus.COMPLETED

    withdrawal = await rail.quote(RailDirection.WITHDRAWAL, first["chain_id"], "USDC", D(50))
    outgoing = await rail.send(withdrawal, DEFAULT_API_KEY, recipient, "leg-out")
    while (await rail.track(outgoing)).status is RailStatus.PENDING:
        await asyncio.sleep(0.05)
    mine(first, 1)
    done = await rail.finalize(outgoing, timeout_s=20)
    assert done.status is RailStatus.COMPLETED

    assert account.free == venue_before + 100 - 50
    assert usdc_of(second, sender) == sent_before - 100_000_000
    assert usdc_of(first, recipient) == received_before + 49_000_000  # 1 USDC fee kept
    hot_second = server.capital.hot_wallets()[deposit.network]
    addresses = {n: server.capital.deposit_address(DEFAULT_API_KEY, n)
                 for n in server.capital.hot_wallets()}
    assert len(set(addresses.values())) == 1  # one deposit address per account, every chain

    async def swept() -> bool:
        return usdc_of(second, addresses[deposit.network]) == 0

    deadline = asyncio.get_running_loop().time() + 20
    while not await swept():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    assert usdc_of(second, hot_second) == 1_000_000 * 10**6 + 100_000_000
    assert Web3.is_checksum_address(hot_second)
