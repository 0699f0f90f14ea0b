"""Safe transactions sent through the transaction manager, and the fills they produce as the
chain currently says.

`relay` hands a signed Safe transaction to the `TxManager` (simulated, priced, nonce-managed,
replaced when stuck) from a relayer account. `FillBook` follows the manager's events: a fill
exists while its transaction is mined in a canonical block, disappears when a reorg takes the
block away (the manager moves the transaction back to SENT), comes back when it is mined again,
and becomes final at the manager's confirmation depth. Every change is kept in `changes`, so
the engine can journal "fill booked" and "fill reversed" exactly as they happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from eth_typing import ChecksumAddress
from web3 import Web3

from chain.txmanager import TrackedTx, TxEvent, TxManager, TxRequest, TxState
from chain.wallet.executor import PoolFill, fills_from_receipt
from chain.wallet.safe import SafeTx
from chain.wallet.wallet import SafeWallet


async def relay(manager: TxManager, wallet: SafeWallet, tx: SafeTx, signatures: bytes,
                relayer: ChecksumAddress, tx_id: str) -> TrackedTx:
    """Send `execTransaction` for a signed Safe transaction; idempotent by `tx_id`."""
    data = bytes.fromhex(wallet.contract.encode_abi("execTransaction",
                                                    list(tx.exec_args(signatures)))[2:])
    return await manager.submit(TxRequest(sender=relayer, to=wallet.address, data=data),
                                tx_id=tx_id)


class FillChange(StrEnum):
    BOOKED = "booked"  # mined in a canonical block
    REVERSED = "reversed"  # that block was reorganised away
    FINAL = "final"  # at the configured confirmation depth


@dataclass(frozen=True, slots=True)
class FillEvent:
    change: FillChange
    tx_id: str
    fills: tuple[PoolFill, ...]


class FillBook:
    """The executor's fills of relayed transactions, kept in step with the chain."""

    def __init__(self, w3: Web3, executor: str) -> None:
        self.w3 = w3
        self.executor = Web3.to_checksum_address(executor)
        self.live: dict[str, tuple[PoolFill, ...]] = {}
        self.final: set[str] = set()
        self.changes: list[FillEvent] = []

    def on_event(self, event: TxEvent) -> None:
        """Subscribe this to `TxManager.subscribe`."""
        if event.state is TxState.MINED and event.tx_hash is not None:
            receipt = self.w3.eth.get_transaction_receipt(event.tx_hash)  # type: ignore[arg-type]
            fills = tuple(fills_from_receipt(self.w3, self.executor, receipt))
            self.live[event.tx_id] = fills
            self.changes.append(FillEvent(FillChange.BOOKED, event.tx_id, fills))
        elif event.state is TxState.FINAL and event.tx_id in self.live:
            self.final.add(event.tx_id)
            self.changes.append(FillEvent(FillChange.FINAL, event.tx_id,
                                          self.live[event.tx_id]))
        elif event.tx_id in self.live and event.state in (
                TxState.SENT, TxState.FAILED, TxState.REPLACED, TxState.DROPPED):
            fills = self.live.pop(event.tx_id)
            self.changes.append(FillEvent(FillChange.REVERSED, event.tx_id, fills))

    def fills(self) -> list[PoolFill]:
        return [fill for fills in self.live.values() for fill in fills]
