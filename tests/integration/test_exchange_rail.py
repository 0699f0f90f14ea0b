"""`CapitalClient` and `ExchangeRail` against simex on the session devnet, through ccxt.binance:
quote, send, track and finalize in both directions, with real tokens moving on chain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import pytest
from web3 import Web3

from connectors.cex import (
    BelowRailMinimum,
    CapitalClient,
    CexVenueConfig,
    ExchangeRail,
    RailDirection,
    RailStatus,
    UnsupportedRail,
    VenueRejected,
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

from devnet_actions import rpc

pytestmark = pytest.mark.integration

CHAIN = 31337


@pytest.fixture
async def exchange_server(devnet: dict[str, Any], w3: Web3) -> AsyncIterator[SimexServer]:
    config = SimexConfig(makers=MakerConfig(enabled=False),
                         capital=CapitalConfig(min_confirm=3, poll_interval_ms=50))
    server = SimexServer(config, devnet_manifest=devnet)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def rail(exchange_server: SimexServer, devnet: dict[str, Any]) -> AsyncIterator[
        ExchangeRail]:
    client = CapitalClient(CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                                          urls=exchange_server.ccxt_urls()))
    yield ExchangeRail("simex", client, devnet_rail_chains(devnet), poll_s=0.05)
    await client.close()


def free(server: SimexServer, coin: str) -> D:
    return server.engine.accounts[DEFAULT_API_KEY].balance(coin).free


def usdc_of(w3: Web3, devnet: dict[str, Any], holder: str) -> int:
    contract = w3.eth.contract(address=devnet["tokens"]["USDC"]["address"],
                               abi=devnet["abis"]["TestERC20"])
    balance: int = contract.functions.balanceOf(holder).call()
    return balance


async def test_terms_when_read_through_ccxt_then_decimals_from_the_venue_strings(
        rail: ExchangeRail) -> None:
    terms = await rail.client.terms()
    usdc = terms[("USDC", f"DEVNET{CHAIN}")]
    assert (usdc.withdraw_fee, usdc.withdraw_min, usdc.min_confirm) == (D(1), D(2), 3)
    assert usdc.withdraw_multiple == D("0.000001") and usdc.is_default
    assert terms[("WETH", f"DEVNET{CHAIN}")].withdraw_fee == D("0.0005")


async def test_withdrawal_rail_when_sent_then_tracked_to_completed_and_replay_is_one(
        rail: ExchangeRail, exchange_server: SimexServer, devnet: dict[str, Any],
        w3: Web3) -> None:
    recipient = w3.eth.accounts[4]
    quote = await rail.quote(RailDirection.WITHDRAWAL, CHAIN, "USDC", D("50"))
    assert (quote.amount, quote.fee, quote.received) == (D(50), D(1), D(49))
    assert quote.expected_seconds == 3 * 2 + 5 and quote.received_raw == 49_000_000
    before, held = free(exchange_server, "USDC"), usdc_of(w3, devnet, recipient)

    transfer = await rail.send(quote, DEFAULT_API_KEY, recipient, "leg-42")
    again = await rail.send(quote, DEFAULT_API_KEY, recipient, "leg-42")  # a lost answer
    assert again.venue_id == transfer.venue_id
    assert free(exchange_server, "USDC") == before - D(50)
    progress = await rail.track(transfer)
    while progress.status is RailStatus.PENDING:  # until the hot wallet's transfer is mined
        await asyncio.sleep(0.05)
        progress = await rail.track(transfer)
    assert progress.status is RailStatus.CONFIRMED and progress.tx_hash is not None
    assert usdc_of(w3, devnet, recipient) == held + 49_000_000  # on chain, not yet final
    rpc(w3, "anvil_mine", hex(2))
    done = await rail.finalize(transfer, timeout_s=20)
    assert done.status is RailStatus.COMPLETED and done.tx_hash is not None
    assert w3.eth.get_transaction_receipt(done.tx_hash)["status"] == 1
    assert usdc_of(w3, devnet, recipient) == held + 49_000_000


async def test_deposit_rail_when_sent_then_credited_after_min_confirm(
        rail: ExchangeRail, exchange_server: SimexServer, devnet: dict[str, Any],
        w3: Web3) -> None:
    quote = await rail.quote(RailDirection.DEPOSIT, CHAIN, "USDC", D("20.1234567"))
    assert (quote.amount, quote.fee, quote.gas) == (D("20.123456"), D(0), 65_000)
    before = free(exchange_server, "USDC")
    transfer = await rail.send(quote, devnet["deployer"], "", "leg-7")
    assert transfer.transfer_id == transfer.source_tx_hash
    progress = await rail.track(transfer)
    assert progress.status is RailStatus.PENDING and free(exchange_server, "USDC") == before
    rpc(w3, "anvil_mine", hex(2))
    done = await rail.finalize(transfer, timeout_s=20)
    assert (done.status, done.confirmations, done.required_confirmations) == (
        RailStatus.COMPLETED, 3, 3)
    assert free(exchange_server, "USDC") == before + D("20.123456")


async def test_rail_when_amount_or_route_is_not_served_then_typed_refusals(
        rail: ExchangeRail, w3: Web3) -> None:
    with pytest.raises(BelowRailMinimum, match="minimum 3"):  # withdrawMin 2 + fee 1
        await rail.quote(RailDirection.WITHDRAWAL, CHAIN, "USDC", D("2.5"))
    with pytest.raises(UnsupportedRail, match="chain 999"):
        await rail.quote(RailDirection.DEPOSIT, 999, "USDC", D(10))
    with pytest.raises(VenueRejected) as refused:
        await rail.client.withdraw("USDC", f"DEVNET{CHAIN}", w3.eth.accounts[3], D(2_000_000),
                                   "cb-too-much")
    assert refused.value.code == -4026
