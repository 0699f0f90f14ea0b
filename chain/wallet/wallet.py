"""One Safe as the engine drives it: batch calls into a Safe transaction, describe it for the
signers' policies, gather owner signatures, and have a relayer account execute it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from chain.signers.base import Signer, SigningRequest
from chain.signers.calldata import safe_tx_request
from chain.signers.quorum import Quorum
from chain.wallet.multisend import Call, batch_tx
from chain.wallet.safe import SafeTx, WalletError, safe_contract


class SafeWallet:
    """A deployed Safe on one chain."""

    def __init__(self, w3: Web3, address: str, multi_send: str) -> None:
        self.w3 = w3
        self.address: ChecksumAddress = Web3.to_checksum_address(address)
        self.multi_send: ChecksumAddress = Web3.to_checksum_address(multi_send)
        self.chain_id = w3.eth.chain_id
        self.contract = safe_contract(w3, self.address)

    def nonce(self) -> int:
        return int(self.contract.functions.nonce().call())

    def threshold(self) -> int:
        return int(self.contract.functions.getThreshold().call())

    def build(self, calls: Sequence[Call], nonce: int | None = None) -> SafeTx:
        if not calls:
            raise WalletError("a Safe transaction needs at least one call")
        return batch_tx(self.multi_send, calls, self.nonce() if nonce is None else nonce)

    def request(self, tx: SafeTx) -> SigningRequest:
        """What the owners are asked to sign: the SafeTx hash with the decoded context their
        policies check (`chain.signers.calldata.safe_tx_request`)."""
        return safe_tx_request(str(uuid.uuid4()), self.chain_id, self.address, tx,
                               self.multi_send)

    async def collect(self, request: SigningRequest, signers: Sequence[Signer]) -> bytes:
        """The Safe's signature bundle from the owners' signers: a `Quorum` at the Safe's
        threshold, asked concurrently; fewer signers than the threshold is refused at once."""
        threshold = self.threshold()
        if len(signers) < threshold:
            raise WalletError(f"{len(signers)} signatures for a threshold of {threshold}")
        result = await Quorum(signers, threshold).sign(request)
        return result.signatures

    def execute(self, tx: SafeTx, signatures: bytes, relayer: str) -> TxReceipt:
        """Send `execTransaction` from the relayer (an unlocked node account) and wait."""
        function = self.contract.functions.execTransaction(*tx.exec_args(signatures))
        tx_hash = function.transact({"from": Web3.to_checksum_address(relayer)})
        receipt: TxReceipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        if receipt["status"] != 1:
            raise WalletError(f"execTransaction {tx_hash.hex()} reverted")
        failures = self.contract.events.ExecutionFailure().process_receipt(receipt, errors=DISCARD)
        if failures:
            raise WalletError(f"the Safe ran transaction {tx_hash.hex()} and it failed")
        return receipt
