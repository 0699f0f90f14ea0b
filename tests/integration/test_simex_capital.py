"""simex's deposits and withdrawals against a real devnet, through the real ccxt.binance.

Each test runs a simex with the session devnet's manifest (its hot wallet funded from the
deployer) inside an EVM snapshot that is reverted afterwards, so the shared devnet is left as
found. Blocks are mined by hand (anvil automines one block per transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal as D
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from web3 import Web3

from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, MakerConfig, SimexServer
from connectors.simex.capital_chain import SEED_ENV
from connectors.simex.config import CapitalConfig, SimexConfig

from devnet_actions import dev_key, rpc

pytestmark = pytest.mark.integration

NETWORK = "DEVNET31337"
SEED = bytes(range(1, 33))


def capital_config(**changes: Any) -> SimexConfig:
    capital = CapitalConfig(min_confirm=3, poll_interval_ms=50).model_copy(update=changes)
    return SimexConfig(makers=MakerConfig(enabled=False), capital=capital)


@pytest.fixture
async def exchange_server(devnet: dict[str, Any], w3: Web3, monkeypatch: pytest.MonkeyPatch,
                          request: pytest.FixtureRequest) -> AsyncIterator[SimexServer]:
    monkeypatch.setenv(SEED_ENV, SEED.hex())
    config = capital_config(**getattr(request, "param", {}))
    server = SimexServer(config, devnet_manifest=devnet)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def binance(exchange_server: SimexServer) -> AsyncIterator[Any]:
    client = ccxt_async.binance({"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET})
    client.urls["api"] = {**client.urls["api"], **exchange_server.ccxt_urls()}
    yield client
    await client.close()


def token(w3: Web3, devnet: dict[str, Any], symbol: str) -> Any:
    return w3.eth.contract(address=devnet["tokens"][symbol]["address"],
                           abi=devnet["abis"]["TestERC20"])


async def until(check: Callable[[], Awaitable[bool]], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def free(server: SimexServer, coin: str) -> D:
    return server.engine.accounts[DEFAULT_API_KEY].balance(coin).free


def mine(w3: Web3, blocks: int) -> None:
    rpc(w3, "anvil_mine", hex(blocks))


async def deposit_usdc(w3: Web3, devnet: dict[str, Any], address: str, raw: int) -> str:
    tx = token(w3, devnet, "USDC").functions.transfer(address, raw).transact(
        {"from": devnet["deployer"]})
    return "0x" + bytes(tx).hex()


async def test_currencies_and_fees_when_loaded_by_ccxt_then_each_network_has_its_terms(
        binance: Any, exchange_server: SimexServer) -> None:
    await binance.load_markets()
    usdc = binance.currency("USDC")
    network = usdc["networks"][NETWORK]
    assert (network["fee"], network["limits"]["withdraw"]["min"]) == (1.0, 2.0)
    assert network["info"]["minConfirm"] == 3 and network["deposit"] and network["withdraw"]
    fees = await binance.fetch_deposit_withdraw_fees(["USDC", "WETH"])
    assert fees["WETH"]["networks"][NETWORK]["withdraw"]["fee"] == 0.0005
    assert fees["USDC"]["withdraw"]["fee"] == 1.0  # the default network's


async def test_deposit_when_fewer_than_min_confirm_blocks_then_pending_then_credited(
        binance: Any, exchange_server: SimexServer, devnet: dict[str, Any], w3: Web3) -> None:
    address = await binance.fetch_deposit_address("USDC", {"network": NETWORK})
    assert address["network"] == NETWORK and address["tag"] is None
    again = await binance.fetch_deposit_address("USDC")  # the default network: same address
    assert again["address"] == address["address"]
    before = free(exchange_server, "USDC")
    tx_hash = await deposit_usdc(w3, devnet, address["address"], 1_234_567)

    async def seen(status: str, confirmations: str) -> bool:
        deposits = await binance.fetch_deposits("USDC")
        return bool(deposits) and (deposits[0]["status"], deposits[0]["info"]["confirmTimes"]) \
            == (status, confirmations)

    await until(lambda: seen("pending", "1/3"))
    mine(w3, 1)
    await until(lambda: seen("pending", "2/3"))
    assert free(exchange_server, "USDC") == before  # not before minConfirm
    mine(w3, 1)
    await until(lambda: seen("ok", "3/3"))
    assert free(exchange_server, "USDC") == before + D("1.234567")
    [deposit] = await binance.fetch_deposits("USDC")
    assert deposit["txid"] == tx_hash and deposit["amount"] == 1.234567
    assert deposit["address"] == address["address"] and deposit["network"] == NETWORK

    usdc = token(w3, devnet, "USDC")
    hot = exchange_server.capital.hot_wallets()[NETWORK]
    hot_before = usdc.functions.balanceOf(hot).call()

    async def swept() -> bool:
        return usdc.functions.balanceOf(address["address"]).call() == 0

    await until(swept)
    assert usdc.functions.balanceOf(hot).call() == hot_before + 1_234_567


async def test_withdraw_when_applied_then_tokens_sent_on_chain_and_history_has_the_tx(
        binance: Any, exchange_server: SimexServer, devnet: dict[str, Any], w3: Web3) -> None:
    recipient = w3.eth.accounts[7]
    usdc = token(w3, devnet, "USDC")
    received_before = usdc.functions.balanceOf(recipient).call()
    before = free(exchange_server, "USDC")
    result = await binance.withdraw("USDC", 25.5, recipient,
                                    {"network": NETWORK, "withdrawOrderId": "cb-w-1"})
    assert free(exchange_server, "USDC") == before - D("26.5")  # amount + the 1 USDC fee

    async def status_is(status: int) -> bool:
        [entry] = await binance.fetch_withdrawals("USDC")
        return bool(entry["info"]["status"] == status)

    await until(lambda: status_is(4))  # processing: sent, not yet minConfirm deep
    [sent] = await binance.fetch_withdrawals("USDC")
    assert sent["id"] == result["id"] and sent["status"] == "pending"
    receipt = w3.eth.get_transaction_receipt(sent["txid"])
    assert receipt["status"] == 1
    assert usdc.functions.balanceOf(recipient).call() == received_before + 25_500_000
    mine(w3, 2)
    await until(lambda: status_is(6))
    [done] = await binance.fetch_withdrawals("USDC")
    assert (done["status"], done["amount"], done["fee"]["cost"]) == ("ok", 25.5, 1.0)
    assert done["info"]["withdrawOrderId"] == "cb-w-1" and done["txid"] == sent["txid"]
    assert done["address"] == recipient and done["network"] == NETWORK


async def test_withdraw_when_withdraw_order_id_replayed_then_one_withdrawal_one_debit(
        binance: Any, exchange_server: SimexServer, devnet: dict[str, Any], w3: Web3) -> None:
    recipient = w3.eth.accounts[8]
    before = free(exchange_server, "USDC")
    params = {"network": NETWORK, "withdrawOrderId": "cb-replay"}
    first = await binance.withdraw("USDC", 10, recipient, params)
    second = await binance.withdraw("USDC", 10, recipient, params)
    assert first["id"] == second["id"]
    assert free(exchange_server, "USDC") == before - D(11)
    with pytest.raises(ccxt.BadRequest, match="-4001"):  # same id, another request
        await binance.withdraw("USDC", 12, recipient, params)
    mine(w3, 3)

    async def completed() -> bool:
        entries = await binance.fetch_withdrawals("USDC", params={"withdrawOrderId":
                                                                  "cb-replay"})
        return len(entries) == 1 and entries[0]["status"] == "ok"

    await until(completed)
    assert token(w3, devnet, "USDC").functions.balanceOf(recipient).call() == 10_000_000


async def test_withdraw_when_refused_then_binance_codes_and_nothing_debited(
        binance: Any, exchange_server: SimexServer, w3: Web3) -> None:
    recipient = w3.eth.accounts[9]
    before = free(exchange_server, "USDC")
    cases = [
        (ccxt.ExchangeError, "-4026", ("USDC", 5_000_000, recipient, {"network": NETWORK})),
        (ccxt.ExchangeError, "-4001", ("USDC", 10, recipient, {"network": "NOSUCHCHAIN"})),
        (ccxt.ExchangeError, "-4022", ("USDC", 1.5, recipient, {"network": NETWORK})),
        (ccxt.ExchangeError, "-4033", ("USDC", 10, "0x1234", {"network": NETWORK})),
    ]
    for error, code, args in cases:
        with pytest.raises(error, match=code):
            await binance.withdraw(*args)
    with pytest.raises(ccxt.ExchangeError, match="-4018"):
        await binance.sapiPostCapitalWithdrawApply({"coin": "DOGE", "address": recipient,
                                                    "amount": "10"})
    assert free(exchange_server, "USDC") == before
    assert await binance.fetch_withdrawals() == []


@pytest.mark.parametrize("exchange_server", [{"hot_wallet_float": {"USDC": D(5)}}],
                         indirect=True)
async def test_withdraw_when_hot_wallet_cannot_send_then_failure_and_refund(
        binance: Any, exchange_server: SimexServer, w3: Web3) -> None:
    before = free(exchange_server, "USDC")
    await binance.withdraw("USDC", 100, w3.eth.accounts[6], {"network": NETWORK})

    async def failed() -> bool:
        entries = await binance.fetch_withdrawals("USDC")
        return bool(entries) and entries[0]["info"]["status"] == 5

    await until(failed)
    [entry] = await binance.fetch_withdrawals("USDC")
    assert entry["status"] == "failed" and "revert" in entry["info"]["info"]
    assert free(exchange_server, "USDC") == before  # amount and fee refunded


async def test_deposit_when_its_block_is_reorged_away_then_never_credited(
        binance: Any, exchange_server: SimexServer, devnet: dict[str, Any], w3: Web3) -> None:
    address = (await binance.fetch_deposit_address("USDC", {"network": NETWORK}))["address"]
    before = free(exchange_server, "USDC")
    await deposit_usdc(w3, devnet, address, 7_000_000)

    async def pending() -> bool:
        return len(await binance.fetch_deposits("USDC")) == 1

    await until(pending)
    rpc(w3, "anvil_reorg", 1, [])  # the deposit's block is replaced by an empty one
    mine(w3, 5)

    async def forgotten() -> bool:
        return await binance.fetch_deposits("USDC") == []

    await until(forgotten)
    await asyncio.sleep(0.3)  # several watcher rounds at the new head
    assert await binance.fetch_deposits("USDC") == []
    assert free(exchange_server, "USDC") == before
    assert token(w3, devnet, "USDC").functions.balanceOf(address).call() == 0


async def test_custody_when_depositing_and_withdrawing_then_no_key_in_logs_or_answers(
        binance: Any, exchange_server: SimexServer, devnet: dict[str, Any], w3: Web3,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    address = (await binance.fetch_deposit_address("USDC"))["address"]
    await deposit_usdc(w3, devnet, address, 3_000_000)
    mine(w3, 3)
    await binance.withdraw("USDC", 5, w3.eth.accounts[5], {"network": NETWORK})
    answers = [await binance.sapiGetCapitalConfigGetall(),
               await binance.fetch_deposits(), await binance.fetch_withdrawals()]
    secrets_hex = [SEED.hex(), _derived(b"hot/31337").hex(),
                   _derived(b"deposit/" + DEFAULT_API_KEY.encode()).hex()]
    shown = caplog.text + repr(answers) + repr(exchange_server.capital.custodies) + repr(
        vars(exchange_server.capital.custodies[NETWORK]))
    for secret in secrets_hex:
        assert secret not in shown and secret.upper() not in shown


def _derived(label: bytes) -> bytes:
    """The custody key for `label` as simex derives it (keccak of seed + label)."""
    return keccak(SEED + label)


async def test_deposit_when_reorg_moves_it_to_a_later_block_then_credited_exactly_once(
        binance: Any, exchange_server: SimexServer, devnet: dict[str, Any], w3: Web3) -> None:
    address = (await binance.fetch_deposit_address("USDC", {"network": NETWORK}))["address"]
    before = free(exchange_server, "USDC")
    sender = Account.from_key(dev_key(0))
    assert sender.address == devnet["deployer"]
    call = token(w3, devnet, "USDC").functions.transfer(address, 4_000_000).build_transaction(
        {"from": sender.address, "nonce": w3.eth.get_transaction_count(sender.address),
         "gas": 100_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9,
         "chainId": devnet["chain_id"]})
    raw = sender.sign_transaction(call).raw_transaction
    tx_hash = w3.eth.send_raw_transaction(raw)
    first_block = w3.eth.get_transaction_receipt(tx_hash)["blockNumber"]

    async def pending_at(block: int) -> bool:
        deposits = await binance.fetch_deposits("USDC")
        # Between the reorg and the watcher's next pass the deposit may be briefly unknown.
        seen = exchange_server.capital.ledger.deposits.get(("0x" + bytes(tx_hash).hex(), 0))
        return len(deposits) == 1 and seen is not None and seen.block_number == block

    await until(lambda: pending_at(first_block))
    mine(w3, 1)  # 2 of 3 confirmations
    # Replace the last two blocks; the transfer lands in the second of the new ones.
    rpc(w3, "anvil_reorg", 2, [["0x" + bytes(raw).hex(), 1]])
    moved = w3.eth.get_transaction_receipt(tx_hash)["blockNumber"]
    assert moved == first_block + 1
    await until(lambda: pending_at(moved))
    mine(w3, 2)

    async def credited() -> bool:
        deposits = await binance.fetch_deposits("USDC")
        return len(deposits) == 1 and deposits[0]["status"] == "ok"

    await until(credited)
    await asyncio.sleep(0.3)
    assert len(await binance.fetch_deposits("USDC")) == 1
    assert free(exchange_server, "USDC") == before + 4


async def test_balance_stream_when_deposit_credited_and_withdrawal_applied_then_pushed(
        exchange_server: SimexServer, devnet: dict[str, Any], w3: Web3) -> None:
    user = ccxt_pro.binance({"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET})
    user.urls["api"] = {**user.urls["api"], **exchange_server.ccxt_urls()}
    balances: list[float] = []

    async def collect() -> None:
        while True:
            balances.append((await user.watch_balance())["USDC"]["free"])

    watcher = asyncio.create_task(collect())
    try:
        await user.load_markets()
        await asyncio.sleep(0.3)  # the user stream is up
        address = (await user.fetch_deposit_address("USDC"))["address"]
        await deposit_usdc(w3, devnet, address, 2_000_000)
        mine(w3, 2)

        async def pushed(value: float) -> bool:
            return bool(balances) and balances[-1] == value

        await until(lambda: pushed(1_000_002.0))
        await user.withdraw("USDC", 5, w3.eth.accounts[5], {"network": NETWORK})
        await until(lambda: pushed(1_000_002.0 - 6))
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await user.close()


async def test_deposit_when_account_was_added_after_start_then_its_address_is_watched(
        exchange_server: SimexServer, devnet: dict[str, Any], w3: Web3) -> None:
    exchange_server.engine.add_account("late-key", "late-secret", {})
    late = ccxt_async.binance({"apiKey": "late-key", "secret": "late-secret"})
    late.urls["api"] = {**late.urls["api"], **exchange_server.ccxt_urls()}
    try:
        address = (await late.fetch_deposit_address("USDC"))["address"]
        assert address != exchange_server.capital.deposit_address(DEFAULT_API_KEY, NETWORK)
        await deposit_usdc(w3, devnet, address, 1_500_000)
        mine(w3, 2)

        async def credited() -> bool:
            deposits = await late.fetch_deposits("USDC")
            return bool(deposits) and deposits[0]["status"] == "ok"

        await until(credited)
    finally:
        await late.close()
    late_usdc = exchange_server.engine.accounts["late-key"].balance("USDC").free
    assert late_usdc == D("1.5")
