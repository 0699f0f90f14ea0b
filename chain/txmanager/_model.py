"""Values of the transaction manager: states and their table, requests, fees, versions, events.

One tracked transaction is one nonce of one sender put to one use (a call, or a filler that
closes a gap). It may be broadcast in several versions (the original, speed-ups, a cancel), all
at the same nonce; at most one of them is ever mined, and the record says which.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from eth_typing import ChecksumAddress
from pydantic import BaseModel, ConfigDict, Field


class TxState(StrEnum):
    CREATED = "created"  # nonce reserved, nothing signed yet
    SIGNED = "signed"  # raw transaction persisted, not yet accepted by the node
    SENT = "sent"  # accepted by the node, waiting for a block
    MINED = "mined"  # our call is in a canonical block (1 confirmation), status 1
    FINAL = "final"  # mined and buried under the configured confirmation depth
    FAILED = "failed"  # mined with status 0: the call reverted on chain
    REPLACED = "replaced"  # the nonce was used by our cancel, or by a transaction we did not send
    DROPPED = "dropped"  # never signed, refused, or gone from the pool and not re-broadcast


# Every legal state change; anything else raises IllegalTxTransition.
TRANSITIONS: frozenset[tuple[TxState, TxState]] = frozenset({
    (TxState.CREATED, TxState.SIGNED),
    # The process died (or the signer failed) between reserving the nonce and signing: the
    # reservation's lease expired and the nonce is closed by a filler transaction.
    (TxState.CREATED, TxState.DROPPED),
    (TxState.SIGNED, TxState.SENT),
    (TxState.SIGNED, TxState.DROPPED),  # the node refused the transaction for good
    # A new version went out at the same nonce (speed-up, cancel) or the same one was re-sent.
    (TxState.SENT, TxState.SENT),
    (TxState.SENT, TxState.MINED),
    (TxState.SENT, TxState.FAILED),
    (TxState.SENT, TxState.REPLACED),
    (TxState.SENT, TxState.DROPPED),
    (TxState.MINED, TxState.FINAL),
    # Reorg: the block holding the receipt is no longer canonical; the transaction is pending
    # again (or re-broadcast) and tracked until it is mined anew.
    (TxState.MINED, TxState.SENT),
    (TxState.FAILED, TxState.SENT),
    (TxState.REPLACED, TxState.SENT),
})

# States the tracker still watches (until the record is settled at depth).
ACTIVE_STATES = frozenset({TxState.SIGNED, TxState.SENT, TxState.MINED, TxState.FAILED,
                           TxState.REPLACED})
# States a waiter may stop at: no later change is expected without a reorg.
OUTCOME_STATES = frozenset({TxState.MINED, TxState.FINAL, TxState.FAILED, TxState.REPLACED,
                            TxState.DROPPED})


class TxPurpose(StrEnum):
    CALL = "call"  # a caller's request
    FILLER = "filler"  # a 0-value self-transfer that uses up a nonce left as a gap


class VersionKind(StrEnum):
    ORIGINAL = "original"
    SPEED_UP = "speed_up"  # same call, same nonce, higher fees
    CANCEL = "cancel"  # 0-value self-transfer at the same nonce, higher fees


@dataclass(frozen=True, slots=True)
class TxRequest:
    """A call to send from `sender`. `gas_limit=None` estimates it (plus the configured margin)."""

    sender: ChecksumAddress
    to: ChecksumAddress
    data: bytes = b""
    value_wei: int = 0
    gas_limit: int | None = None

    def __post_init__(self) -> None:
        if self.value_wei < 0:
            raise ValueError(f"value_wei must be >= 0, got {self.value_wei}")
        if self.gas_limit is not None and self.gas_limit < 21_000:
            raise ValueError(f"gas_limit must be >= 21000 (intrinsic gas), got {self.gas_limit}")


@dataclass(frozen=True, slots=True)
class Fees:
    """EIP-1559 fees (max fee and priority fee) or, on a node without 1559, a legacy gas price."""

    max_fee_per_gas_wei: int | None = None
    max_priority_fee_per_gas_wei: int | None = None
    gas_price_wei: int | None = None

    def __post_init__(self) -> None:
        dynamic = self.max_fee_per_gas_wei is not None and self.max_priority_fee_per_gas_wei \
            is not None
        if dynamic == (self.gas_price_wei is not None):
            raise ValueError("fees are either max fee + priority fee (EIP-1559) or a gas price")
        if dynamic and self.max_priority_fee_per_gas_wei > self.max_fee_per_gas_wei:  # type: ignore[operator]
            raise ValueError("max_priority_fee_per_gas_wei must not exceed max_fee_per_gas_wei")

    @property
    def is_dynamic(self) -> bool:
        return self.gas_price_wei is None

    @property
    def cost_cap_per_gas_wei(self) -> int:
        """The most one unit of gas can cost under these fees."""
        return self.max_fee_per_gas_wei if self.is_dynamic else self.gas_price_wei  # type: ignore[return-value]

    def tx_fields(self) -> dict[str, int]:
        if self.is_dynamic:
            return {"type": 2, "maxFeePerGas": self.max_fee_per_gas_wei,  # type: ignore[dict-item]
                    "maxPriorityFeePerGas": self.max_priority_fee_per_gas_wei}  # type: ignore[dict-item]
        return {"gasPrice": self.gas_price_wei}  # type: ignore[dict-item]

    def to_json(self) -> dict[str, int | None]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class TxVersion:
    """One signed version of a tracked transaction."""

    tx_hash: str
    kind: VersionKind
    fees: Fees
    raw: bytes
    sent_ns: int | None


@dataclass(frozen=True, slots=True)
class TxRecord:
    """A tracked transaction as persisted: its request, nonce, state and what was mined."""

    tx_id: str
    chain_id: int
    sender: ChecksumAddress
    nonce: int
    purpose: TxPurpose
    to: ChecksumAddress
    data: bytes
    value_wei: int
    gas_limit: int
    state: TxState
    settled: bool
    mined_hash: str | None
    block_number: int | None
    block_hash: str | None
    detail: str
    created_ns: int
    updated_ns: int
    versions: tuple[TxVersion, ...] = ()

    @property
    def latest_version(self) -> TxVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def mined_version(self) -> TxVersion | None:
        return next((v for v in self.versions if v.tx_hash == self.mined_hash), None)


@dataclass(frozen=True, slots=True)
class TxEvent:
    """A state change of one tracked transaction (also a new version at the same state)."""

    tx_id: str
    sender: ChecksumAddress
    nonce: int
    previous: TxState | None
    state: TxState
    tx_hash: str | None
    block_number: int | None
    detail: str
    ts_ns: int


class RevertKind(StrEnum):
    ERROR_STRING = "error_string"  # Error(string), selector 0x08c379a0
    PANIC = "panic"  # Panic(uint256), selector 0x4e487b71
    CUSTOM = "custom"  # a custom error: its selector, decoded when its ABI was given
    EMPTY = "empty"  # revert without data (require without message, or out of gas)


@dataclass(frozen=True, slots=True)
class RevertReason:
    """Why a call reverted, decoded from the revert data."""

    kind: RevertKind
    selector: str | None
    message: str
    data: bytes
    name: str | None = None
    args: tuple[Any, ...] = ()

    def describe(self) -> str:
        if self.kind is RevertKind.CUSTOM:
            label = self.name or f"custom error {self.selector}"
            return f"{label}({', '.join(repr(a) for a in self.args)})" if self.name else label
        return self.message


class TxManagerConfig(BaseModel):
    """How the transaction manager persists, prices, confirms and replaces transactions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store_url: str = Field(
        default="sqlite:///.crossbook/txmanager.sqlite",
        description="SQLAlchemy URL of the nonce and transaction store (SQLite runs in WAL mode).",
    )
    busy_timeout_ms: int = Field(default=10_000, ge=0,
                                 description="SQLite: how long a writer waits for the lock.")
    confirmations: int = Field(default=12, ge=1,
                               description="Depth at which a mined transaction becomes FINAL.")
    poll_interval_s: float = Field(default=1.0, gt=0, description="Tracker poll period.")
    stuck_after_s: float = Field(default=60.0, ge=0,
                                 description="Time without inclusion before a speed-up.")
    auto_replace: bool = Field(default=True, description="Speed up stuck transactions.")
    cancel_after_s: float | None = Field(
        default=None, ge=0,
        description="Time since first sent after which a still-pending transaction is "
        "cancelled (0-value self-transfer at its nonce); None never cancels on its own.",
    )
    max_replacements: int = Field(default=5, ge=0,
                                  description="Automatic speed-ups per transaction at most.")
    replacement_bump_pct: int = Field(
        default=12, ge=10,
        description="Fee increase of a replacement; nodes require at least 10% (geth).",
    )
    fee_history_blocks: int = Field(default=10, ge=1, le=1024)
    priority_fee_percentile: int = Field(default=50, ge=0, le=100)
    base_fee_multiplier_pct: int = Field(
        default=200, ge=100,
        description="max fee = next base fee x this / 100 + priority fee (200 rides out ~6 "
        "full blocks of 12.5% base-fee rises).",
    )
    min_priority_fee_wei: int = Field(default=1_000_000, ge=0)
    max_priority_fee_cap_wei: int = Field(default=5 * 10**9, ge=0)
    max_fee_per_gas_cap_wei: int = Field(default=500 * 10**9, ge=1)
    gas_limit_margin_pct: int = Field(default=20, ge=0)
    rebroadcast: bool = Field(default=True,
                              description="Re-send a transaction that left the pool unmined.")
    max_rebroadcasts: int = Field(default=3, ge=0)
    lease_ttl_s: float = Field(
        default=60.0, gt=0,
        description="How long a reserved nonce belongs to its process before a restart may "
        "close it with a filler.",
    )
