"""Bridges between chains: the `Bridge` protocol, our lock-and-mint bridge and its relayer."""

from chain.bridge.errors import BridgeError, BridgeTimeout, RelayerConfigError, UnsupportedRoute
from chain.bridge.lockmint import LockMintBridge
from chain.bridge.protocol import (
    Bridge,
    BridgeQuote,
    BridgeTransfer,
    TransferProgress,
    TransferStatus,
)
from chain.bridge.relayer import Relayer, RelayerChain, RelayerConfig, relayer_config_for
from chain.bridge.store import RelayedTransfer, RelayerStore, RelayStatus, TransferKind

__all__ = [
    "Bridge",
    "BridgeError",
    "BridgeQuote",
    "BridgeTimeout",
    "BridgeTransfer",
    "LockMintBridge",
    "RelayStatus",
    "RelayedTransfer",
    "Relayer",
    "RelayerChain",
    "RelayerConfig",
    "RelayerConfigError",
    "RelayerStore",
    "TransferKind",
    "TransferProgress",
    "TransferStatus",
    "UnsupportedRoute",
    "relayer_config_for",
]
