"""The engine refuses a leg that touches a sanctioned address before anything is signed, and a
list update mid-run takes effect on the next leg: the OMS over a pool traded through the
desk's guarded Safe (the guard's own on-chain refusal is tested in test_safe_execution)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from connectors.amm.execution import SafeSwapVenue
from connectors.amm.venue import amm_venues_from_manifest
from engine.api import build_engine, risk_gate, use_gate
from engine.journal import Journal, JournalConfig
from engine.model import DenialReason, OrderStatus, Side
from engine.oms import ChildSpec
from risk.compliance import AddressRole, ListEffect, ListStore

from oms_support import safe_sender
from safe_desk import make_desk

pytestmark = pytest.mark.integration


async def test_engine_when_a_leg_touches_a_sanctioned_address_then_denied_before_signing(
    w3: Web3, devnet: dict[str, Any], tmp_path: Path,
) -> None:
    desk = make_desk(w3, devnet)
    amm = amm_venues_from_manifest(w3, devnet)
    pool = amm.by_name("uniswap_v3:WETH/USDC:500")
    sender = safe_sender(desk, tmp_path)
    await sender.start()
    venue = SafeSwapVenue(pool, amm, sender)
    journal = Journal(JournalConfig(url=f"sqlite:///{tmp_path / 'journal.sqlite'}"))
    engine = build_engine(journal, [venue], [venue])
    lists = f"sqlite:///{tmp_path / 'lists.sqlite'}"
    store = ListStore(lists)
    store.load_addresses("sanctions", ListEffect.SANCTIONS,
                         ["0x000000000000000000000000000000000000dEaD"])
    touched = {venue.name: [(pool.spec.address, AddressRole.POOL),
                            (pool.spec.base.address, AddressRole.TOKEN),
                            (pool.spec.quote.address, AddressRole.TOKEN),
                            (desk.executor, AddressRole.EXECUTOR),
                            (desk.wallet.address, AddressRole.RECIPIENT)]}
    use_gate(engine, risk_gate([venue], "desk", "test", lists, touched, audit=journal))
    await engine.start()
    try:
        spec = ChildSpec(venue.name, "WETH/USDC", Side.BUY, Decimal(2),
                         expected_price=Decimal(3003))
        (clean,) = await engine.oms.submit([spec], "p-clean")
        assert clean.status is OrderStatus.FILLED
        # The list changes mid-run: the pool itself is now sanctioned.
        store.load_addresses("sanctions", ListEffect.SANCTIONS,
                             ["0x000000000000000000000000000000000000dEaD", pool.spec.address])
        nonce = desk.wallet.nonce()
        (refused,) = await engine.oms.submit([spec], "p-refused")
        assert refused.status is OrderStatus.DENIED
        denials = [e for _, e in journal.events() if e.client_order_id ==
                   refused.client_order_id and e.kind == "denied"]
        assert [d.reason_code for d in denials] == [  # type: ignore[attr-defined]
            DenialReason.SANCTIONED_ADDRESS]
        assert journal.audit_records("compliance.screening")  # every screening on record
        assert desk.wallet.nonce() == nonce  # nothing signed, nothing sent
        assert len(venue.fills) == 1
    finally:
        await engine.close()
        await sender.close()
