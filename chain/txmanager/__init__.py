"""The transaction manager: EOA transactions from submit to finality.

Submit a call (`TxRequest`: sender, to, data, value, optional gas limit) and get a `TrackedTx`
whose state you can await or subscribe to. The manager simulates before sending, prices with
EIP-1559 (legacy fallback), keeps nonces per sender in a store shared by tasks and processes,
speeds up or cancels stuck transactions, re-broadcasts dropped ones, closes nonce gaps, and
follows reorgs until a transaction is FINAL at the configured depth.
"""

from chain.txmanager._fees import bumped_wei, dynamic_fees, legacy_fees, replacement_fees
from chain.txmanager._handles import EventStream, TrackedTx
from chain.txmanager._manager import TxManager
from chain.txmanager._model import (
    TRANSITIONS,
    Fees,
    RevertKind,
    RevertReason,
    TxEvent,
    TxManagerConfig,
    TxPurpose,
    TxRecord,
    TxRequest,
    TxState,
    TxVersion,
    VersionKind,
)
from chain.txmanager._revert import decode_revert, error_selectors
from chain.txmanager._rpc import JsonRpc, RpcError
from chain.txmanager._store import TxStore
from chain.txmanager.errors import (
    BroadcastFailed,
    BroadcastRejected,
    FeeCapReached,
    IllegalTxTransition,
    NonceLeaseBusy,
    NotReplaceable,
    SimulationReverted,
    TxOutcome,
    UnknownSender,
    UnknownTransaction,
)
from chain.txmanager.signing import LocalKeyTxSigner, TxSigner

__all__ = [
    "TRANSITIONS",
    "BroadcastFailed",
    "BroadcastRejected",
    "EventStream",
    "FeeCapReached",
    "Fees",
    "IllegalTxTransition",
    "JsonRpc",
    "LocalKeyTxSigner",
    "NonceLeaseBusy",
    "NotReplaceable",
    "RevertKind",
    "RevertReason",
    "RpcError",
    "SimulationReverted",
    "TrackedTx",
    "TxEvent",
    "TxManager",
    "TxManagerConfig",
    "TxOutcome",
    "TxPurpose",
    "TxRecord",
    "TxRequest",
    "TxSigner",
    "TxState",
    "TxStore",
    "TxVersion",
    "UnknownSender",
    "UnknownTransaction",
    "VersionKind",
    "bumped_wei",
    "decode_revert",
    "dynamic_fees",
    "error_selectors",
    "legacy_fees",
    "replacement_fees",
]
