"""The transaction manager against a real anvil: send, simulate, replace, drop, heal, reorg.

Blocks are mined by hand (`evm_setAutomine` off, `evm_mine`) and the tracker is driven with
`poll()`, so every test runs in seconds. Senders are anvil's funded dev accounts, whose keys are
public (derived from anvil's published test mnemonic); they never appear in logs.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_typing import ChecksumAddress
from web3 import Web3

from chain.devnet import AnvilOptions, running_devnet
from chain.errors import RpcUnreachable
from chain.txmanager import (
    FeeCapReached,
    JsonRpc,
    LocalKeyTxSigner,
    RevertKind,
    SimulationReverted,
    TxEvent,
    TxManager,
    TxManagerConfig,
    TxOutcome,
    TxPurpose,
    TxRequest,
    TxState,
    VersionKind,
)

pytestmark = pytest.mark.integration

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
ROOT = Path(__file__).resolve().parents[2]


def dev_key(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return "0x" + bytes(account.key).hex()


class Chain:
    """Test-side control of anvil (mining, base fee, pool) through the snapshot-reverted w3."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def rpc(self, method: str, params: list[Any]) -> Any:
        answer = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        assert "error" not in answer, answer
        return answer.get("result")

    def automine(self, on: bool) -> None:
        self.rpc("evm_setAutomine", [on])

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self.rpc("evm_mine", [])

    def set_next_base_fee(self, wei: int) -> int:
        self.rpc("anvil_setNextBlockBaseFeePerGas", [hex(wei)])
        return wei

    def receipt(self, tx_hash: str) -> Any:
        return self.rpc("eth_getTransactionReceipt", [tx_hash])

    def nonce(self, address: str) -> int:
        return self.w3.eth.get_transaction_count(address)  # type: ignore[arg-type]


@pytest.fixture
def chain(w3: Web3) -> Iterator[Chain]:
    control = Chain(w3)
    yield control
    control.automine(True)  # evm_revert restores state, not the mining mode


@pytest.fixture
def sender_key() -> str:
    return dev_key(5)


@pytest.fixture
def recipient() -> ChecksumAddress:
    return Account.from_key(dev_key(6)).address


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'txm.sqlite'}"


Factory = Callable[..., Any]


@pytest.fixture
async def managers(
    devnet: dict[str, Any], store_url: str, sender_key: str
) -> AsyncIterator[Factory]:
    """Build opened managers over the test's store; all are closed at the end."""
    opened: list[TxManager] = []

    async def build(signer: Any = None, **config: Any) -> TxManager:
        settings = {"store_url": store_url, "confirmations": 3, "stuck_after_s": 3600,
                    "poll_interval_s": 3600, **config}
        manager = TxManager(devnet["rpc_url"], [signer or LocalKeyTxSigner(sender_key)],
                            TxManagerConfig(**settings))
        opened.append(manager)
        await manager.open()
        return manager

    yield build
    for manager in opened:
        await manager.close()


def transfer(sender_key: str, to: str, value_wei: int = 1) -> TxRequest:
    return TxRequest(sender=Account.from_key(sender_key).address, to=Web3.to_checksum_address(to),
                     value_wei=value_wei)


async def test_submit_when_call_succeeds_then_mined_then_final_at_depth(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager = await managers()
    seen: list[TxEvent] = []
    manager.subscribe(seen.append)
    before = chain.w3.eth.get_balance(recipient)

    tracked = await manager.submit(transfer(sender_key, recipient, 12345))
    await manager.poll()
    assert tracked.record.state is TxState.MINED
    chain.mine(1)
    await manager.poll()
    assert tracked.record.state is TxState.MINED  # 2 confirmations of 3
    chain.mine(1)
    await manager.poll()

    record = await tracked.wait(TxState.FINAL, timeout_s=5)
    assert record.settled
    assert chain.w3.eth.get_balance(recipient) - before == 12345
    states = [e.state for e in seen]
    assert states == [TxState.CREATED, TxState.SIGNED, TxState.SENT, TxState.MINED,
                      TxState.FINAL]
    assert [e.state for e in manager.history(tracked.tx_id)] == states
    assert seen[-1].tx_hash == record.mined_hash == record.versions[0].tx_hash


async def test_submit_when_simulation_reverts_with_custom_error_then_nothing_is_sent(
    managers: Factory, chain: Chain, devnet: dict[str, Any], sender_key: str
) -> None:
    manager = await managers()
    usdc = chain.w3.eth.contract(address=devnet["tokens"]["USDC"]["address"],
                                 abi=devnet["abis"]["TestERC20"])
    sender = Account.from_key(sender_key).address
    data = bytes.fromhex(usdc.encode_abi("mint", [sender, 0])[2:])
    nonce_before = chain.nonce(sender)

    with pytest.raises(SimulationReverted) as refused:
        await manager.submit(TxRequest(sender=sender, to=usdc.address, data=data),
                             errors_abi=devnet["abis"]["TestERC20"])

    reason = refused.value.reason
    assert reason.kind is RevertKind.CUSTOM
    # mint is owner-only: OpenZeppelin's Ownable refuses with its custom error.
    assert reason.name == "OwnableUnauthorizedAccount"
    assert reason.selector == "0x118cdaa7"  # keccak256("OwnableUnauthorizedAccount(address)")
    assert [a.lower() for a in reason.args] == [sender.lower()]
    assert chain.nonce(sender) == nonce_before
    assert manager.store.next_nonce(manager.chain_id, sender) is None  # no nonce was reserved
    assert manager.store.unsettled(manager.chain_id, [sender]) == []


async def test_submit_when_simulation_reverts_with_error_string_then_reason_is_decoded(
    managers: Factory, chain: Chain, devnet: dict[str, Any], sender_key: str
) -> None:
    manager = await managers()
    pair = next(iter(devnet["uniswap_v2"]["pairs"].values()))["address"]
    contract = chain.w3.eth.contract(address=pair, abi=devnet["abis"]["UniswapV2Pair"])
    sender = Account.from_key(sender_key).address
    data = bytes.fromhex(contract.encode_abi("swap", [0, 0, sender, b""])[2:])

    with pytest.raises(SimulationReverted) as refused:
        await manager.submit(TxRequest(sender=sender, to=pair, data=data))

    assert refused.value.reason.kind is RevertKind.ERROR_STRING
    assert refused.value.reason.message == "UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT"
    assert manager.store.next_nonce(manager.chain_id, sender) is None


async def test_underpriced_transaction_when_stuck_then_sped_up_and_only_one_version_mined(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager = await managers(stuck_after_s=0)
    chain.automine(False)
    tracked = await manager.submit(transfer(sender_key, recipient))
    original = tracked.record.versions[0]
    # Underpriced on purpose: the next block's base fee rises above the original's max fee.
    new_base_fee = chain.set_next_base_fee(original.fees.cost_cap_per_gas_wei * 3)

    await manager.poll()  # stuck: not included since it was sent -> speed-up
    versions = tracked.record.versions
    assert [v.kind for v in versions] == [VersionKind.ORIGINAL, VersionKind.SPEED_UP]
    bumped = versions[1].fees
    assert bumped.max_fee_per_gas_wei >= new_base_fee  # type: ignore[operator]
    assert bumped.max_priority_fee_per_gas_wei * 100 >= (  # type: ignore[operator]
        original.fees.max_priority_fee_per_gas_wei * 110)  # type: ignore[operator]
    chain.mine(1)
    await manager.poll()

    record = tracked.record
    assert record.state is TxState.MINED
    assert record.mined_hash == versions[1].tx_hash
    assert chain.receipt(versions[0].tx_hash) is None
    assert chain.receipt(versions[1].tx_hash)["status"] == "0x1"


async def test_underpriced_transaction_when_evicted_from_pool_then_repriced_and_mined(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager = await managers()
    chain.automine(False)
    tracked = await manager.submit(transfer(sender_key, recipient))
    chain.set_next_base_fee(tracked.record.versions[0].fees.cost_cap_per_gas_wei * 3)
    chain.mine(1)  # anvil evicts a transaction whose max fee is under the new base fee
    assert chain.rpc("eth_getTransactionByHash", [tracked.record.versions[0].tx_hash]) is None

    await manager.poll()  # gone from the pool; re-broadcast refused as underpriced -> re-priced
    assert [v.kind for v in tracked.record.versions] == [VersionKind.ORIGINAL,
                                                         VersionKind.SPEED_UP]
    chain.mine(1)
    await manager.poll()

    assert tracked.record.state is TxState.MINED
    assert tracked.record.mined_version.kind is VersionKind.SPEED_UP  # type: ignore[union-attr]


async def test_cancel_when_pending_then_cancel_mined_and_call_never_executes(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager = await managers()
    chain.automine(False)
    before = chain.w3.eth.get_balance(recipient)
    tracked = await manager.submit(transfer(sender_key, recipient, 10**18))

    cancel = await tracked.cancel()
    chain.mine(1)
    await manager.poll()

    record = tracked.record
    assert record.state is TxState.REPLACED
    assert record.mined_hash == cancel.tx_hash
    assert chain.w3.eth.get_balance(recipient) == before
    with pytest.raises(TxOutcome):
        await tracked.wait(TxState.FINAL, timeout_s=1)


async def test_dropped_transaction_when_gone_from_pool_then_rebroadcast_and_mined(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager = await managers()
    chain.automine(False)
    tracked = await manager.submit(transfer(sender_key, recipient))
    tx_hash = tracked.record.versions[0].tx_hash
    chain.rpc("anvil_dropTransaction", [tx_hash])

    await manager.poll()
    assert chain.rpc("eth_getTransactionByHash", [tx_hash]) is not None  # back in the pool
    chain.mine(1)
    await manager.poll()

    assert tracked.record.state is TxState.MINED
    assert tracked.record.mined_hash == tx_hash
    assert "re-broadcast after leaving the pool" in [e.detail for e in
                                                     manager.history(tracked.tx_id)]


async def test_nonce_gap_when_a_transaction_is_dropped_then_filler_heals_it(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager = await managers(rebroadcast=False)
    chain.automine(False)
    first = await manager.submit(transfer(sender_key, recipient))
    second = await manager.submit(transfer(sender_key, recipient))
    chain.rpc("anvil_dropTransaction", [first.record.versions[0].tx_hash])
    # anvil drops the dependent transaction too; put it back, queued behind the gap, as a node
    # that keeps queued transactions would have it.
    chain.rpc("eth_sendRawTransaction", ["0x" + second.record.versions[0].raw.hex()])
    chain.mine(1)
    assert chain.receipt(second.record.versions[0].tx_hash) is None  # stuck behind the gap

    await manager.poll()  # first is gone and not re-sent: dropped, and its nonce filled
    assert first.record.state is TxState.DROPPED
    chain.mine(1)
    await manager.poll()

    fillers = [r for r in manager.store.at_nonce(manager.chain_id, first.record.sender,
                                                 first.record.nonce)
               if r.purpose is TxPurpose.FILLER]
    assert len(fillers) == 1 and fillers[0].state is TxState.MINED
    assert second.record.state is TxState.MINED
    assert chain.nonce(first.record.sender) == second.record.nonce + 1


class HangingSigner:
    """A signer that never answers while `hang` is set: stands in for a process that died
    between reserving a nonce and signing (the reservation stays, nothing is signed)."""

    def __init__(self, key: str) -> None:
        self.inner = LocalKeyTxSigner(key)
        self.hang = True

    @property
    def address(self) -> ChecksumAddress:
        return self.inner.address

    async def sign_transaction(self, transaction: Mapping[str, Any]) -> bytes:
        if self.hang:
            await asyncio.Event().wait()
        return await self.inner.sign_transaction(transaction)


async def test_nonce_reserved_by_a_crashed_process_when_lease_expires_then_restart_heals_gap(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    signer = HangingSigner(sender_key)
    crashed = await managers(signer=signer, lease_ttl_s=0.2)
    stuck = asyncio.create_task(crashed.submit(transfer(sender_key, recipient), tx_id="lost"))
    await asyncio.sleep(0.3)
    stuck.cancel()  # the "crash": nonce reserved, never signed
    with pytest.raises(asyncio.CancelledError):
        await stuck
    signer.hang = False
    later = await crashed.submit(transfer(sender_key, recipient))
    assert later.record.nonce == crashed.get("lost").nonce + 1
    assert chain.receipt(later.record.versions[0].tx_hash) is None  # waits behind the gap
    await crashed.close()

    restarted = await managers(lease_ttl_s=0.2)  # reconciles on open: lease expired -> filler
    await restarted.poll()

    assert restarted.get("lost").state is TxState.DROPPED
    assert restarted.get(later.tx_id).state is TxState.MINED
    assert chain.nonce(later.record.sender) == later.record.nonce + 1


async def test_concurrent_submits_from_two_tasks_get_distinct_consecutive_nonces(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager_a = await managers()
    manager_b = await managers()  # a second manager over the same store, same sender
    start = chain.nonce(Account.from_key(sender_key).address)

    tracked = await asyncio.gather(*(
        (manager_a if i % 2 else manager_b).submit(transfer(sender_key, recipient, i + 1))
        for i in range(8)))
    await manager_a.poll()

    nonces = sorted(t.record.nonce for t in tracked)
    assert nonces == list(range(start, start + 8))
    # Automine put each in its own block, so the earliest are already 3 deep.
    assert all(t.record.state in (TxState.MINED, TxState.FINAL) for t in tracked)


_CHILD = """
import asyncio, json, sys
from chain.txmanager import LocalKeyTxSigner, TxManager, TxManagerConfig, TxRequest
from eth_account import Account

async def main(rpc_url, store_url, key, to, count):
    signer = LocalKeyTxSigner(key)
    manager = TxManager(rpc_url, [signer], TxManagerConfig(store_url=store_url))
    await manager.open()
    nonces = []
    for i in range(int(count)):
        tracked = await manager.submit(TxRequest(sender=signer.address, to=to, value_wei=1))
        nonces.append(tracked.record.nonce)
    await manager.close()
    print(json.dumps(nonces))

asyncio.run(main(*sys.argv[1:]))
"""


async def test_concurrent_submits_from_two_processes_get_distinct_consecutive_nonces(
    managers: Factory, chain: Chain, devnet: dict[str, Any], store_url: str, sender_key: str,
    recipient: ChecksumAddress
) -> None:
    start = chain.nonce(Account.from_key(sender_key).address)
    args = [devnet["rpc_url"], store_url, sender_key, recipient, "5"]
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, *args], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(2)]
    outputs = [child.communicate(timeout=120) for child in children]

    assert [child.returncode for child in children] == [0, 0], [o[1][-2000:] for o in outputs]
    nonces = [n for out, _ in outputs for n in json.loads(out)]
    assert sorted(nonces) == list(range(start, start + 10))
    manager = await managers()
    await manager.poll()
    sender = manager.senders[0]
    records = [r for n in nonces for r in manager.store.at_nonce(manager.chain_id, sender, n)]
    assert len(records) == 10
    assert all(r.state in (TxState.MINED, TxState.FINAL) for r in records)


async def test_reorg_when_receipt_disappears_then_tracked_again_to_final(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager = await managers()
    tracked = await manager.submit(transfer(sender_key, recipient))
    await manager.poll()
    first = tracked.record
    assert first.state is TxState.MINED

    chain.rpc("anvil_reorg", [1, []])  # the block holding it is replaced by an empty one
    assert chain.receipt(first.mined_hash) is None  # type: ignore[arg-type]
    await manager.poll()
    assert tracked.record.state is TxState.SENT
    assert tracked.record.block_hash is None
    await manager.poll()  # gone from the pool too: re-broadcast, automine includes it
    await manager.poll()
    again = tracked.record
    assert again.state is TxState.MINED
    assert again.block_hash != first.block_hash
    chain.mine(2)
    await manager.poll()

    assert tracked.record.state is TxState.FINAL
    states = [e.state for e in manager.history(tracked.tx_id)]
    assert states[-4:] == [TxState.SENT, TxState.SENT, TxState.MINED, TxState.FINAL]
    assert TxState.MINED in states[:states.index(TxState.SENT, 3)]


async def test_restart_when_transaction_in_flight_then_new_manager_tracks_it_to_final(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    chain.automine(False)
    first = await managers()
    tracked = await first.submit(transfer(sender_key, recipient))
    tx_id = tracked.tx_id
    await first.close()

    second = await managers()
    chain.mine(3)
    await second.poll()

    record = second.get(tx_id)
    assert record.state is TxState.FINAL
    assert record.mined_hash == tracked.record.versions[0].tx_hash
    next_tx = await second.submit(transfer(sender_key, recipient))
    assert next_tx.record.nonce == record.nonce + 1


async def test_call_when_state_changes_after_simulation_then_mined_reverted_is_failed(
    managers: Factory, chain: Chain, devnet: dict[str, Any], sender_key: str
) -> None:
    manager = await managers()
    weth = chain.w3.eth.contract(address=devnet["tokens"]["WETH"]["address"],
                                 abi=devnet["abis"]["WrappedEther"])
    sender = Account.from_key(sender_key).address
    spender = chain.w3.eth.accounts[7]  # unlocked by anvil

    def call(name: str, *args: Any, value_wei: int = 0) -> TxRequest:
        data = bytes.fromhex(weth.encode_abi(name, list(args))[2:])
        return TxRequest(sender=sender, to=weth.address, data=data, value_wei=value_wei)

    for setup in (call("deposit", value_wei=10**18), call("approve", spender, 10**18)):
        done = await manager.submit(setup)
        await manager.poll()
        assert done.record.state is TxState.MINED
    chain.automine(False)
    tracked = await manager.submit(call("withdraw", 10**18))  # simulates fine: balance is there
    tip = tracked.record.versions[0].fees.max_priority_fee_per_gas_wei * 10  # type: ignore[operator]
    weth.functions.transferFrom(sender, spender, 10**18).transact(
        {"from": spender, "maxPriorityFeePerGas": tip, "maxFeePerGas": tip * 10})  # type: ignore[typeddict-item]
    chain.mine(1)  # the higher tip goes first: the withdrawal finds no balance and reverts
    await manager.poll()

    record = tracked.record
    assert record.state is TxState.FAILED
    assert chain.receipt(record.mined_hash)["status"] == "0x0"  # type: ignore[arg-type]
    with pytest.raises(TxOutcome, match="failed"):
        await tracked.wait(TxState.FINAL, timeout_s=1)


async def test_background_tracker_when_started_then_events_stream_to_final(
    devnet: dict[str, Any], chain: Chain, store_url: str, sender_key: str,
    recipient: ChecksumAddress
) -> None:
    config = TxManagerConfig(store_url=store_url, confirmations=2, poll_interval_s=0.05)
    async with TxManager(devnet["rpc_url"], [LocalKeyTxSigner(sender_key)], config) as manager:
        stream = manager.events()
        tracked = await manager.submit(transfer(sender_key, recipient))
        chain.mine(1)
        record = await tracked.wait(TxState.FINAL, timeout_s=10)
        states = [(await anext(stream)).state for _ in range(5)]
        stream.close()

    assert record.state is TxState.FINAL
    assert states == [TxState.CREATED, TxState.SIGNED, TxState.SENT, TxState.MINED,
                      TxState.FINAL]


async def test_speed_up_when_fee_cap_leaves_no_room_then_refused_and_nothing_sent(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    chain.automine(False)
    probe = await managers()
    fees = await probe.estimate_fees()
    manager = await managers(max_fee_per_gas_cap_wei=fees.cost_cap_per_gas_wei)
    tracked = await manager.submit(transfer(sender_key, recipient))

    with pytest.raises(FeeCapReached):
        await tracked.speed_up()

    assert len(tracked.record.versions) == 1
    assert tracked.record.state is TxState.SENT


class _BerlinAnvil(AnvilOptions):
    """anvil before London: no base fee, so the manager must price with a legacy gas price."""

    def command(self, port: int) -> list[str]:
        return [*super().command(port), "--hardfork", "berlin"]


async def test_node_without_eip1559_when_submitting_then_legacy_gas_price_is_used(
    tmp_path: Path, sender_key: str, recipient: ChecksumAddress
) -> None:
    with running_devnet(tmp_path / "berlin", _BerlinAnvil()) as manifest:
        config = TxManagerConfig(store_url=f"sqlite:///{tmp_path / 'txm.sqlite'}",
                                 confirmations=1)
        manager = TxManager(manifest["rpc_url"], [LocalKeyTxSigner(sender_key)], config)
        await manager.open()
        try:
            tracked = await manager.submit(transfer(sender_key, recipient))
            await manager.poll()
            record = tracked.record
        finally:
            await manager.close()

    fees = record.versions[0].fees
    assert not fees.is_dynamic and fees.gas_price_wei
    assert record.versions[0].raw[0] >= 0xc0  # an untyped (RLP list) legacy transaction
    assert record.state is TxState.FINAL


async def test_pending_too_long_when_cancel_after_is_set_then_cancelled_automatically(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager = await managers(cancel_after_s=0)
    chain.automine(False)
    tracked = await manager.submit(transfer(sender_key, recipient, 10**18))

    await manager.poll()
    assert [v.kind for v in tracked.record.versions] == [VersionKind.ORIGINAL,
                                                         VersionKind.CANCEL]
    chain.mine(1)
    await manager.poll()

    assert tracked.record.state is TxState.REPLACED
    assert tracked.record.mined_version.kind is VersionKind.CANCEL  # type: ignore[union-attr]


async def test_open_when_chain_was_reverted_under_the_store_then_nonces_rewind_to_chain(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    snapshot = chain.rpc("evm_snapshot", [])
    first = await managers(confirmations=1)
    done = await first.submit(transfer(sender_key, recipient))
    await first.poll()
    assert done.record.state is TxState.FINAL
    chain.rpc("evm_revert", [snapshot])  # the chain forgets the transaction; the store does not

    second = await managers(confirmations=1)
    again = await second.submit(transfer(sender_key, recipient))
    await second.poll()

    assert again.record.nonce == done.record.nonce
    assert again.record.state is TxState.FINAL


class _OutageOnFirstSend(JsonRpc):
    """The real RPC client, except that the first broadcast finds the node unreachable.

    Mocked because a network outage at exactly that call cannot be produced on demand against
    the shared devnet; every other call goes to anvil."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.outages = 1

    async def send_raw(self, raw: bytes) -> str:
        if self.outages:
            self.outages -= 1
            raise RpcUnreachable(self.url, "eth_sendRawTransaction: connection reset")
        return await super().send_raw(raw)


async def test_broadcast_when_node_unreachable_then_kept_signed_and_resent_by_tracker(
    devnet: dict[str, Any], chain: Chain, store_url: str, sender_key: str,
    recipient: ChecksumAddress
) -> None:
    config = TxManagerConfig(store_url=store_url, confirmations=1)
    manager = TxManager(_OutageOnFirstSend(devnet["rpc_url"]), [LocalKeyTxSigner(sender_key)],
                        config)
    await manager.open()
    try:
        tracked = await manager.submit(transfer(sender_key, recipient))
        assert tracked.record.state is TxState.SIGNED  # persisted, not lost, not failed
        await manager.poll()  # re-sent (automine includes it)
        await manager.poll()
        record = tracked.record
    finally:
        await manager.close()

    assert record.state is TxState.FINAL
    assert record.mined_hash == record.versions[0].tx_hash


class _RefusingSigner:
    """A signer whose policy refuses everything (as a remote custody signer may)."""

    def __init__(self, key: str) -> None:
        self.address = Account.from_key(key).address

    async def sign_transaction(self, transaction: Mapping[str, Any]) -> bytes:
        raise PermissionError("policy refused")


async def test_signer_when_it_refuses_then_dropped_and_nonce_handed_back(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    refusing = await managers(signer=_RefusingSigner(sender_key))
    with pytest.raises(PermissionError):
        await refusing.submit(transfer(sender_key, recipient), tx_id="refused")
    assert refusing.get("refused").state is TxState.DROPPED

    manager = await managers()
    tracked = await manager.submit(transfer(sender_key, recipient))
    await manager.poll()

    assert tracked.record.nonce == refusing.get("refused").nonce  # no gap was left
    assert tracked.record.state is TxState.MINED


async def test_submit_when_same_tx_id_twice_then_sent_once(
    managers: Factory, chain: Chain, sender_key: str, recipient: ChecksumAddress
) -> None:
    manager = await managers()
    sender = Account.from_key(sender_key).address
    start = chain.nonce(sender)

    first = await manager.submit(transfer(sender_key, recipient), tx_id="order-42-leg-1")
    second = await manager.submit(transfer(sender_key, recipient), tx_id="order-42-leg-1")

    assert first.tx_id == second.tx_id
    assert chain.nonce(sender) == start + 1
