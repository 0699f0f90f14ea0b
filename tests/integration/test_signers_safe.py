"""Signers on the devnet: a Safe made by `deploy_safe` executes a MultiSendCallOnly batch signed
2-of-3 by a Quorum of mixed owners (a local key, a remote signing service over loopback with a
human approval, another local key), and a policy refusal stops signing before any signature
exists."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_abi.packed import encode_packed
from web3 import Web3

from chain.signers import (
    AllOf,
    Approver,
    GuardPolicy,
    GuardRules,
    LocalKeySigner,
    Outcome,
    Quorum,
    QuorumNotReached,
    RateLimit,
    RemoteSigner,
    RequireApprovals,
    SigningRefused,
    SigningService,
    safe_tx_request,
    serving,
)
from chain.signers.calldata import selector_of
from chain.wallet import CALL, DELEGATECALL, SafeTx, deploy_safe, safe_contract

pytestmark = pytest.mark.integration

SECRETS = {"desk": b"integration-client-secret", "ops": b"integration-approver-secret"}
RECIPIENT = Web3.to_checksum_address("0x" + "5e" * 20)
SPENDER = Web3.to_checksum_address("0x" + "5a" * 20)
FOREIGN = Web3.to_checksum_address("0x" + "f0" * 20)


def _key(label: str) -> bytes:
    # Deterministic test keys derived from labels; never used outside tests.
    return Web3.keccak(text=f"crossbook-integration-signer-{label}")


def _erc20(function: str, to: str, amount: int) -> bytes:
    return bytes.fromhex(selector_of(f"{function}(address,uint256)")[2:]) + abi_encode(
        ["address", "uint256"], [to, amount])


def _multisend(*calls: tuple[str, bytes]) -> bytes:
    packed = b"".join(encode_packed(["uint8", "address", "uint256", "uint256", "bytes"],
                                    [CALL, to, 0, len(data), data]) for to, data in calls)
    return bytes.fromhex(selector_of("multiSend(bytes)")[2:]) + abi_encode(["bytes"], [packed])


@dataclass
class _Wallet:
    w3: Web3
    devnet: dict[str, Any]
    safe: Any
    usdc: Any
    rules: GuardRules
    service: SigningService
    url: str


@pytest.fixture
async def wallet(w3: Web3, devnet: dict[str, Any]) -> AsyncIterator[_Wallet]:
    usdc = w3.eth.contract(address=devnet["tokens"]["USDC"]["address"],
                           abi=devnet["abis"]["TestERC20"])
    multisend = devnet["safe"]["multi_send_call_only"]
    owners = [LocalKeySigner.from_key(_key(n), n).address for n in ("alice", "custody", "carol")]
    safe_address = deploy_safe(w3, devnet["safe"], owners, 2, w3.eth.accounts[0], 11)
    usdc.functions.transfer(safe_address, 10_000 * 10**6).transact({"from": w3.eth.accounts[0]})
    rules = GuardRules(
        allowed_calls={usdc.address: {selector_of("transfer(address,uint256)"),
                                      selector_of("approve(address,uint256)")}},
        spenders={SPENDER}, recipients={RECIPIENT}, token_caps={usdc.address: 2_000 * 10**6},
        multisend=multisend, safes={safe_address}, chain_ids={devnet["chain_id"]})
    service = SigningService(
        LocalKeySigner.from_key(_key("custody"), "custody", policy=GuardPolicy(rules)),
        clients={"desk": SECRETS["desk"]}, approvers={"ops": SECRETS["ops"]},
        policy=GuardPolicy(rules), approval=RequireApprovals(1))
    async with serving(service) as url:
        yield _Wallet(w3, devnet, safe_contract(w3, safe_address), usdc, rules, service, url)


async def _approve_when_pending(url: str, request_id: str) -> None:
    """The human at the custody desk: approves once the request shows up as pending."""
    async with Approver(url, "ops", SECRETS["ops"]) as ops:
        while True:
            try:
                record = await ops.status(request_id, wait_s=1)
            except Exception:  # not submitted yet
                await asyncio.sleep(0.02)
                continue
            if record["status"] == "pending_approval":
                await ops.approve(request_id)
                return


def _request(wallet: _Wallet, tx: SafeTx, request_id: str) -> Any:
    return safe_tx_request(request_id, wallet.devnet["chain_id"], wallet.safe.address, tx,
                           wallet.rules.multisend)


async def test_quorum_of_local_remote_local_when_2_of_3_then_batch_executes(
    wallet: _Wallet,
) -> None:
    guard = GuardPolicy(wallet.rules)
    alice = LocalKeySigner.from_key(_key("alice"), "alice", policy=guard)
    # Carol's key has used up its signatures for the window: the remote owner must sign.
    carol = LocalKeySigner.from_key(_key("carol"), "carol",
                                    policy=AllOf(guard, RateLimit(0, window_s=3600)))
    data = _multisend((wallet.usdc.address, _erc20("approve", SPENDER, 300 * 10**6)),
                      (wallet.usdc.address, _erc20("transfer", RECIPIENT, 1_500 * 10**6)))
    multisend = Web3.to_checksum_address(wallet.devnet["safe"]["multi_send_call_only"])
    tx = SafeTx(to=multisend, value=0, data=data, operation=DELEGATECALL,
                nonce=wallet.safe.functions.nonce().call())
    request = _request(wallet, tx, "batch-1")
    async with await RemoteSigner.connect(wallet.url, "desk", SECRETS["desk"],
                                          name="custody", deadline_s=20) as custody:
        quorum = Quorum([alice, custody, carol], 2, timeout_s=20, policy=guard)
        approving = asyncio.create_task(_approve_when_pending(wallet.url, "batch-1"))
        result = await quorum.sign(request)
        await approving
    assert set(result.signed) == {alice.address, custody.address}
    assert result.refused == [carol.address]
    assert next(o for o in result.outcomes if o.signer == "carol").rule == "rate_limit"
    assert [h.value for h, _ in wallet.service.status("batch-1").history] == [
        "submitted", "policy_checked", "pending_approval", "approved", "signed"]

    sender = wallet.w3.eth.accounts[1]
    wallet.safe.functions.execTransaction(*tx.exec_args(result.signatures)).transact(
        {"from": sender})
    assert wallet.usdc.functions.balanceOf(RECIPIENT).call() == 1_500 * 10**6
    assert wallet.usdc.functions.allowance(wallet.safe.address, SPENDER).call() == 300 * 10**6
    assert wallet.safe.functions.nonce().call() == tx.nonce + 1


async def test_quorum_when_policy_refuses_then_no_signature_exists_and_nothing_moves(
    wallet: _Wallet, caplog: pytest.LogCaptureFixture,
) -> None:
    guard = GuardPolicy(wallet.rules)
    tx = SafeTx(to=wallet.usdc.address, value=0, data=_erc20("transfer", FOREIGN, 10**6),
                operation=CALL, nonce=wallet.safe.functions.nonce().call())
    alice = LocalKeySigner.from_key(_key("alice"), "alice", policy=guard)
    carol = LocalKeySigner.from_key(_key("carol"), "carol", policy=guard)
    async with await RemoteSigner.connect(wallet.url, "desk", SECRETS["desk"],
                                          name="custody", deadline_s=20) as custody:
        with caplog.at_level(logging.INFO, logger="chain.signers"):
            # The quorum's own review refuses first: no owner is even asked.
            with pytest.raises(SigningRefused) as refused:
                await Quorum([alice, custody, carol], 2, policy=guard).sign(
                    _request(wallet, tx, "foreign-1"))
            assert refused.value.rule == "recipient_allowed"
            assert "foreign-1" not in wallet.service._records
            # Without it, every owner's own policy refuses, the remote one included.
            with pytest.raises(QuorumNotReached) as failed:
                await Quorum([alice, custody, carol], 2).sign(_request(wallet, tx, "foreign-2"))
    outcomes = failed.value.outcomes
    assert [(o.outcome, o.rule) for o in outcomes] == [
        (Outcome.REFUSED, "recipient_allowed")] * 3
    record = wallet.service.status("foreign-2")
    assert record.status.value == "rejected" and record.signature is None
    assert not [r for r in caplog.records if "signed request" in r.getMessage()]
    assert wallet.usdc.functions.balanceOf(FOREIGN).call() == 0
    assert wallet.safe.functions.nonce().call() == tx.nonce
