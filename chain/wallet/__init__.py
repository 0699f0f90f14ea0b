"""The Safe wallet that executes every on-chain leg: creation, SafeTx hashes, signatures."""

from chain.wallet.safe import (
    CALL,
    DELEGATECALL,
    SafeTx,
    WalletError,
    deploy_safe,
    domain_separator,
    encode_signatures,
    safe_contract,
    safe_tx_hash,
)

__all__ = [
    "CALL",
    "DELEGATECALL",
    "SafeTx",
    "WalletError",
    "deploy_safe",
    "domain_separator",
    "encode_signatures",
    "safe_contract",
    "safe_tx_hash",
]
