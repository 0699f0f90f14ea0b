"""The Safe wallet that executes every on-chain leg: creation, SafeTx hashes, signatures,
MultiSendCallOnly batches, our guard's policy, swap routes through our executor, fills."""

from chain.wallet.executor import (
    Hop,
    HopKind,
    Leg,
    PoolFill,
    Route,
    executor_contract,
    fills_from_receipt,
    single_hop_legs,
    swap_calls,
)
from chain.wallet.guard import (
    GuardPolicy,
    change_calls,
    enable_guard_calls,
    guard_contract,
    remove_guard_call,
    selector,
)
from chain.wallet.multisend import Call, batch_tx, pack_calls
from chain.wallet.relay import FillBook, FillChange, FillEvent, relay
from chain.wallet.safe import (
    CALL,
    DELEGATECALL,
    ZERO_ADDRESS,
    SafeTx,
    WalletError,
    deploy_safe,
    domain_separator,
    encode_signatures,
    safe_contract,
    safe_tx_hash,
)
from chain.wallet.wallet import SafeWallet

__all__ = [
    "CALL",
    "DELEGATECALL",
    "ZERO_ADDRESS",
    "Call",
    "FillBook",
    "FillChange",
    "FillEvent",
    "GuardPolicy",
    "Hop",
    "HopKind",
    "Leg",
    "PoolFill",
    "Route",
    "SafeTx",
    "SafeWallet",
    "WalletError",
    "batch_tx",
    "change_calls",
    "deploy_safe",
    "domain_separator",
    "enable_guard_calls",
    "encode_signatures",
    "executor_contract",
    "fills_from_receipt",
    "guard_contract",
    "pack_calls",
    "relay",
    "remove_guard_call",
    "safe_contract",
    "safe_tx_hash",
    "selector",
    "single_hop_legs",
    "swap_calls",
]
