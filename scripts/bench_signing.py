"""Signing latency per signer type, folded into the `chain` bench area.

Each signer signs the same kind of request many times; every call is timed on its own and the
median and 99th percentile are reported in microseconds. The baseline, measured in the same
run, is the bare cost of one ECDSA signature: `Account.unsafe_sign_hash` on a 32-byte digest.

- local: `LocalKeySigner` with no policy, and with the guard policy reviewing a realistic Safe
  transaction (approve + transfer through MultiSendCallOnly: the digest is re-derived and the
  batch decoded before the key is used);
- quorum: 2-of-3 local owners under `Quorum` (concurrent asks, recovery check of each
  signature, Safe bundle encoding);
- remote: `RemoteSigner` to the reference signing service over loopback HTTP (HMAC on both
  legs, the service's policy, its signer), one fresh request id per call, no approval step.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_abi.packed import encode_packed
from eth_account import Account
from eth_typing import Hash32
from web3 import Web3

from chain.signers import (
    GuardPolicy,
    GuardRules,
    LocalKeySigner,
    Quorum,
    RemoteSigner,
    RequestKind,
    SigningRequest,
    SigningService,
    safe_tx_request,
    serving,
)
from chain.signers.calldata import selector_of
from chain.wallet import DELEGATECALL, SafeTx

_LOCAL_ROUNDS = 2000
_QUORUM_ROUNDS = 500
_REMOTE_ROUNDS = 300
_WARMUP = 20
_BASELINE = "eth_account_unsafe_sign_hash"


def _address(label: str) -> str:
    return Web3.to_checksum_address(Web3.keccak(text=label)[:20])


_SAFE, _TOKEN, _SPENDER = _address("bench-safe"), _address("bench-token"), _address("spender")
_MULTISEND, _RECIPIENT = _address("bench-multisend"), _address("bench-recipient")


def _key(label: str) -> bytes:
    return Web3.keccak(text=f"crossbook-bench-{label}")  # throwaway benchmark keys


def _message(i: int) -> SigningRequest:
    return SigningRequest(f"bench-{i}", RequestKind.MESSAGE,
                          Web3.keccak(i.to_bytes(8, "big")), {})


def _safe_tx(i: int) -> SigningRequest:
    def erc20(function: str, to: str, amount: int) -> bytes:
        return bytes.fromhex(selector_of(f"{function}(address,uint256)")[2:]) + abi_encode(
            ["address", "uint256"], [to, amount])

    calls = [erc20("approve", _SPENDER, 10**6), erc20("transfer", _RECIPIENT, 10**6)]
    packed = b"".join(encode_packed(["uint8", "address", "uint256", "uint256", "bytes"],
                                    [0, _TOKEN, 0, len(c), c]) for c in calls)
    data = bytes.fromhex(selector_of("multiSend(bytes)")[2:]) + abi_encode(["bytes"], [packed])
    tx = SafeTx(to=Web3.to_checksum_address(_MULTISEND), value=0, data=data,
                operation=DELEGATECALL, nonce=i)
    return safe_tx_request(f"bench-tx-{i}", 31337, _SAFE, tx, _MULTISEND)


_RULES = GuardRules(
    allowed_calls={_TOKEN: {selector_of("approve(address,uint256)"),
                            selector_of("transfer(address,uint256)")}},
    spenders={_SPENDER}, recipients={_RECIPIENT}, token_caps={_TOKEN: 10**12},
    multisend=_MULTISEND)


async def _time_async(rounds: int, call: Callable[[int], Awaitable[Any]]) -> list[float]:
    for i in range(_WARMUP):  # indices after the measured ones: every request is fresh
        await call(rounds + i)
    samples = []
    for i in range(rounds):
        started = time.perf_counter_ns()
        await call(i)
        samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


async def _measure() -> dict[str, list[float]]:
    account = Account.from_key(_key("baseline"))
    digests = [Web3.keccak(i.to_bytes(8, "big")) for i in range(_LOCAL_ROUNDS + _WARMUP)]

    async def bare(i: int) -> None:
        account.unsafe_sign_hash(Hash32(digests[i]))

    local = LocalKeySigner.from_key(_key("local"), "local")
    guarded = LocalKeySigner.from_key(_key("guarded"), "guarded", policy=GuardPolicy(_RULES))
    tx_requests = {i: _safe_tx(i) for i in range(_LOCAL_ROUNDS + _WARMUP)}
    owners = [LocalKeySigner.from_key(_key(f"owner-{n}"), f"owner-{n}") for n in range(3)]
    quorum = Quorum(owners, 2)
    samples = {
        _BASELINE: await _time_async(_LOCAL_ROUNDS, bare),
        "local": await _time_async(_LOCAL_ROUNDS, lambda i: local.sign(_message(i))),
        "local_guard_policy": await _time_async(_LOCAL_ROUNDS,
                                                lambda i: guarded.sign(tx_requests[i])),
        "quorum_2_of_3_local": await _time_async(_QUORUM_ROUNDS,
                                                 lambda i: quorum.sign(_message(i))),
    }
    service = SigningService(LocalKeySigner.from_key(_key("custody"), "custody"),
                             clients={"bench": b"bench-secret"})
    async with serving(service) as url, await RemoteSigner.connect(
            url, "bench", b"bench-secret") as remote:
        samples["remote_loopback_http"] = await _time_async(
            _REMOTE_ROUNDS, lambda i: remote.sign(_message(i)))
    return samples


def run() -> list[dict[str, Any]]:
    """Median and p99 signing latency per signer type, against the bare ECDSA signature."""
    samples = asyncio.run(_measure())
    base = samples[_BASELINE]
    results: list[dict[str, Any]] = []
    for stat, measure in (("median", statistics.median), ("p99", _p99)):
        baseline_value = round(measure(base), 2)
        results.append({"name": f"sign_{_BASELINE}_{stat}_us", "value": baseline_value,
                        "unit": "us", "better": "lower"})
        for kind, values in samples.items():
            if kind == _BASELINE:
                continue
            results.append({
                "name": f"sign_{kind}_{stat}_us", "value": round(measure(values), 2),
                "unit": "us", "better": "lower",
                "baseline_name": f"sign_{_BASELINE}_{stat}_us", "baseline_value": baseline_value,
            })
    return results


if __name__ == "__main__":
    for row in run():
        print(row)
