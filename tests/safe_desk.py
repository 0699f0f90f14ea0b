"""A guarded 2-of-3 Safe on the devnet, for tests that execute on chain: test-only signers
over fixed keys, the guard enabled with a USDC cap, and helpers that run or probe a batch."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.exceptions import ContractCustomError

from chain.signers import SafeSignature, SignatureKind, SigningRequest
from chain.wallet import Call, SafeTx, SafeWallet, guard_contract, selector
from chain.wallet.provision import executor_policy, fund, provision_guarded_safe

USDC = 10**6


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, also when called inside a running loop
    (an async test): then on a fresh loop in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
DELAY_S = 3_600
T = TypeVar("T")
TX_CAP, DAY_CAP = 1_000_000 * USDC, 1_500_000 * USDC


class KeySigner:
    """A test-only Signer over a fixed local key (the production signers live in
    chain.signers); it signs the SafeTx hash itself, as a Safe owner's ECDSA signature."""

    def __init__(self, label: str) -> None:
        self._account: LocalAccount = Account.from_key(Web3.keccak(text=label))
        self.name = label

    @property
    def address(self) -> ChecksumAddress:
        return self._account.address

    @property
    def public_key(self) -> bytes | None:
        return None

    async def sign(self, request: SigningRequest) -> SafeSignature:
        signed = self._account.unsafe_sign_hash(request.digest)
        data = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
        return SafeSignature(self.address, SignatureKind.ECDSA, data)


@dataclass
class Desk:
    w3: Web3
    devnet: dict[str, Any]
    wallet: SafeWallet
    signers: list[KeySigner]
    relayer: ChecksumAddress

    @property
    def executor(self) -> ChecksumAddress:
        return Web3.to_checksum_address(self.devnet["execution"]["swap_executor"])

    @property
    def guard(self) -> ChecksumAddress:
        return Web3.to_checksum_address(self.devnet["execution"]["guard"])

    def token(self, symbol: str) -> Any:
        return self.w3.eth.contract(address=self.devnet["tokens"][symbol]["address"],
                                    abi=self.devnet["abis"]["TestERC20"])

    def prepare(self, calls: list[Call], signers: list[KeySigner] | None = None,
                tx: SafeTx | None = None) -> tuple[SafeTx, bytes]:
        tx = tx or self.wallet.build(calls)
        request = self.wallet.request(tx)
        signatures = _run(self.wallet.collect(request, signers or self.signers[:2]))
        return tx, signatures

    def run(self, calls: list[Call], tx: SafeTx | None = None) -> Any:
        prepared, signatures = self.prepare(calls, tx=tx)
        return self.wallet.execute(prepared, signatures, self.relayer)

    def refusal(self, calls: list[Call], tx: SafeTx | None = None) -> str:
        """The guard's custom error (its name) when the Safe is asked to run `calls`."""
        prepared, signatures = self.prepare(calls, tx=tx)
        function = self.wallet.contract.functions.execTransaction(*prepared.exec_args(signatures))
        with pytest.raises(ContractCustomError) as refused:
            function.call({"from": self.relayer})
        data = refused.value.data if isinstance(refused.value.data, str) else ""
        errors = {"0x" + selector(abi_signature(e)).hex(): e["name"]
                  for e in guard_contract(self.w3, self.guard).abi if e["type"] == "error"}
        return errors.get(data[:10], data)


def abi_signature(abi_error: dict[str, Any]) -> str:
    return f"{abi_error['name']}({','.join(i['type'] for i in abi_error['inputs'])})"


def approve_call(desk: Desk, symbol: str, spender: str, amount: int) -> Call:
    data = bytes.fromhex(desk.token(symbol).encode_abi("approve", [spender, amount])[2:])
    return Call(to=desk.token(symbol).address, data=data)


def transfer_call(desk: Desk, symbol: str, to: str, amount: int) -> Call:
    data = bytes.fromhex(desk.token(symbol).encode_abi("transfer", [to, amount])[2:])
    return Call(to=desk.token(symbol).address, data=data)


def make_desk(w3: Web3, devnet: dict[str, Any]) -> Desk:
    """A 2-of-3 Safe holding 2M USDC, guarded: only the executor, caps on USDC."""
    signers = [KeySigner(f"crossbook-test-owner-{i}") for i in range(3)]
    relayer = w3.eth.accounts[1]
    policy = executor_policy(devnet, {devnet["tokens"]["USDC"]["address"]: (TX_CAP, DAY_CAP)},
                             DELAY_S)
    wallet = _run(provision_guarded_safe(w3, devnet, signers, 2, relayer, policy, 11))
    fund(w3, devnet, wallet.address, {"USDC": 2_000_000 * USDC}, w3.eth.accounts[0])
    desk = Desk(w3, devnet, wallet, signers, relayer)
    guard_slot = Web3.keccak(text="guard_manager.guard.address")
    stored = w3.eth.get_storage_at(wallet.address, guard_slot)
    assert Web3.to_checksum_address(stored[-20:]) == desk.guard
    return desk
