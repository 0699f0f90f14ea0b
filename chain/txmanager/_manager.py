"""The transaction manager: submit a call from an EOA sender and get back a tracked transaction.

`submit` simulates the call with `eth_call` at the pending block (a revert is refused with its
decoded reason and nothing is sent), estimates gas and EIP-1559 fees, reserves a nonce in the
store (under a lease), signs through the injected `TxSigner`, persists the signed bytes and
only then broadcasts. The tracker (`poll`, run in the background by `start`) moves each
transaction through its states; see `_tracking.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sqlalchemy.exc import IntegrityError

from chain.errors import RpcUnreachable
from chain.txmanager._fees import dynamic_fees, legacy_fees, replacement_fees
from chain.txmanager._handles import EventStream, TrackedTx
from chain.txmanager._model import (
    OUTCOME_STATES,
    Fees,
    TxEvent,
    TxManagerConfig,
    TxPurpose,
    TxRecord,
    TxRequest,
    TxState,
    TxVersion,
    VersionKind,
)
from chain.txmanager._revert import decode_revert, revert_data
from chain.txmanager._rpc import JsonRpc, RpcError
from chain.txmanager._store import TxStore
from chain.txmanager._tracking import Tracker
from chain.txmanager.errors import (
    BroadcastRejected,
    NotReplaceable,
    SimulationReverted,
    TxOutcome,
    UnknownSender,
    UnknownTransaction,
)
from chain.txmanager.signing import TxSigner

log = logging.getLogger(__name__)

_CANCEL_GAS = 21_000  # intrinsic gas of a plain transfer with no data
# Node messages (geth, anvil/reth) that mean "this exact transaction is already in the pool".
_KNOWN_MESSAGES = ("already known", "already imported")
_NONCE_USED_MESSAGES = ("nonce too low",)


class TxManager:
    """Sends EOA transactions for the senders it holds signers for, and tracks them to finality.

    Use `async with TxManager(...)` (open, reconcile, track in the background), or `open()` and
    drive the tracker with `poll()` yourself (tests, manual mining).
    """

    def __init__(
        self,
        rpc: JsonRpc | str,
        signers: Sequence[TxSigner],
        config: TxManagerConfig | None = None,
        errors_abi: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self.config = config or TxManagerConfig()
        self.rpc = JsonRpc(rpc) if isinstance(rpc, str) else rpc
        self._signers = {to_checksum_address(s.address): s for s in signers}
        self._errors_abi = list(errors_abi)
        self.store = TxStore(self.config.store_url, self.config.busy_timeout_ms)
        self.owner = uuid.uuid4().hex  # this manager's lease identity
        self._chain_id: int | None = None
        self._subscribers: list[Callable[[TxEvent], None]] = []
        self._changed = asyncio.Condition()
        self._loop_task: asyncio.Task[None] | None = None
        self._tracker = Tracker(self)

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            raise RuntimeError("TxManager.open() has not run")
        return self._chain_id

    @property
    def senders(self) -> list[ChecksumAddress]:
        return sorted(self._signers)

    async def open(self) -> None:
        """Read the chain id and reconcile the store with the chain (one tracker pass)."""
        self._chain_id = await self.rpc.chain_id()
        await self.reconcile()

    async def reconcile(self) -> None:
        """Resume everything in flight: re-send signed transactions whose lease expired, close
        nonces reserved but never signed, and check every sent or mined transaction.

        First, a store that is ahead of the chain's pending nonce with nothing in flight at
        those nonces (the chain was reset or reverted under it) is rewound to the chain, so new
        transactions do not wait behind nonces that no longer exist."""
        for sender in self.senders:
            pending = await self.rpc.nonce(sender, "pending")
            rewound = self.store.rewind(self.chain_id, sender, pending)
            if rewound is not None:
                log.warning("nonce store for %s was at %d, chain pending at %d: rewound",
                            sender, rewound, pending)
        await self._tracker.poll()

    def start(self) -> None:
        """Run the tracker in the background every `poll_interval_s`."""
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._run(), name="txmanager-tracker")

    async def _run(self) -> None:
        while True:
            try:
                await self._tracker.poll()
            except RpcUnreachable as exc:
                log.warning("tracker pass skipped: %s", exc)
            await asyncio.sleep(self.config.poll_interval_s)

    async def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        await self.rpc.close()
        self.store.close()

    async def __aenter__(self) -> TxManager:
        await self.open()
        self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def poll(self) -> None:
        """One tracker pass over every unsettled transaction of our senders."""
        await self._tracker.poll()

    # --- submit -------------------------------------------------------------------------------

    async def submit(self, request: TxRequest, tx_id: str | None = None,
                     errors_abi: Iterable[Mapping[str, Any]] = ()) -> TrackedTx:
        """Simulate, price, reserve a nonce, sign and broadcast `request`.

        `tx_id` makes the call idempotent: submitting an id already tracked returns its handle
        and sends nothing. A simulated revert raises SimulationReverted and nothing is reserved
        or sent. A node that is down leaves the transaction SIGNED; the tracker re-sends it.
        """
        if tx_id is not None and self._exists(tx_id):
            return TrackedTx(self, tx_id)
        self._signer(request.sender)
        call = _call_fields(request)
        abi = [*self._errors_abi, *errors_abi]
        await self._simulate(call, abi)
        gas_limit = request.gas_limit or await self._estimate_gas(call, abi)
        fees = await self.estimate_fees()
        pending_nonce = await self.rpc.nonce(request.sender, "pending")
        record = self._new_record(tx_id or uuid.uuid4().hex, request, gas_limit, TxPurpose.CALL)
        try:
            record, created = self.store.reserve(
                record, pending_nonce, self.owner, time.time_ns() + self._lease_ns())
        except IntegrityError:  # the same tx_id was reserved concurrently
            return TrackedTx(self, record.tx_id)
        await self._emit(created)
        await self.sign_and_send(record, fees)
        return TrackedTx(self, record.tx_id)

    def _exists(self, tx_id: str) -> bool:
        try:
            self.store.get(tx_id)
        except UnknownTransaction:
            return False
        return True

    def _new_record(self, tx_id: str, request: TxRequest, gas_limit: int,
                    purpose: TxPurpose, nonce: int = -1) -> TxRecord:
        now = time.time_ns()
        return TxRecord(
            tx_id=tx_id, chain_id=self.chain_id, sender=request.sender, nonce=nonce,
            purpose=purpose, to=request.to, data=request.data, value_wei=request.value_wei,
            gas_limit=gas_limit, state=TxState.CREATED, settled=False, mined_hash=None,
            block_number=None, block_hash=None, detail=f"{purpose} reserved", created_ns=now,
            updated_ns=now)

    def _lease_ns(self) -> int:
        return int(self.config.lease_ttl_s * 1e9)

    def _signer(self, sender: str) -> TxSigner:
        signer = self._signers.get(to_checksum_address(sender))
        if signer is None:
            raise UnknownSender(sender, self.senders)
        return signer

    async def _simulate(self, call: Mapping[str, Any], abi: list[Mapping[str, Any]]) -> None:
        try:
            await self.rpc.call(call, "pending")
        except RpcError as exc:
            raise _reverted(call, exc, abi) from exc

    async def _estimate_gas(self, call: Mapping[str, Any], abi: list[Mapping[str, Any]]) -> int:
        try:
            estimate = await self.rpc.estimate_gas(call, "pending")
        except RpcError as exc:
            raise _reverted(call, exc, abi) from exc
        return estimate * (100 + self.config.gas_limit_margin_pct) // 100

    async def estimate_fees(self) -> Fees:
        """EIP-1559 fees from `eth_feeHistory`, or a legacy gas price on a node without 1559."""
        try:
            history = await self.rpc.fee_history(self.config.fee_history_blocks,
                                                 self.config.priority_fee_percentile)
        except RpcError:
            history = {}
        fees = dynamic_fees(history, self.config)
        return fees if fees is not None else legacy_fees(await self.rpc.gas_price(), self.config)

    # --- signing and broadcast ----------------------------------------------------------------

    async def sign_and_send(self, record: TxRecord, fees: Fees) -> None:
        """Sign the CREATED `record` as its original version, persist it, then broadcast."""
        try:
            raw = await self._signer(record.sender).sign_transaction(
                _transaction(record, fees, cancel=False))
        except Exception as exc:
            await self._tracker.drop(record, f"signing failed: {type(exc).__name__}")
            raise
        version = TxVersion(_hash(raw), VersionKind.ORIGINAL, fees, raw, None)
        signed = self.store.transition(record.tx_id, TxState.CREATED, TxState.SIGNED,
                                       "signed", version=version)
        if signed is None:
            return
        await self._emit(signed[1])
        await self.broadcast(signed[0], version)

    async def broadcast(self, record: TxRecord, version: TxVersion, detail: str = "sent") -> bool:
        """Send `version` of `record`; True when the node has it. A refusal of a SIGNED record
        drops it (and closes its nonce); a refusal of a replacement raises BroadcastRejected."""
        try:
            await self.rpc.send_raw(version.raw)
        except RpcUnreachable as exc:
            log.warning("broadcast of %s deferred: %s", version.tx_hash, exc)
            return False
        except RpcError as exc:
            message = exc.node_message.lower()
            if any(m in message for m in _KNOWN_MESSAGES):
                pass
            elif any(m in message for m in _NONCE_USED_MESSAGES):
                detail = f"{detail}; node says the nonce is used, the tracker decides by whom"
            elif record.state is TxState.SIGNED:
                await self._tracker.drop(record, f"node refused: {exc.node_message}")
                raise BroadcastRejected(version.tx_hash, exc.code, exc.node_message) from exc
            else:
                raise BroadcastRejected(version.tx_hash, exc.code, exc.node_message) from exc
        self.store.mark_sent(version.tx_hash, time.time_ns())
        sent = self.store.transition(record.tx_id, record.state, TxState.SENT, detail,
                                     tx_hash=version.tx_hash)
        if sent is not None:
            await self._emit(sent[1])
        return True

    # --- replacement --------------------------------------------------------------------------

    async def speed_up(self, tx_id: str) -> TxVersion:
        """Re-send the transaction at the same nonce with fees bumped by at least
        `replacement_bump_pct` (and no lower than a fresh estimate)."""
        return await self._replace(tx_id, cancel=False)

    async def cancel(self, tx_id: str) -> TxVersion:
        """Replace the transaction with a 0-value transfer to its sender at the same nonce."""
        return await self._replace(tx_id, cancel=True)

    async def _replace(self, tx_id: str, cancel: bool) -> TxVersion:
        record = self.store.get(tx_id)
        latest = record.latest_version
        if record.state is not TxState.SENT or latest is None:
            raise NotReplaceable(tx_id, record.state)
        # Once cancelled, every later version stays a cancel.
        cancel = cancel or any(v.kind is VersionKind.CANCEL for v in record.versions)
        fees = replacement_fees(latest.fees, await self.estimate_fees(), self.config)
        raw = await self._signer(record.sender).sign_transaction(
            _transaction(record, fees, cancel=cancel))
        kind = VersionKind.CANCEL if cancel else VersionKind.SPEED_UP
        version = TxVersion(_hash(raw), kind, fees, raw, None)
        self.store.add_version(tx_id, version)
        counters = self.store.counters(tx_id)
        self.store.update_fields(tx_id, replacements=counters["replacements"] + 1)
        await self.broadcast(record, version, detail=f"{kind} sent")
        return version

    # --- events -------------------------------------------------------------------------------

    def get(self, tx_id: str) -> TxRecord:
        return self.store.get(tx_id)

    def history(self, tx_id: str) -> list[TxEvent]:
        """Every persisted state change of `tx_id`, oldest first."""
        return self.store.events(tx_id)

    def subscribe(self, callback: Callable[[TxEvent], None]) -> Callable[[], None]:
        """Call `callback` on every state change; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def events(self) -> EventStream:
        """Every state change from this call on, as an async iterator (close it when done)."""
        return EventStream(self)

    async def _emit(self, tx_event: TxEvent) -> None:
        log.info("tx %s nonce %d: %s -> %s %s", tx_event.tx_id, tx_event.nonce,
                 tx_event.previous, tx_event.state, tx_event.detail)
        for callback in list(self._subscribers):
            callback(tx_event)
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, tx_id: str, state: TxState, timeout_s: float) -> TxRecord:
        async def settle() -> TxRecord:
            while True:
                async with self._changed:
                    record = self.store.get(tx_id)
                    if _reached(record, state):
                        return record
                    if record.state in OUTCOME_STATES and record.state is not TxState.MINED:
                        raise TxOutcome(record, state)
                    await self._changed.wait()

        return await asyncio.wait_for(settle(), timeout_s)


def _reached(record: TxRecord, state: TxState) -> bool:
    return record.state is state or (state is TxState.MINED and record.state is TxState.FINAL)


def _call_fields(request: TxRequest) -> dict[str, Any]:
    call: dict[str, Any] = {"from": request.sender, "to": request.to,
                            "data": "0x" + request.data.hex(), "value": hex(request.value_wei)}
    if request.gas_limit is not None:
        call["gas"] = hex(request.gas_limit)
    return call


def _reverted(call: Mapping[str, Any], exc: RpcError,
              abi: list[Mapping[str, Any]]) -> Exception:
    """A SimulationReverted for a revert answer; other node errors pass through unchanged."""
    data = revert_data(exc.error)
    if data or exc.code == 3 or "revert" in exc.node_message.lower():
        return SimulationReverted(str(call["to"]), decode_revert(data, exc.node_message, abi))
    return exc


def _transaction(record: TxRecord, fees: Fees, cancel: bool) -> dict[str, Any]:
    """The transaction dict to sign: the call itself, or its cancel (0 value to the sender)."""
    tx: dict[str, Any] = {
        "chainId": record.chain_id, "nonce": record.nonce,
        "to": record.sender if cancel else record.to,
        "value": 0 if cancel else record.value_wei,
        "data": b"" if cancel else record.data,
        "gas": _CANCEL_GAS if cancel else record.gas_limit,
    }
    tx.update(fees.tx_fields())
    return tx


def _hash(raw: bytes) -> str:
    return "0x" + keccak(raw).hex()

