"""On-chain execution on the devnet: a Safe with our guard, signed 2-of-3, swapping through our
SwapExecutor across a V2 pair and two V3 pools; the guard's refusals; min-out failures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3
from web3.exceptions import ContractLogicError

from chain.wallet import (
    DELEGATECALL,
    Call,
    HopKind,
    Route,
    SafeTx,
    WalletError,
    change_calls,
    fills_from_receipt,
    guard_contract,
    remove_guard_call,
    selector,
    single_hop_legs,
    swap_calls,
)
from connectors.amm.venue import AmmVenues, amm_venues_from_manifest
from connectors.venue import QtyBasis, Side

from devnet_actions import rpc
from safe_desk import (
    DELAY_S,
    TX_CAP,
    USDC,
    Desk,
    approve_call,
    make_desk,
    transfer_call,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def desk(w3: Web3, devnet: dict[str, Any]) -> Desk:
    return make_desk(w3, devnet)


@pytest.fixture
def venues(w3: Web3, devnet: dict[str, Any]) -> AmmVenues:
    return amm_venues_from_manifest(w3, devnet)


def test_buy_across_v2_and_two_v3_pools_when_signed_2_of_3_then_fills_equal_quotes_and_events(
    desk: Desk, venues: AmmVenues,
) -> None:
    sizes = {"uniswap_v2:WETH/USDC": Decimal(10), "uniswap_v3:WETH/USDC:500": Decimal(30),
             "uniswap_v3:WETH/USDC:3000": Decimal(20)}
    quotes = {name: venues.by_name(name).quote_now("WETH/USDC", Side.BUY, qty)
              for name, qty in sizes.items()}
    legs = single_hop_legs([
        (HopKind.UNISWAP_V2 if name.startswith("uniswap_v2") else HopKind.UNISWAP_V3,
         venues.by_name(name).spec.address, int(qty.scaleb(18)))
        for name, qty in sizes.items()], exact_input=False)
    spend = sum(int(q.quote_qty.scaleb(6)) for q in quotes.values())
    weth, usdc = desk.token("WETH"), desk.token("USDC")
    route = Route(usdc.address, weth.address, legs, min_amount_out=60 * 10**18,
                  max_amount_in=spend, deadline=2**32 - 1)
    usdc_before = usdc.functions.balanceOf(desk.wallet.address).call()
    receipt = desk.run(swap_calls(desk.w3, desk.executor, route))
    fills = fills_from_receipt(desk.w3, desk.executor, receipt)
    by_pool = {fill.pool: fill for fill in fills}
    assert len(fills) == 3 and receipt["status"] == 1
    for name, quote in quotes.items():
        fill = by_pool[venues.by_name(name).spec.address]
        assert fill.amount_out == int(sizes[name].scaleb(18))
        assert fill.amount_in == int(quote.quote_qty.scaleb(6))  # to the unit
        assert (fill.token_in, fill.token_out) == (usdc.address, weth.address)
    assert weth.functions.balanceOf(desk.wallet.address).call() == 60 * 10**18
    assert usdc_before - usdc.functions.balanceOf(desk.wallet.address).call() == spend
    # The batch left no allowance behind.
    assert usdc.functions.allowance(desk.wallet.address, desk.executor).call() == 0


def test_route_when_min_out_not_met_then_reverts_with_nothing_moved(
    desk: Desk, venues: AmmVenues,
) -> None:
    venue = venues.by_name("uniswap_v3:WETH/USDC:500")
    quote = venue.quote_now("WETH/USDC", Side.BUY, Decimal(50_000), QtyBasis.QUOTE)
    weth, usdc = desk.token("WETH"), desk.token("USDC")
    legs = single_hop_legs([(HopKind.UNISWAP_V3, venue.spec.address, 50_000 * USDC)], True)
    route = Route(usdc.address, weth.address, legs,
                  min_amount_out=int(quote.base_qty.scaleb(18)) + 1,
                  max_amount_in=50_000 * USDC, deadline=2**32 - 1)
    balances = (usdc.functions.balanceOf(desk.wallet.address).call(),
                weth.functions.balanceOf(desk.wallet.address).call())
    nonce = desk.wallet.nonce()
    with pytest.raises((WalletError, ContractLogicError)):
        desk.run(swap_calls(desk.w3, desk.executor, route))
    assert (usdc.functions.balanceOf(desk.wallet.address).call(),
            weth.functions.balanceOf(desk.wallet.address).call()) == balances
    assert desk.wallet.nonce() == nonce
    # One unit less and it goes through, paying exactly the quote.
    exact = Route(usdc.address, weth.address, legs, int(quote.base_qty.scaleb(18)),
                  50_000 * USDC, 2**32 - 1)
    receipt = desk.run(swap_calls(desk.w3, desk.executor, exact))
    assert fills_from_receipt(desk.w3, desk.executor, receipt)[0].amount_out == int(
        quote.base_qty.scaleb(18))


def test_guard_when_target_not_allowlisted_then_call_not_allowed(desk: Desk) -> None:
    quoter = Web3.to_checksum_address(desk.devnet["uniswap_v3"]["quoter_v2"])
    assert desk.refusal([Call(to=quoter, data=selector("factory()"))]) == "CallNotAllowed"


def test_guard_when_transfer_to_foreign_recipient_then_recipient_not_allowed(desk: Desk) -> None:
    foreign = Web3.to_checksum_address("0x" + "42" * 20)
    assert desk.refusal([transfer_call(desk, "USDC", foreign, USDC)]) == "RecipientNotAllowed"
    assert desk.refusal([Call(to=foreign, data=b"", value=1)]) == "RecipientNotAllowed"


def test_guard_when_recipient_sanctioned_on_the_oracle_then_refused_even_if_allowlisted(
    desk: Desk,
) -> None:
    """The engine's screening can be bypassed; the guard reads the same on-chain oracle."""
    partner = Web3.to_checksum_address("0x" + "45" * 20)
    schedule, apply, _ = change_calls(desk.w3, desk.guard, "setRecipientAllowed", partner, True)
    desk.run([schedule])
    rpc(desk.w3, "evm_increaseTime", DELAY_S)
    rpc(desk.w3, "evm_mine")
    desk.run([apply])
    desk.run([transfer_call(desk, "USDC", partner, USDC)])  # allowlisted and clean: it pays
    oracle = desk.w3.eth.contract(address=desk.devnet["sanctions_oracle"],
                                  abi=desk.devnet["abis"]["SanctionsOracle"])
    oracle.functions.addToSanctionsList([partner]).transact({"from": desk.w3.eth.accounts[0]})
    assert desk.refusal([transfer_call(desk, "USDC", partner, USDC)]) == "Sanctioned"
    assert desk.refusal([Call(to=partner, data=b"", value=1)]) == "Sanctioned"


def test_guard_when_approving_unknown_spender_then_spender_not_allowed(desk: Desk) -> None:
    stranger = Web3.to_checksum_address("0x" + "43" * 20)
    assert desk.refusal([approve_call(desk, "USDC", stranger, USDC)]) == "SpenderNotAllowed"


def test_guard_when_delegatecall_to_anything_but_multisend_then_refused(desk: Desk) -> None:
    tx = SafeTx(to=desk.executor, value=0, data=b"", operation=DELEGATECALL,
                nonce=desk.wallet.nonce())
    assert desk.refusal([], tx=tx) == "DelegateCallNotAllowed"


def test_guard_when_one_call_of_a_batch_is_bad_then_whole_batch_refused(desk: Desk) -> None:
    foreign = Web3.to_checksum_address("0x" + "44" * 20)
    calls = [approve_call(desk, "USDC", desk.executor, USDC),
             transfer_call(desk, "USDC", foreign, 1)]
    assert desk.refusal(calls) == "RecipientNotAllowed"


def test_guard_when_caps_breached_per_tx_or_per_day_then_cap_exceeded(desk: Desk) -> None:
    over = [approve_call(desk, "USDC", desk.executor, TX_CAP + 1)]
    assert desk.refusal(over) == "CapExceeded"
    # Two approvals in one transaction add up.
    split = [approve_call(desk, "USDC", desk.executor, TX_CAP // 2 + 1)] * 2
    assert desk.refusal(split) == "CapExceeded"
    desk.run([transfer_call(desk, "USDC", desk.wallet.address, 900_000 * USDC)])
    again = [transfer_call(desk, "USDC", desk.wallet.address, 700_000 * USDC)]
    assert desk.refusal(again) == "CapExceeded"  # 1.6M today > 1.5M


def test_guard_change_when_applied_before_delay_then_fails_and_after_delay_takes_effect(
    desk: Desk,
) -> None:
    usdc = desk.token("USDC").address
    schedule, apply, _ = change_calls(desk.w3, desk.guard, "setCaps", usdc, 10 * USDC, 0)
    desk.run([schedule])
    with pytest.raises((WalletError, ContractLogicError)):
        desk.run([apply])
    guard = guard_contract(desk.w3, desk.guard)
    assert guard.functions.perTxCap(desk.wallet.address, usdc).call() == TX_CAP
    rpc(desk.w3, "evm_increaseTime", DELAY_S)
    rpc(desk.w3, "evm_mine")
    desk.run([apply])
    assert guard.functions.perTxCap(desk.wallet.address, usdc).call() == 10 * USDC
    assert desk.refusal([approve_call(desk, "USDC", desk.executor, 11 * USDC)]) == "CapExceeded"


def test_guard_way_out_when_removal_scheduled_and_matured_then_safe_removes_the_guard(
    desk: Desk,
) -> None:
    remove = remove_guard_call(desk.w3, desk.wallet.address)
    assert desk.refusal([remove]) == "SafeCallNotAllowed"
    schedule, apply, _ = change_calls(desk.w3, desk.guard, "allowGuardRemoval")
    desk.run([schedule])
    rpc(desk.w3, "evm_increaseTime", DELAY_S)
    rpc(desk.w3, "evm_mine")
    desk.run([apply])
    desk.run([remove])
    slot = desk.w3.eth.get_storage_at(desk.wallet.address,
                                      Web3.keccak(text="guard_manager.guard.address"))
    assert int.from_bytes(slot, "big") == 0


def test_wallet_when_fewer_signers_than_threshold_then_refused_before_sending(desk: Desk) -> None:
    calls = [approve_call(desk, "USDC", desk.executor, USDC)]
    with pytest.raises(WalletError, match="1 signatures for a threshold of 2"):
        desk.prepare(calls, signers=desk.signers[:1])
