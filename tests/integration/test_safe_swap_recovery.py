"""A Safe swap whose sender died at each point of its way out, read back by a fresh process
(a new SafeSwapSender and venue over the same ledger and transaction-manager store): decided by
the Safe nonce and the transaction hash, never sent twice, sent again only if it never left.

The "dead" process is played by doing the first steps of `place` by hand (prepare the attempt,
sign, relay) and stopping there, as a SIGKILL would; the crash test kills a real engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.wallet import relay
from connectors.amm.execution import SafeSwapVenue
from connectors.amm.swap_ledger import AttemptState
from connectors.amm.venue import amm_venues_from_manifest
from connectors.orders import OrderKind, OrderRequest, VenueOrderStatus
from connectors.venue import Side

from oms_support import safe_sender
from safe_desk import Desk, make_desk

pytestmark = pytest.mark.integration

POOL = "uniswap_v3:WETH/USDC:500"
EXECUTION_SUCCESS = Web3.keccak(text="ExecutionSuccess(bytes32,uint256)")
Fresh = Callable[[], Awaitable[SafeSwapVenue]]


def _order(coid: str) -> OrderRequest:
    return OrderRequest(coid, "WETH/USDC", Side.BUY, OrderKind.MARKET, Decimal(2))


@pytest.fixture
def desk(w3: Web3, devnet: dict[str, Any]) -> Desk:
    return make_desk(w3, devnet)


@pytest.fixture
async def fresh(w3: Web3, devnet: dict[str, Any], desk: Desk,
                tmp_path: Path) -> AsyncIterator[Fresh]:
    """Start a new process's venue over the same stores (the previous one is abandoned, as a
    killed process leaves it: its transaction manager is closed, nothing else is done)."""
    started: list[SafeSwapVenue] = []

    async def start() -> SafeSwapVenue:
        if started:
            await started[-1].sender.close()
        sender = safe_sender(desk, tmp_path, mined_timeout_s=5.0)
        await sender.start()
        amm = amm_venues_from_manifest(w3, devnet)
        started.append(SafeSwapVenue(amm.by_name(POOL), amm, sender))
        return started[-1]

    yield start
    await started[-1].sender.close()
    w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def _executions(w3: Web3, desk: Desk, from_block: int) -> int:
    return len(w3.eth.get_logs({"address": desk.wallet.address, "fromBlock": from_block,
                                "toBlock": "latest", "topics": [EXECUTION_SUCCESS]}))


async def _sign_and_relay(venue: SafeSwapVenue, coid: str) -> str:
    """Prepare, sign and relay an order, then stop as a killed process would: its tx id."""
    prepared = await venue._prepare(_order(coid), 1)
    assert isinstance(prepared, tuple), prepared
    attempt, tx = prepared
    wallet = venue.sender.wallet
    signatures = await wallet.collect(wallet.request(tx), venue.sender.signers)
    await relay(venue.sender.manager, wallet, tx, signatures, venue.sender.relayer,
                attempt.tx_id)
    return attempt.tx_id


async def test_query_when_prepared_but_never_signed_then_none_and_sent_again_once(
    w3: Web3, desk: Desk, fresh: Fresh,
) -> None:
    start_block = w3.eth.block_number
    dead = await fresh()
    assert isinstance(await dead._prepare(_order("never-signed"), 1), tuple)
    venue = await fresh()
    assert await venue.query("never-signed", "WETH/USDC") is None  # provably never left
    report = await venue.place(_order("never-signed"))
    assert report.status is VenueOrderStatus.FILLED and report.filled_qty == 2
    attempts = venue.sender.ledger.attempts(venue=POOL)
    assert [(a.attempt, a.state) for a in attempts] == [
        (1, AttemptState.NEVER_SENT), (2, AttemptState.FILLED)]
    assert _executions(w3, desk, start_block) == 1


async def test_query_when_mined_but_never_booked_then_filled_from_the_receipt_once(
    w3: Web3, desk: Desk, fresh: Fresh,
) -> None:
    start_block = w3.eth.block_number
    nonce = desk.wallet.nonce()
    await _sign_and_relay(await fresh(), "mined-unbooked")  # automine: in a block at once
    venue = await fresh()
    received: list[Any] = []
    venue.on_fill = received.append
    assert await venue.poll_fills() == 1  # the fill the dead process never delivered
    report = await venue.query("mined-unbooked", "WETH/USDC")
    assert report is not None and report.status is VenueOrderStatus.FILLED
    assert report.venue_order_id is not None and received[0].trade_id.startswith(
        report.venue_order_id)
    assert await venue.place(_order("mined-unbooked")) == report  # never a second swap
    assert await venue.poll_fills() == 0 and len(received) == 1
    assert desk.wallet.nonce() == nonce + 1 and _executions(w3, desk, start_block) == 1


async def test_query_when_sent_and_not_mined_then_unknown_until_its_block_then_filled(
    w3: Web3, desk: Desk, fresh: Fresh,
) -> None:
    start_block = w3.eth.block_number
    nonce = desk.wallet.nonce()
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    await _sign_and_relay(await fresh(), "in-the-pool")
    venue = await fresh()
    report = await venue.query("in-the-pool", "WETH/USDC")
    assert report is not None and report.status is VenueOrderStatus.UNKNOWN
    placed = await venue.place(_order("in-the-pool"))
    assert placed.status is VenueOrderStatus.UNKNOWN  # in flight: not sent again
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    async with asyncio.timeout(10):
        while (report := await venue.query("in-the-pool", "WETH/USDC")) is not None \
                and report.status is VenueOrderStatus.UNKNOWN:
            await asyncio.sleep(0.05)
    assert report is not None and report.status is VenueOrderStatus.FILLED
    assert desk.wallet.nonce() == nonce + 1 and _executions(w3, desk, start_block) == 1
    assert [a.attempt for a in venue.sender.ledger.attempts(venue=POOL)] == [1]


async def test_query_when_its_safe_nonce_went_to_another_order_then_rejected_for_good(
    w3: Web3, desk: Desk, fresh: Fresh,
) -> None:
    start_block = w3.eth.block_number
    dead = await fresh()
    prepared = await dead._prepare(_order("superseded"), 1)
    assert isinstance(prepared, tuple)
    venue = await fresh()
    other = await venue.place(_order("took-the-nonce"))  # built at the same Safe nonce
    assert other.status is VenueOrderStatus.FILLED
    report = await venue.query("superseded", "WETH/USDC")
    assert report is not None and report.status is VenueOrderStatus.REJECTED
    assert f"Safe nonce {prepared[0].safe_nonce}" in report.reason
    assert await venue.place(_order("superseded")) == report  # never sent at all
    assert _executions(w3, desk, start_block) == 1
