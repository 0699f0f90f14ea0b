"""A Safe swap relayed through the transaction manager: its fills are booked when mined,
reversed when a reorg removes the block, booked again when it is re-mined, and final at depth."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from chain.txmanager import LocalKeyTxSigner, TxManager, TxManagerConfig, TxState
from chain.wallet import HopKind, Route, single_hop_legs, swap_calls
from chain.wallet.relay import FillBook, FillChange, relay
from connectors.amm.venue import amm_venues_from_manifest
from connectors.venue import Side

from devnet_actions import dev_key, rpc
from safe_desk import make_desk

pytestmark = pytest.mark.integration


def test_relayed_swap_when_reorged_then_fill_reversed_and_rebooked_then_final(
    w3: Web3, devnet: dict[str, Any], tmp_path: Path,
) -> None:
    desk = make_desk(w3, devnet)
    venue = amm_venues_from_manifest(w3, devnet).by_name("uniswap_v3:WETH/USDC:500")
    quote = venue.quote_now("WETH/USDC", Side.BUY, Decimal(10))
    weth, usdc = desk.token("WETH").address, desk.token("USDC").address
    route = Route(usdc, weth, single_hop_legs([(HopKind.UNISWAP_V3, venue.spec.address,
                                                10 * 10**18)], exact_input=False),
                  10 * 10**18, int(quote.quote_qty.scaleb(6)), 2**32 - 1)
    calls = swap_calls(w3, desk.executor, route)
    tx, signatures = desk.prepare(calls)
    relayer_key = dev_key(7)
    relayer = Web3.to_checksum_address(w3.eth.account.from_key(relayer_key).address)
    book = FillBook(w3, desk.executor)

    async def scenario() -> list[TxState]:
        config = TxManagerConfig(store_url=f"sqlite:///{tmp_path / 'txm.sqlite'}",
                                 confirmations=3, poll_interval_s=3600, stuck_after_s=3600)
        manager = TxManager(devnet["rpc_url"], [LocalKeyTxSigner(relayer_key)], config)
        await manager.open()
        manager.subscribe(book.on_event)
        try:
            tracked = await relay(manager, desk.wallet, tx, signatures, relayer, "leg-1")
            await manager.poll()
            assert tracked.record.state is TxState.MINED
            first_block = tracked.record.block_number
            rpc(w3, "anvil_reorg", 1, [])  # the block with our swap is replaced
            await manager.poll()
            assert tracked.record.state is TxState.SENT and book.fills() == []
            await manager.poll()  # re-broadcast; automine includes it again
            await manager.poll()
            assert tracked.record.state is TxState.MINED
            assert tracked.record.block_number is not None and first_block is not None
            rpc(w3, "evm_mine")
            rpc(w3, "evm_mine")
            await manager.poll()
            return [e.state for e in manager.history("leg-1")]
        finally:
            await manager.close()

    states = asyncio.run(scenario())
    assert states[-1] is TxState.FINAL
    changes = [c.change for c in book.changes]
    assert changes == [FillChange.BOOKED, FillChange.REVERSED, FillChange.BOOKED,
                       FillChange.FINAL]
    booked = [c.fills for c in book.changes if c.change is FillChange.BOOKED]
    assert [(f.amount_in, f.amount_out) for f in booked[0]] == [
        (f.amount_in, f.amount_out) for f in booked[1]] == [
        (int(quote.quote_qty.scaleb(6)), 10 * 10**18)]
    assert booked[0][0].block != booked[1][0].block
    assert desk.token("WETH").functions.balanceOf(desk.wallet.address).call() == 10 * 10**18
