"""The desk's Safe as the sender of every pool order, and how a fresh process decides what
became of an order it may have sent.

One `SafeSwapSender` per Safe, shared by every pool venue trading through it: one Safe nonce at
a time (its lock), a `SwapLedger` row for every attempt written before the owners sign, and the
transaction manager relaying the signed SafeTx (it persists the signed relayer transaction
before it broadcasts it). `fate` reads an attempt back by its SafeTx hash and Safe nonce, then
the transaction manager's record of the relayer transaction (see `connectors.amm.execution`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from enum import StrEnum

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.types import TxReceipt

from chain.signers.base import Signer
from chain.txmanager import TxManager, TxRecord, TxState, UnknownTransaction
from chain.wallet import SafeWallet
from connectors.amm.swap_ledger import AttemptState, SwapAttempt, SwapLedger

_EXECUTION_SUCCESS = "0x" + bytes(Web3.keccak(text="ExecutionSuccess(bytes32,uint256)")).hex()
_GONE = (TxState.DROPPED, TxState.REPLACED)


class Fate(StrEnum):
    """What became of one attempt's SafeTx, as the chain and the stores say now."""

    EXECUTED = "executed"  # ExecutionSuccess with our SafeTx hash
    SUPERSEDED = "superseded"  # its Safe nonce was used by another SafeTx
    REVERTED = "reverted"  # the relayer transaction failed or can never be mined
    IN_FLIGHT = "in_flight"  # signed (or being signed) and not decided yet
    NEVER_LEFT = "never_left"  # nonce unused, no relayer transaction was ever signed


class SafeSwapSender:
    """The desk's Safe as the sender of every pool order: one Safe nonce at a time, each
    attempt on record before it is signed, relayed through the transaction manager.

    `start()` opens the transaction manager (it re-sends what a dead process signed, drops
    nonces reserved but never signed) and runs its tracker; `close()` stops it.
    """

    def __init__(self, wallet: SafeWallet, signers: Sequence[Signer], executor: str,
                 manager: TxManager, relayer: str, ledger: SwapLedger,
                 mined_timeout_s: float = 30.0) -> None:
        self.wallet = wallet
        self.signers = tuple(signers)
        self.executor = Web3.to_checksum_address(executor)
        self.manager = manager
        self.relayer: ChecksumAddress = Web3.to_checksum_address(relayer)
        self.ledger = ledger
        self.mined_timeout_s = mined_timeout_s
        self.lock = asyncio.Lock()  # one Safe nonce at a time

    @property
    def w3(self) -> Web3:
        return self.wallet.w3

    async def start(self) -> None:
        await self.manager.open()
        self.manager.start()

    async def close(self) -> None:
        await self.manager.close()
        self.ledger.close()

    def record(self, tx_id: str) -> TxRecord | None:
        try:
            return self.manager.get(tx_id)
        except UnknownTransaction:
            return None

    def fate(self, attempt: SwapAttempt) -> tuple[Fate, TxReceipt | None, str]:
        """Decide an attempt by its SafeTx hash and Safe nonce, then the relayer's record."""
        record = self.record(attempt.tx_id)
        if record is not None and record.state in (TxState.MINED, TxState.FINAL) \
                and record.mined_hash is not None:
            receipt = self.w3.eth.get_transaction_receipt(HexBytes(record.mined_hash))
            if self._ran(receipt, attempt.safe_tx_hash):
                return Fate.EXECUTED, receipt, ""
        if self.wallet.nonce() > attempt.safe_nonce:  # read before the logs: see _execution
            # Never signed and stored means never broadcast: an execution of the same SafeTx
            # hash (another order with identical calls, built at the same nonce in the same
            # second) is not this attempt's.
            found = self._execution(attempt) if record is not None else None
            if found is not None:
                return Fate.EXECUTED, found, ""
            return Fate.SUPERSEDED, None, (f"Safe nonce {attempt.safe_nonce} was used by "
                                           f"another transaction; this one can never run")
        if record is None or (record.state is TxState.DROPPED and not record.versions):
            return Fate.NEVER_LEFT, None, "never signed: nothing left the process"
        if record.state is TxState.FAILED:
            return Fate.REVERTED, None, f"reverted on chain in {record.mined_hash}"
        if record.state in _GONE:
            return Fate.REVERTED, None, f"relayer transaction {record.state}: {record.detail}"
        return Fate.IN_FLIGHT, None, f"relayer transaction {record.state}"

    def _ran(self, receipt: TxReceipt, safe_hash: str) -> bool:
        return any(log["address"] == self.wallet.address and len(log["topics"]) > 1
                   and "0x" + bytes(log["topics"][0]).hex() == _EXECUTION_SUCCESS
                   and "0x" + bytes(log["topics"][1]).hex() == safe_hash
                   for log in receipt["logs"])

    def _execution(self, attempt: SwapAttempt) -> TxReceipt | None:
        """The receipt in which the Safe ran our SafeTx, found by its ExecutionSuccess event
        (the Safe nonce was read first, so an execution that used it is already in a block)."""
        logs = self.w3.eth.get_logs({
            "address": self.wallet.address, "fromBlock": attempt.from_block,
            "toBlock": "latest",
            "topics": [HexBytes(_EXECUTION_SUCCESS), HexBytes(attempt.safe_tx_hash)]})
        if not logs:
            return None
        return self.w3.eth.get_transaction_receipt(logs[0]["transactionHash"])

    async def wait_in_doubt(self, but: str) -> str | None:
        """Wait (up to `mined_timeout_s`) for every other attempt still in flight through this
        Safe; the Safe nonce it holds, if one is still undecided."""
        deadline = time.monotonic() + self.mined_timeout_s
        while True:
            doubtful = [a for a in self.ledger.attempts(state=AttemptState.PREPARED,
                                                        safe=self.wallet.address)
                        if a.client_order_id != but and self.fate(a)[0] is Fate.IN_FLIGHT]
            if not doubtful:
                return None
            if time.monotonic() >= deadline:
                return (f"Safe nonce {doubtful[0].safe_nonce} is held by "
                        f"{doubtful[0].client_order_id}, still in flight")
            await asyncio.sleep(self.manager.config.poll_interval_s)
