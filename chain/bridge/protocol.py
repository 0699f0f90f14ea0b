"""The `Bridge` protocol every bridge implements, and the values it speaks in.

A bridge moves `amount_raw` base units of a token from one chain to another in four steps:
`quote` (fee in the token, gas on each side, expected time), `send` (the source-chain leg),
`track` (where the transfer is) and `finalize` (wait for, or perform, the destination leg).
Code above this seam, such as the treasury planner, never asks which bridge it holds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from eth_typing import ChecksumAddress


class TransferStatus(enum.Enum):
    """Where a bridge transfer is."""

    # Sent on the source chain; not yet deep enough for the bridge to act on.
    PENDING = "pending"
    # Deep enough; the destination leg is being made.
    CONFIRMED = "confirmed"
    # The recipient holds the tokens on the destination chain.
    COMPLETED = "completed"


@dataclass(frozen=True)
class BridgeQuote:
    """What moving `amount_raw` of `token` from one chain to another costs and takes."""

    bridge: str
    source_chain_id: int
    destination_chain_id: int
    token: ChecksumAddress
    amount_raw: int
    fee_raw: int  # taken from the amount, in the token's base units
    source_gas: int  # gas units of the source leg (paid by the sender)
    expected_seconds: int

    @property
    def received_raw(self) -> int:
        """What arrives on the destination chain."""
        return self.amount_raw - self.fee_raw


@dataclass(frozen=True)
class BridgeTransfer:
    """A transfer the bridge accepted on the source chain."""

    bridge: str
    transfer_id: str  # 0x-prefixed 32 bytes, the bridge's own id
    source_chain_id: int
    destination_chain_id: int
    token: ChecksumAddress
    sender: ChecksumAddress
    recipient: ChecksumAddress
    amount_raw: int
    source_tx_hash: str
    source_block: int


@dataclass(frozen=True)
class TransferProgress:
    """The answer of `track`: the status and how deep the source leg is."""

    transfer_id: str
    status: TransferStatus
    confirmations: int
    required_confirmations: int


@runtime_checkable
class Bridge(Protocol):
    """Moves tokens between chains; every bridge, ours or a real one, implements this."""

    name: str

    def quote(
        self, source_chain_id: int, destination_chain_id: int, token: ChecksumAddress,
        amount_raw: int,
    ) -> BridgeQuote:
        """Fee, gas and expected time of moving `amount_raw`; `UnsupportedRoute` if none."""
        ...

    def send(
        self, quote: BridgeQuote, sender: ChecksumAddress, recipient: ChecksumAddress
    ) -> BridgeTransfer:
        """Make the source-chain leg of `quote` from `sender` for `recipient`."""
        ...

    def track(self, transfer: BridgeTransfer) -> TransferProgress:
        """Where `transfer` is now."""
        ...

    def finalize(self, transfer: BridgeTransfer, timeout_s: float) -> TransferProgress:
        """Complete (or wait for) the destination leg; `BridgeTimeout` if not done in time."""
        ...
