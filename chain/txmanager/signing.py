"""How the manager gets an EOA transaction signed: one small protocol, injected.

The manager builds the transaction dict (chainId, nonce, to, value, data, gas and the fee fields)
and asks the sender's signer for the raw signed bytes. Keys never reach the manager.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress


@runtime_checkable
class TxSigner(Protocol):
    """Signs EOA transactions for one account."""

    @property
    def address(self) -> ChecksumAddress: ...

    async def sign_transaction(self, transaction: Mapping[str, Any]) -> bytes:
        """Return the raw signed transaction (EIP-2718 envelope for typed transactions)."""
        ...


class LocalKeyTxSigner:
    """A TxSigner over an in-memory eth-account key (tests, devnet relayers). The key is never
    shown: not in repr, logs or errors."""

    __slots__ = ("_account",)

    def __init__(self, private_key: str | bytes) -> None:
        self._account: LocalAccount = Account.from_key(private_key)

    @property
    def address(self) -> ChecksumAddress:
        return self._account.address

    async def sign_transaction(self, transaction: Mapping[str, Any]) -> bytes:
        return bytes(self._account.sign_transaction(dict(transaction)).raw_transaction)

    def __repr__(self) -> str:
        return f"LocalKeyTxSigner(address={self.address})"
