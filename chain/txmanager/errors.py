"""Errors raised by the transaction manager, under the `chain` error root.

    ChainError
    ├── RetryableChainError
    │   ├── NonceLeaseBusy           the nonce store stayed locked by another writer
    │   └── BroadcastFailed          the node did not take a transaction; it may later
    └── TerminalChainError
        ├── SimulationReverted       `eth_call` at the pending block reverted; nothing was sent
        ├── BroadcastRejected        the node refused a transaction for good (funds, nonce, fee)
        ├── UnknownSender            no signer is configured for the sending account
        ├── UnknownTransaction       no tracked transaction under that id
        ├── IllegalTxTransition      a state change the transition table does not allow
        ├── NotReplaceable           speed-up/cancel of a transaction that is no longer pending
        ├── FeeCapReached            a replacement would need fees above the configured cap
        └── TxOutcome                a wait ended in a state other than the one awaited
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chain.errors import RetryableChainError, TerminalChainError

if TYPE_CHECKING:
    from chain.txmanager._model import RevertReason, TxRecord, TxState


class NonceLeaseBusy(RetryableChainError):
    """The nonce store could not be locked in time (another process holds it)."""

    def __init__(self, sender: str, detail: str) -> None:
        self.sender = sender
        super().__init__(f"could not reserve a nonce for {sender}: {detail}; try again")


class BroadcastFailed(RetryableChainError):
    """Sending a raw transaction failed in a way that may pass on a later try (node down)."""

    def __init__(self, tx_hash: str, detail: str) -> None:
        self.tx_hash = tx_hash
        super().__init__(f"broadcast of {tx_hash} failed: {detail}; it is kept and re-sent")


class SimulationReverted(TerminalChainError):
    """The call reverted when simulated at the pending block, so it was never sent."""

    def __init__(self, to: str, reason: RevertReason) -> None:
        self.to = to
        self.reason = reason
        super().__init__(f"call to {to} reverts in simulation: {reason.describe()}; not sent")


class BroadcastRejected(TerminalChainError):
    """The node refused a transaction; `code` is the node's JSON-RPC error code."""

    def __init__(self, tx_hash: str, code: int, message: str) -> None:
        self.tx_hash = tx_hash
        self.code = code
        self.node_message = message
        super().__init__(f"node refused {tx_hash}: {message} (code {code})")


class UnknownSender(TerminalChainError):
    """The request names a sender that has no signer in this manager."""

    def __init__(self, sender: str, known: Sequence[str]) -> None:
        self.sender = sender
        super().__init__(
            f"sender {sender} has no signer here; configured senders: {', '.join(known) or 'none'}"
        )


class UnknownTransaction(TerminalChainError):
    """No transaction is tracked under the given id."""

    def __init__(self, tx_id: str) -> None:
        self.tx_id = tx_id
        super().__init__(f"no tracked transaction with id {tx_id!r}")


class IllegalTxTransition(TerminalChainError):
    """A state change that the transaction state table does not allow."""

    def __init__(self, tx_id: str, current: TxState, target: TxState) -> None:
        self.tx_id = tx_id
        self.current = current
        self.target = target
        super().__init__(f"transaction {tx_id}: {current} -> {target} is not a legal transition")


class NotReplaceable(TerminalChainError):
    """Only a sent, not yet mined transaction can be sped up or cancelled."""

    def __init__(self, tx_id: str, state: TxState) -> None:
        self.tx_id = tx_id
        self.state = state
        super().__init__(
            f"transaction {tx_id} is {state}; only a sent, unmined transaction can be replaced"
        )


class FeeCapReached(TerminalChainError):
    """Replacing would need a fee above the configured cap; raise the cap or wait."""

    def __init__(self, field: str, needed_wei: int, cap_wei: int) -> None:
        self.field = field
        self.needed_wei = needed_wei
        self.cap_wei = cap_wei
        super().__init__(
            f"{field} would have to be {needed_wei} wei, above the cap of {cap_wei} wei; "
            "raise the cap in the transaction manager config to replace this transaction"
        )


class TxOutcome(TerminalChainError):
    """A wait for one state ended in another terminal state (failed, replaced, dropped)."""

    def __init__(self, record: TxRecord, wanted: TxState) -> None:
        self.record = record
        self.wanted = wanted
        super().__init__(
            f"transaction {record.tx_id} (nonce {record.nonce}) ended {record.state}, "
            f"not {wanted}: {record.detail or 'no detail'}"
        )
