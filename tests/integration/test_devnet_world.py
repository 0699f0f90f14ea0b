"""The deployed world behaves as the real protocols do: Uniswap V2/V3 swaps and quotes, Safe.

Every contract here is the npm bytecode of Uniswap or Safe, running on a real anvil; the only
code of ours under test is the deployment and the manifest that points at it.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from chain.uniswap import get_amount_out

pytestmark = pytest.mark.integration

_ZERO = "0x0000000000000000000000000000000000000000"


def _contract(w3: Web3, manifest: dict[str, Any], address: str, abi_name: str) -> Contract:
    return w3.eth.contract(address=address, abi=manifest["abis"][abi_name])


def _token(w3: Web3, manifest: dict[str, Any], symbol: str) -> Contract:
    return _contract(w3, manifest, manifest["tokens"][symbol]["address"], "TestERC20")


def _send(w3: Web3, call: Any, sender: str) -> None:
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
    assert receipt["status"] == 1


def test_v3_swap_when_quoted_by_quoter_v2_then_pool_pays_the_quote_and_price_moves(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    trader = w3.eth.accounts[0]
    weth, usdc = _token(w3, devnet, "WETH"), _token(w3, devnet, "USDC")
    pool_entry = devnet["uniswap_v3"]["pools"]["WETH/USDC/500"]
    pool = _contract(w3, devnet, pool_entry["address"], "UniswapV3Pool")
    quoter = _contract(w3, devnet, devnet["uniswap_v3"]["quoter_v2"], "QuoterV2")
    router = _contract(w3, devnet, devnet["uniswap_v3"]["swap_router"], "SwapRouter")
    amount_in = 150 * 10**18  # enough to leave the tightest range and cross initialized ticks
    sqrt_before, tick_before, *_ = pool.functions.slot0().call()

    amount_out, sqrt_after_quoted, ticks_crossed, _ = quoter.functions.quoteExactInputSingle(
        (weth.address, usdc.address, amount_in, 500, 0)
    ).call()
    usdc_before = usdc.functions.balanceOf(trader).call()
    _send(w3, weth.functions.approve(router.address, amount_in), trader)
    _send(w3, router.functions.exactInputSingle(
        (weth.address, usdc.address, 500, trader, 2**32 - 1, amount_in, amount_out, 0)
    ), trader)

    sqrt_after, tick_after, *_ = pool.functions.slot0().call()
    assert usdc.functions.balanceOf(trader).call() - usdc_before == amount_out
    assert sqrt_after == sqrt_after_quoted
    assert ticks_crossed >= 1
    # Selling WETH makes WETH cheaper: the token1/token0 price moves away from WETH's side.
    weth_is_token0 = pool_entry["token0"] == weth.address
    assert (sqrt_after < sqrt_before) == weth_is_token0
    assert tick_after != tick_before


def test_v2_pair_swap_when_asking_get_amount_out_then_pays_it_and_refuses_one_wei_more(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    trader = w3.eth.accounts[0]
    weth, usdc = _token(w3, devnet, "WETH"), _token(w3, devnet, "USDC")
    pair_entry = devnet["uniswap_v2"]["pairs"]["WETH/USDC"]
    pair = _contract(w3, devnet, pair_entry["address"], "UniswapV2Pair")
    reserve0, reserve1, _ = pair.functions.getReserves().call()
    weth_is_token0 = pair_entry["token0"] == weth.address
    reserve_in, reserve_out = (reserve0, reserve1) if weth_is_token0 else (reserve1, reserve0)
    amount_in = 5 * 10**18
    expected = get_amount_out(amount_in, reserve_in, reserve_out)

    _send(w3, weth.functions.transfer(pair.address, amount_in), trader)
    too_much = (0, expected + 1) if weth_is_token0 else (expected + 1, 0)
    with pytest.raises(ContractLogicError, match="UniswapV2: K"):
        pair.functions.swap(*too_much, trader, b"").call({"from": trader})
    usdc_before = usdc.functions.balanceOf(trader).call()
    exact = (0, expected) if weth_is_token0 else (expected, 0)
    _send(w3, pair.functions.swap(*exact, trader, b""), trader)

    assert usdc.functions.balanceOf(trader).call() - usdc_before == expected


def _deploy_safe(w3: Web3, devnet: dict[str, Any], owners: list[str], threshold: int) -> Contract:
    safe_entry = devnet["safe"]
    singleton = _contract(w3, devnet, safe_entry["singleton"], "Safe")
    factory = _contract(w3, devnet, safe_entry["proxy_factory"], "SafeProxyFactory")
    initializer = singleton.encode_abi("setup", args=[
        owners, threshold, _ZERO, b"", safe_entry["fallback_handler"], _ZERO, 0, _ZERO,
    ])
    tx_hash = factory.functions.createProxyWithNonce(
        singleton.address, initializer, 7
    ).transact({"from": w3.eth.accounts[0]})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    # The receipt also holds the new Safe's own SafeSetup log, which this ABI does not decode.
    (creation,) = factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)
    return _contract(w3, devnet, creation["args"]["proxy"], "Safe")


def _safe_tx_typed_data(safe: Contract, chain_id: int, tx: dict[str, Any]) -> dict[str, Any]:
    """EIP-712 typed data of a SafeTx, as Safe 1.4.1 defines its domain and type."""
    fields = [("to", "address"), ("value", "uint256"), ("data", "bytes"),
              ("operation", "uint8"), ("safeTxGas", "uint256"), ("baseGas", "uint256"),
              ("gasPrice", "uint256"), ("gasToken", "address"), ("refundReceiver", "address"),
              ("nonce", "uint256")]
    return {
        "types": {
            "EIP712Domain": [{"name": "chainId", "type": "uint256"},
                             {"name": "verifyingContract", "type": "address"}],
            "SafeTx": [{"name": name, "type": kind} for name, kind in fields],
        },
        "primaryType": "SafeTx",
        "domain": {"chainId": chain_id, "verifyingContract": safe.address},
        "message": tx,
    }


def test_safe_2_of_3_when_two_owners_sign_then_transfer_executes_and_one_signature_is_refused(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    # Owner keys are made for this test from fixed seeds; they hold nothing anywhere else.
    owners = sorted(
        (Account.from_key(Web3.keccak(text=f"crossbook test owner {i}")) for i in range(3)),
        key=lambda account: int(account.address, 16),
    )
    safe = _deploy_safe(w3, devnet, [owner.address for owner in owners], threshold=2)
    usdc = _token(w3, devnet, "USDC")
    recipient = w3.eth.accounts[5]
    _send(w3, usdc.functions.transfer(safe.address, 1_000 * 10**6), w3.eth.accounts[0])
    tx = {
        "to": usdc.address, "value": 0,
        "data": bytes.fromhex(usdc.encode_abi("transfer", args=[recipient, 250 * 10**6])[2:]),
        "operation": 0, "safeTxGas": 0, "baseGas": 0, "gasPrice": 0,
        "gasToken": _ZERO, "refundReceiver": _ZERO, "nonce": safe.functions.nonce().call(),
    }
    signable = encode_typed_data(full_message=_safe_tx_typed_data(safe, w3.eth.chain_id, tx))
    safe_tx_hash = safe.functions.getTransactionHash(*tx.values()).call()
    assert Web3.keccak(b"\x19" + signable.version + signable.header + signable.body) == safe_tx_hash
    # Safe wants signatures sorted by owner address, each r || s || v.
    signatures = [owner.unsafe_sign_hash(safe_tx_hash).signature for owner in owners[:2]]
    exec_args = [*list(tx.values())[:-1]]

    with pytest.raises(ContractLogicError, match="GS020"):  # fewer signatures than threshold
        safe.functions.execTransaction(*exec_args, signatures[0]).call()
    before = usdc.functions.balanceOf(recipient).call()
    _send(w3, safe.functions.execTransaction(*exec_args, b"".join(signatures)),
          w3.eth.accounts[0])

    assert usdc.functions.balanceOf(recipient).call() - before == 250 * 10**6
    assert safe.functions.getThreshold().call() == 2
    assert safe.functions.nonce().call() == tx["nonce"] + 1
