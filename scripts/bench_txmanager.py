"""Transaction manager benchmarks on a bare anvil (folded into the `chain` area by the lead).

- submit latency: simulate (`eth_call`), estimate gas and fees, reserve a nonce in SQLite (WAL,
  synchronous=FULL), sign, persist, broadcast. Baseline, same run, same node: sign and
  `eth_sendRawTransaction` alone, with the nonce counted in memory (what a bare script does,
  with none of the guarantees). The ratio is the price of those guarantees per transaction.
- nonce reservations per second from the store alone (one process).
- one tracker pass over a batch of in-flight transactions (receipts, pool, nonce checks).
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account

from chain.devnet import running_devnet
from chain.txmanager import (
    JsonRpc,
    LocalKeyTxSigner,
    TxManager,
    TxManagerConfig,
    TxPurpose,
    TxRecord,
    TxRequest,
    TxState,
    TxStore,
)

_N = 40
# anvil's published dev accounts (test mnemonic): public keys of a throwaway chain.
_KEY_A = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
_KEY_B = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"


async def _manager_submits(rpc_url: str, store_url: str) -> tuple[list[float], float]:
    signer = LocalKeyTxSigner(_KEY_A)
    config = TxManagerConfig(store_url=store_url, confirmations=1, poll_interval_s=3600)
    manager = TxManager(rpc_url, [signer], config)
    await manager.open()
    samples = []
    try:
        await manager.rpc.request("evm_setAutomine", [False])
        for _ in range(_N):
            started = time.perf_counter()
            await manager.submit(TxRequest(sender=signer.address, to=signer.address,
                                           value_wei=1))
            samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        await manager.poll()  # all in flight, none mined
        poll_s = time.perf_counter() - started
        await manager.rpc.request("evm_setAutomine", [True])
    finally:
        await manager.close()
    return samples, poll_s


async def _raw_submits(rpc_url: str) -> list[float]:
    account = Account.from_key(_KEY_B)
    samples = []
    async with JsonRpc(rpc_url) as rpc:
        chain_id = await rpc.chain_id()
        nonce = await rpc.nonce(account.address, "pending")
        for _ in range(_N):
            started = time.perf_counter()
            fees = await rpc.fee_history(10, 50)
            base_fee = int(fees["baseFeePerGas"][-1], 16)
            raw = account.sign_transaction({
                "chainId": chain_id, "nonce": nonce, "to": account.address, "value": 1,
                "gas": 21_000, "maxFeePerGas": 2 * base_fee + 10**9,
                "maxPriorityFeePerGas": 10**9}).raw_transaction
            await rpc.send_raw(bytes(raw))
            samples.append(time.perf_counter() - started)
            nonce += 1
    return samples


def _reservations_per_s(store_url: str) -> float:
    store = TxStore(store_url)
    now = time.time_ns()
    sender = Account.from_key(_KEY_A).address
    template = TxRecord(
        tx_id="", chain_id=1, sender=sender, nonce=-1, purpose=TxPurpose.CALL, to=sender,
        data=b"", value_wei=0, gas_limit=21_000, state=TxState.CREATED, settled=False,
        mined_hash=None, block_number=None, block_hash=None, detail="", created_ns=now,
        updated_ns=now)
    started = time.perf_counter()
    for i in range(200):
        store.reserve(_with_id(template, f"bench-{i}"), 0, "bench", 0)
    elapsed = time.perf_counter() - started
    store.close()
    return 200 / elapsed


def _with_id(record: TxRecord, tx_id: str) -> TxRecord:
    return dataclasses.replace(record, tx_id=tx_id)


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        with running_devnet(root / "devnet") as manifest:
            rpc_url = manifest["rpc_url"]
            baseline = asyncio.run(_raw_submits(rpc_url))
            managed, poll_s = asyncio.run(
                _manager_submits(rpc_url, f"sqlite:///{root / 'txm.sqlite'}"))
        reservations = _reservations_per_s(f"sqlite:///{root / 'nonces.sqlite'}")
    return [
        {"name": "txmanager_submit_p50_ms", "value": statistics.median(managed) * 1e3,
         "unit": "ms", "better": "lower", "baseline_name": "raw_sign_and_send_p50_ms",
         "baseline_value": statistics.median(baseline) * 1e3},
        {"name": "txmanager_nonce_reservations_per_s", "value": reservations,
         "unit": "1/s", "better": "higher"},
        {"name": f"txmanager_poll_pass_{_N}_in_flight_ms", "value": poll_s * 1e3,
         "unit": "ms", "better": "lower"},
    ]


if __name__ == "__main__":
    for result in run():
        print(result)
