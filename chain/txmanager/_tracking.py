"""The tracker: one pass (`poll`) moves every unsettled transaction of the manager's senders.

- CREATED whose lease expired: the process that reserved the nonce never signed; DROPPED, and
  the nonce is closed (released if it was the last one, else filled with a 0-value transfer).
- SIGNED: persisted but not accepted by the node (crash, node down): re-sent.
- SENT: a receipt for any version makes it MINED / FAILED (status 0) / REPLACED (our cancel);
  the nonce used with no receipt of ours makes it REPLACED; gone from the pool makes it
  re-broadcast (re-priced if the node says it is now underpriced) or DROPPED; pending longer
  than `stuck_after_s` makes it sped up, longer than `cancel_after_s` (when set) cancelled.
- MINED / FAILED / REPLACED: if the receipt's block is no longer canonical (reorg), back to
  SENT; at `confirmations` deep, MINED becomes FINAL and the record is settled.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress

from chain.errors import ChainError, RpcUnreachable
from chain.txmanager._model import TxPurpose, TxRecord, TxRequest, TxState, VersionKind
from chain.txmanager._rpc import RpcError

if TYPE_CHECKING:
    from chain.txmanager._manager import TxManager

log = logging.getLogger(__name__)

# Node messages meaning the fee no longer clears the pool (geth, anvil).
_UNDERPRICED = ("base fee", "underpriced", "fee too low")
_FILLER_GAS = 21_000


class Tracker:
    """Moves tracked transactions through their states from what the node reports."""

    def __init__(self, manager: TxManager) -> None:
        self.m = manager

    async def poll(self) -> None:
        """One pass over every unsettled transaction of the manager's senders."""
        if not self.m.senders:
            return
        head = await self.m.rpc.block_number()
        latest = {s: await self.m.rpc.nonce(s, "latest") for s in self.m.senders}
        for record in self.m.store.unsettled(self.m.chain_id, self.m.senders):
            try:
                await self._track(record, head, latest[record.sender])
            except RpcUnreachable:
                raise
            except ChainError as exc:
                # One transaction's trouble (a refused replacement, a fee cap) must not stop
                # the others from being tracked; it is retried on the next pass.
                log.warning("tx %s: %s", record.tx_id, exc)

    async def _track(self, record: TxRecord, head: int, latest_nonce: int) -> None:
        if record.state is TxState.CREATED:
            if self._lease_expired(record):
                await self.drop(record, "nonce reserved but never signed; its lease expired")
        elif record.state is TxState.SIGNED:
            version = record.latest_version
            if version is not None and (self._is_mine(record) or self._lease_expired(record)):
                await self.m.broadcast(record, version, detail="re-sent signed transaction")
        elif record.state is TxState.SENT:
            await self._track_pending(record, head, latest_nonce)
        else:
            await self._track_mined(record, head)

    def _lease(self, record: TxRecord) -> dict[str, Any]:
        return self.m.store.counters(record.tx_id)

    def _lease_expired(self, record: TxRecord) -> bool:
        expires = self._lease(record)["lease_expires_ns"]
        return expires is None or expires < time.time_ns()

    def _is_mine(self, record: TxRecord) -> bool:
        return bool(self._lease(record)["lease_owner"] == self.m.owner)

    # --- pending ------------------------------------------------------------------------------

    async def _track_pending(self, record: TxRecord, head: int, latest_nonce: int) -> None:
        for version in reversed(record.versions):
            receipt = await self.m.rpc.receipt(version.tx_hash)
            if receipt is not None and receipt.get("blockHash"):
                await self._on_mined(record, version.tx_hash, receipt, head)
                return
        if latest_nonce > record.nonce:
            # The nonce count was read before the receipts: had one of ours used it, its
            # receipt would have been found above.
            await self._move(record, TxState.REPLACED, "nonce used by a transaction this "
                             "manager did not send", settled=True)
            return
        if not await self._in_pool(record):
            await self._on_missing(record)
        elif self._cancel_due(record):
            await self.m.cancel(record.tx_id)
        elif self._is_stuck(record):
            await self.m.speed_up(record.tx_id)

    async def _in_pool(self, record: TxRecord) -> bool:
        for version in reversed(record.versions):
            if await self.m.rpc.transaction(version.tx_hash) is not None:
                return True
        return False

    def _cancel_due(self, record: TxRecord) -> bool:
        """Pending longer than `cancel_after_s` since first sent, and not cancelled yet."""
        after_s = self.m.config.cancel_after_s
        first = record.versions[0] if record.versions else None
        if after_s is None or first is None:
            return False
        if any(v.kind is VersionKind.CANCEL for v in record.versions):
            return False
        return time.time_ns() - (first.sent_ns or record.created_ns) >= after_s * 1e9

    def _is_stuck(self, record: TxRecord) -> bool:
        config = self.m.config
        latest = record.latest_version
        if not config.auto_replace or latest is None:
            return False
        if self._lease(record)["replacements"] >= config.max_replacements:
            return False
        since_ns = latest.sent_ns or record.updated_ns
        return time.time_ns() - since_ns >= config.stuck_after_s * 1e9

    async def _on_missing(self, record: TxRecord) -> None:
        """A sent transaction left the pool unmined: re-broadcast it, re-price it, or drop it."""
        config = self.m.config
        count = self._lease(record)["rebroadcasts"]
        version = record.latest_version
        if not config.rebroadcast or count >= config.max_rebroadcasts or version is None:
            await self.drop(record, "left the node's pool without being mined")
            return
        self.m.store.update_fields(record.tx_id, rebroadcasts=count + 1)
        try:
            await self.m.rpc.send_raw(version.raw)
        except RpcError as exc:
            if any(m in exc.node_message.lower() for m in _UNDERPRICED):
                await self.m.speed_up(record.tx_id)  # re-priced from a fresh fee estimate
                return
            await self.drop(record, f"left the pool; re-broadcast refused: {exc.node_message}")
            return
        await self._move(record, TxState.SENT, "re-broadcast after leaving the pool",
                         tx_hash=version.tx_hash)

    async def _on_mined(self, record: TxRecord, tx_hash: str, receipt: dict[str, Any],
                        head: int) -> None:
        version = next(v for v in record.versions if v.tx_hash == tx_hash)
        if version.kind is VersionKind.CANCEL:
            target, detail = TxState.REPLACED, "the cancel was mined"
        elif int(receipt["status"], 16) == 1:
            target, detail = TxState.MINED, f"mined ({version.kind})"
        else:
            target, detail = TxState.FAILED, "reverted on chain"
        moved = await self._move(
            record, target, detail, tx_hash=tx_hash, mined_hash=tx_hash,
            block_number=int(receipt["blockNumber"], 16), block_hash=receipt["blockHash"])
        if moved is not None:
            await self._track_mined(moved, head)

    # --- mined --------------------------------------------------------------------------------

    async def _track_mined(self, record: TxRecord, head: int) -> None:
        assert record.block_number is not None and record.mined_hash is not None
        canonical = await self.m.rpc.block_hash(record.block_number)
        receipt = await self.m.rpc.receipt(record.mined_hash)
        if canonical != record.block_hash or receipt is None \
                or receipt.get("blockHash") != record.block_hash:
            await self._move(record, TxState.SENT,
                             f"reorg: block {record.block_number} is no longer canonical",
                             tx_hash=record.mined_hash, mined_hash=None, block_number=None,
                             block_hash=None)
            return
        if head - record.block_number + 1 < self.m.config.confirmations:
            return
        if record.state is TxState.MINED:
            await self._move(record, TxState.FINAL,
                             f"{self.m.config.confirmations} confirmations", settled=True)
        else:
            self.m.store.update_fields(record.tx_id, settled=True)

    # --- dropping and gaps --------------------------------------------------------------------

    async def _move(self, record: TxRecord, target: TxState, detail: str,
                    **fields: Any) -> TxRecord | None:
        moved = self.m.store.transition(record.tx_id, record.state, target, detail, **fields)
        if moved is None:
            return None
        await self.m._emit(moved[1])
        return moved[0]

    async def drop(self, record: TxRecord, detail: str) -> None:
        """Mark `record` DROPPED and close its nonce so later nonces are not stuck behind it."""
        if await self._move(record, TxState.DROPPED, detail, settled=True) is not None:
            await self.close_nonce(record.sender, record.nonce)

    async def close_nonce(self, sender: ChecksumAddress, nonce: int) -> None:
        """Hand back `nonce` if it was the last reserved; else send a filler at it."""
        if nonce < await self.m.rpc.nonce(sender, "latest"):
            return  # already used on chain
        live = [r for r in self.m.store.at_nonce(self.m.chain_id, sender, nonce)
                if r.state is not TxState.DROPPED]
        if live or self.m.store.release(self.m.chain_id, sender, nonce):
            return
        request = TxRequest(sender=sender, to=sender, gas_limit=_FILLER_GAS)
        filler = self.m._new_record(f"filler-{sender.lower()}-{nonce}-{time.time_ns()}",
                                    request, _FILLER_GAS, TxPurpose.FILLER, nonce=nonce)
        filler, created = self.m.store.insert_at_nonce(
            filler, self.m.owner, time.time_ns() + self.m._lease_ns())
        await self.m._emit(created)
        await self.m.sign_and_send(filler, await self.m.estimate_fees())
