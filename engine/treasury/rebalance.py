"""Execute a treasury plan: every transfer journaled write-ahead, screened, signed and sent in
dependency order, tracked until it arrived; and, after a restart, finished exactly once.

The pieces:

- `TransferExecutor` drives one journaled transfer from whatever state the journal says it is
  in to a terminal one. A Safe leg (a bridge lock/burn, a deposit to an exchange) is screened by
  compliance before anything is signed, signed by the owners' signers (each under its signer
  policy) and journaled `signed` with the exact Safe transaction and signatures *before* it is
  broadcast; it is `sent` once its receipt is known and `arrived` once the destination has it
  (the bridge contract says minted/released; the exchange's deposit history says credited). An
  exchange withdrawal carries the transfer id as the venue's client withdrawal id, so the venue
  itself says whether it was already asked.
- `reconcile` asks each non-terminal transfer's source of truth where it really is: a `signed`
  Safe leg whose Safe nonce has moved on was executed (its `ExecutionSuccess` log names the
  Safe transaction hash) or was overtaken by another transaction (then it is signed again); a
  `sent` leg asks the bridge contract or the venue. Nothing is ever sent a second time: the same
  signed Safe transaction executes at most once (its nonce), and a withdrawal is looked up by its
  client id before it is requested.
- `run_transfers` runs a set of journaled transfers in dependency order (a transfer out of a
  holding waits until every transfer into it arrived; if one of those is refused or fails, the
  dependants are cancelled, never sent).

A leg refused by compliance raises nothing here: it is journaled `refused` with the reasons, and
`LegRefused` is what the single-leg helper (`send_bridge_leg`) raises.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from chain.bridge import BridgeQuote, BridgeTransfer, LockMintBridge, TransferStatus
from chain.signers import Signer, SigningRefused
from chain.signers.quorum import QuorumNotReached
from chain.wallet import Call, SafeTx, SafeWallet, safe_tx_hash
from engine.errors import RetryableError, TerminalError
from engine.treasury.journal import TransferJournal, TransferRecord, TransferState
from engine.treasury.planner import Holding, PathKind
from risk.compliance import AddressRole, Decision, Screener, ScreeningRequest

_log = logging.getLogger("crossbook.treasury")
_ERC20_TRANSFER_ABI: list[dict[str, Any]] = [{
    "type": "function", "name": "transfer", "stateMutability": "nonpayable",
    "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
    "outputs": [{"name": "", "type": "bool"}],
}]
_ERC20_BALANCE_ABI: list[dict[str, Any]] = [{
    "type": "function", "name": "balanceOf", "stateMutability": "view",
    "inputs": [{"name": "account", "type": "address"}],
    "outputs": [{"name": "", "type": "uint256"}],
}]
# Fault injection for the crash tests: the process SIGKILLs itself at this point of its first
# leg (`intent`: all intents journaled, nothing signed; `signed`: signatures journaled, nothing
# broadcast; `broadcast`: execTransaction sent or the withdrawal requested, `sent` not
# journaled; `sent`: before waiting for arrival).
CRASH_POINTS = ("intent", "signed", "broadcast", "sent")


class LegRefused(TerminalError):
    """Compliance did not allow a treasury leg; nothing was signed or sent."""

    def __init__(self, request_id: str, decision: Decision, reasons: Sequence[str]) -> None:
        self.request_id = request_id
        self.decision = decision
        self.reasons = tuple(reasons)
        super().__init__(f"treasury leg {request_id} refused by compliance ({decision.value}): "
                         f"{'; '.join(self.reasons) or 'no reason given'}")


class ArrivalTimeout(RetryableError):
    """Transfers were still on their way when the wait ended; they stay journaled."""

    def __init__(self, transfer_ids: Sequence[str], waited_s: float) -> None:
        self.transfer_ids = tuple(transfer_ids)
        super().__init__(f"{len(transfer_ids)} transfer(s) not arrived after {waited_s:.0f} s "
                         f"({', '.join(transfer_ids)}); they are journaled: run the rebalance "
                         "again to resume them")


@dataclass(frozen=True)
class ExchangeMove:
    """A deposit or withdrawal as the venue reports it."""

    move_id: str
    status: str  # "pending" | "ok" | "failed"
    tx_hash: str | None = None


class VenueRail(Protocol):
    """What the treasury needs from a venue's deposit and withdrawal endpoints."""

    async def deposit_address(self, asset: str, chain_id: int) -> str: ...

    async def deposit_by_tx(self, asset: str, tx_hash: str) -> ExchangeMove | None: ...

    async def withdraw(self, asset: str, amount: Decimal, address: str, chain_id: int,
                       client_id: str) -> str: ...

    async def withdrawal_by_client_id(self, asset: str, client_id: str
                                      ) -> ExchangeMove | None: ...


def screen_addresses(screener: Screener, request_id: str, venue: str,
                     subjects: Sequence[tuple[str, AddressRole]]) -> None:
    """Raise `LegRefused` unless every address is allowed."""
    decision = screener.screen(ScreeningRequest.of(request_id, venue, list(subjects)))
    if decision.decision is not Decision.ALLOW:
        raise LegRefused(request_id, decision.decision,
                         [f"{r.code.value}: {r.text}" for r in decision.reasons])


def screen_bridge_leg(screener: Screener, request_id: str, bridge: LockMintBridge,
                      quote: BridgeQuote, recipient: ChecksumAddress) -> None:
    """Raise `LegRefused` unless every address of the leg is allowed."""
    route = bridge.route(quote.source_chain_id, quote.destination_chain_id, quote.token)
    screen_addresses(screener, request_id, bridge.name, [
        (recipient, AddressRole.RECIPIENT),
        (quote.token, AddressRole.TOKEN),
        (route.contract, AddressRole.COUNTERPARTY),
    ])


async def send_bridge_leg(
    *, request_id: str, bridge: LockMintBridge, quote: BridgeQuote,
    recipient: ChecksumAddress, wallet: SafeWallet, signers: Sequence[Signer],
    relayer: ChecksumAddress, screener: Screener,
) -> BridgeTransfer:
    """Screen, sign and execute one bridge leg from the Safe `wallet` (no journal)."""
    screen_bridge_leg(screener, request_id, bridge, quote, recipient)
    calls = bridge.source_calls(quote, recipient)
    tx = wallet.build(calls)
    signatures = await wallet.collect(wallet.request(tx), signers)
    receipt = wallet.execute(tx, signatures, relayer)
    return bridge.transfer_from_receipt(quote, wallet.address, recipient, receipt)


@dataclass
class TreasuryDesk:
    """What executing transfers needs: the chains, the bridge, the Safe owners' signers, the
    account that submits Safe transactions, the screener and the venues' rails."""

    chains: dict[int, dict[str, Any]]  # chain id -> devnet chain manifest
    bridge: LockMintBridge
    signers: Sequence[Signer]
    sender: ChecksumAddress
    screener: Screener
    addresses: Callable[[str, int], ChecksumAddress]  # (wallet name, chain id) -> address
    # (asset, chain id) -> the tokens that count as the asset there, the chain's own first
    token_addresses: Callable[[str, int], list[ChecksumAddress]]
    decimals: dict[str, int]
    rails: dict[str, VenueRail] = field(default_factory=dict)
    crash_at: str | None = None
    _wallets: dict[tuple[str, int], SafeWallet] = field(default_factory=dict)

    def wallet(self, holding: Holding) -> SafeWallet:
        assert holding.chain_id is not None
        key = (holding.location, holding.chain_id)
        if key not in self._wallets:
            chain = self.chains[holding.chain_id]
            w3 = Web3(Web3.HTTPProvider(chain["rpc_url"], request_kwargs={"timeout": 30}))
            self._wallets[key] = SafeWallet(w3, self.addresses(*key),
                                            chain["safe"]["multi_send_call_only"])
        return self._wallets[key]

    def raw(self, asset: str, amount: Decimal) -> int:
        return int(amount.scaleb(self.decimals[asset]))

    def crash(self, point: str) -> None:
        """SIGKILL this process at `point` when the crash test asked for it (once)."""
        if self.crash_at == point:
            _log.warning("injected SIGKILL at %s", point)
            os.kill(os.getpid(), signal.SIGKILL)


class TransferExecutor:
    """Drives journaled transfers to a terminal state (see the module docstring)."""

    def __init__(self, desk: TreasuryDesk, journal: TransferJournal) -> None:
        self.desk = desk
        self.journal = journal

    # --- one transfer ------------------------------------------------------------------------

    async def send(self, record: TransferRecord) -> TransferRecord:
        """Take an `intent` or `signed` transfer to `sent` (or refused/failed)."""
        if record.kind is PathKind.CEX_WITHDRAWAL:
            return await self._withdraw(record)
        if record.kind not in (PathKind.BRIDGE, PathKind.CEX_DEPOSIT):
            return self.journal.advance(record, TransferState.FAILED,
                                        detail=f"no executor for {record.kind.value} legs")
        if record.state is TransferState.INTENT:
            record = await self._sign(record)
            if record.state is not TransferState.SIGNED:
                return record
            self.desk.crash("signed")
        return await self._broadcast(record)

    async def arrived(self, record: TransferRecord) -> TransferRecord:
        """`sent` -> `arrived` when the destination has it; unchanged otherwise."""
        facts = record.facts
        if record.kind is PathKind.BRIDGE:
            progress = self.desk.bridge.track(_bridge_transfer(facts["bridge_transfer"]))
            if progress.status is TransferStatus.COMPLETED:
                return self.journal.advance(record, TransferState.ARRIVED,
                                            proof="bridge contract: completed")
            return record
        rail = self._rail(record)
        if record.kind is PathKind.CEX_DEPOSIT:
            move = await rail.deposit_by_tx(record.asset, facts["tx_hash"])
        else:
            move = await rail.withdrawal_by_client_id(record.asset, record.transfer_id)
        if move is None or move.status == "pending":
            return record
        if move.status == "ok":
            return self.journal.advance(record, TransferState.ARRIVED,
                                        proof=f"venue reports {move.move_id} ok",
                                        chain_tx_hash=move.tx_hash)
        return self.journal.advance(record, TransferState.FAILED,
                                    detail=f"venue reports {move.move_id} {move.status}")

    async def reconcile(self, record: TransferRecord) -> TransferRecord:
        """Bring a transfer read back from the journal in line with its source of truth."""
        if record.state is TransferState.SIGNED:
            return await self._settle_signed(record)
        if record.state is TransferState.SENT:
            return await self.arrived(record)
        if record.state is TransferState.INTENT and record.kind is PathKind.CEX_WITHDRAWAL:
            move = await self._rail(record).withdrawal_by_client_id(record.asset,
                                                                     record.transfer_id)
            if move is not None:
                return self.journal.advance(record, TransferState.SENT,
                                            withdrawal_id=move.move_id, recovered=True)
        return record

    # --- Safe legs ---------------------------------------------------------------------------

    async def _sign(self, record: TransferRecord) -> TransferRecord:
        try:
            calls, subjects, venue, token = await self._safe_calls(record)
            screen_addresses(self.desk.screener, record.transfer_id, venue, subjects)
        except LegRefused as refused:
            _log.warning("%s", refused)
            return self.journal.advance(record, TransferState.REFUSED,
                                        decision=refused.decision.value,
                                        reasons=list(refused.reasons))
        wallet = self.desk.wallet(record.source)
        tx = wallet.build(calls)
        try:
            signatures = await wallet.collect(wallet.request(tx), self.desk.signers)
        except (SigningRefused, QuorumNotReached) as refused:
            _log.warning("transfer %s: %s", record.transfer_id, refused)
            return self.journal.advance(record, TransferState.REFUSED,
                                        decision="signer_policy", reasons=[str(refused)])
        return self.journal.advance(
            record, TransferState.SIGNED, safe=wallet.address, safe_tx=_tx_json(tx),
            safe_tx_hash=Web3.to_hex(safe_tx_hash(wallet.chain_id, wallet.address, tx)),
            signatures=Web3.to_hex(signatures), signed_at_block=wallet.w3.eth.block_number,
            token=token, recipient=subjects[0][0])

    async def _safe_calls(self, record: TransferRecord
                          ) -> tuple[list[Call], list[tuple[str, AddressRole]], str, str]:
        """The leg's calls, the addresses to screen (recipient first), the counterparty's name
        and the token moved."""
        source, destination = record.source, record.destination
        assert source.chain_id is not None
        amount_raw = self.desk.raw(record.asset, record.amount)
        # A venue credits the chain's own token only.
        token = self.desk.token_addresses(record.asset, source.chain_id)[0]
        if record.kind is PathKind.BRIDGE:
            assert destination.chain_id is not None
            token = self._bridge_token(record, amount_raw)
            recipient = self.desk.addresses(destination.location, destination.chain_id)
            quote = self.desk.bridge.quote(source.chain_id, destination.chain_id, token,
                                           amount_raw)
            route = self.desk.bridge.route(source.chain_id, destination.chain_id, token)
            return (self.desk.bridge.source_calls(quote, recipient),
                    [(recipient, AddressRole.RECIPIENT), (token, AddressRole.TOKEN),
                     (route.contract, AddressRole.COUNTERPARTY)], self.desk.bridge.name, token)
        deposit = Web3.to_checksum_address(
            await self._rail(record).deposit_address(record.asset, source.chain_id))
        w3 = self.desk.wallet(source).w3
        contract = w3.eth.contract(address=token, abi=_ERC20_TRANSFER_ABI)
        data = bytes.fromhex(contract.encode_abi("transfer", [deposit, amount_raw])[2:])
        return ([Call(token, data)], [(deposit, AddressRole.RECIPIENT),
                                      (token, AddressRole.TOKEN)], destination.location, token)

    def _bridge_token(self, record: TransferRecord, amount_raw: int) -> ChecksumAddress:
        """Which of the asset's tokens the Safe bridges: one it holds enough of, preferring a
        bridged token going home (it arrives as the destination's own token, which venues
        credit), then the chain's own token."""
        source, destination = record.source, record.destination
        assert source.chain_id is not None and destination.chain_id is not None
        wallet = self.desk.wallet(source)
        candidates = self.desk.token_addresses(record.asset, source.chain_id)
        native_there = self.desk.token_addresses(record.asset, destination.chain_id)[0]
        enough = [t for t in candidates if _balance(wallet, t) >= amount_raw]
        for token in enough:
            route = self.desk.bridge.route(source.chain_id, destination.chain_id, token)
            if route.kind == "burn" and route.arriving_token == native_there:
                return token
        return enough[0] if enough else candidates[0]


    async def _broadcast(self, record: TransferRecord) -> TransferRecord:
        wallet = self.desk.wallet(record.source)
        tx = _tx_of(record.facts["safe_tx"])
        if wallet.nonce() > tx.nonce:
            return await self._settle_signed(record)
        function = wallet.contract.functions.execTransaction(
            *tx.exec_args(bytes.fromhex(record.facts["signatures"][2:])))
        try:
            tx_hash = function.transact({"from": self.desk.sender})
        except ContractLogicError as reverted:
            # The node's simulation reverted (the guard or a cap said no): nothing was sent,
            # and the same transaction would revert again. A node that is away raises
            # something else and leaves the transfer `signed`, to be re-sent.
            return self.journal.advance(record, TransferState.FAILED,
                                        detail=f"execTransaction reverts: {reverted}")
        self.desk.crash("broadcast")
        receipt = wallet.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        return self._sent(record, wallet, receipt)

    async def _settle_signed(self, record: TransferRecord) -> TransferRecord:
        """A `signed` leg after a restart: executed (find it), not yet (send it), or overtaken
        by another Safe transaction at its nonce (sign again)."""
        wallet = self.desk.wallet(record.source)
        tx = _tx_of(record.facts["safe_tx"])
        if wallet.nonce() <= tx.nonce:
            return await self._broadcast(record)
        logs = wallet.contract.events.ExecutionSuccess().get_logs(
            from_block=record.facts["signed_at_block"],
            argument_filters={"txHash": bytes.fromhex(record.facts["safe_tx_hash"][2:])})
        if logs:
            receipt = wallet.w3.eth.get_transaction_receipt(logs[0]["transactionHash"])
            return self._sent(record, wallet, receipt, recovered=True)
        _log.warning("transfer %s: Safe nonce %d went to another transaction; signing again",
                     record.transfer_id, tx.nonce)
        resigned = await self._sign(record)
        if resigned.state is not TransferState.SIGNED:
            return resigned
        return await self._broadcast(resigned)

    def _sent(self, record: TransferRecord, wallet: SafeWallet, receipt: TxReceipt,
              recovered: bool = False) -> TransferRecord:
        tx_hash = Web3.to_hex(receipt["transactionHash"])
        failures = wallet.contract.events.ExecutionFailure().process_receipt(receipt,
                                                                             errors=DISCARD)
        if receipt["status"] != 1 or failures:
            return self.journal.advance(record, TransferState.FAILED, tx_hash=tx_hash,
                                        detail="the Safe transaction reverted or failed")
        facts: dict[str, Any] = {"tx_hash": tx_hash, "block": receipt["blockNumber"],
                                 "recovered": recovered}
        if record.kind is PathKind.BRIDGE:
            source, destination = record.source, record.destination
            assert source.chain_id is not None and destination.chain_id is not None
            token = Web3.to_checksum_address(record.facts["token"])
            quote = self.desk.bridge.quote(source.chain_id, destination.chain_id, token,
                                           self.desk.raw(record.asset, record.amount))
            transfer = self.desk.bridge.transfer_from_receipt(
                quote, wallet.address,
                self.desk.addresses(destination.location, destination.chain_id), receipt)
            facts["bridge_transfer"] = _bridge_json(transfer)
        sent = self.journal.advance(record, TransferState.SENT, **facts)
        self.desk.crash("sent")
        return sent

    # --- exchange withdrawals ----------------------------------------------------------------

    async def _withdraw(self, record: TransferRecord) -> TransferRecord:
        rail = self._rail(record)
        destination = record.destination
        assert destination.chain_id is not None
        existing = await rail.withdrawal_by_client_id(record.asset, record.transfer_id)
        if existing is not None:  # asked before a crash: the venue has it
            return self.journal.advance(record, TransferState.SENT,
                                        withdrawal_id=existing.move_id, recovered=True)
        address = self.desk.addresses(destination.location, destination.chain_id)
        try:
            screen_addresses(self.desk.screener, record.transfer_id, record.source.location,
                             [(address, AddressRole.RECIPIENT)])
        except LegRefused as refused:
            return self.journal.advance(record, TransferState.REFUSED,
                                        decision=refused.decision.value,
                                        reasons=list(refused.reasons))
        # The recipient receives `received`; the venue debits it plus its fee (`amount`).
        try:
            withdrawal_id = await rail.withdraw(record.asset, record.received, address,
                                                destination.chain_id, record.transfer_id)
        except TerminalError as refused:  # the venue said no; a network fault stays intent
            return self.journal.advance(record, TransferState.FAILED, detail=str(refused))
        self.desk.crash("broadcast")
        return self.journal.advance(record, TransferState.SENT, withdrawal_id=withdrawal_id,
                                    address=address)

    def _rail(self, record: TransferRecord) -> VenueRail:
        venue = (record.destination if record.kind is PathKind.CEX_DEPOSIT
                 else record.source).location
        rail = self.desk.rails.get(venue)
        if rail is None:
            raise TerminalError(f"transfer {record.transfer_id}: no deposit/withdrawal rail "
                                f"for venue {venue}")
        return rail


async def run_transfers(executor: TransferExecutor, transfer_ids: Sequence[str],
                        timeout_s: float, poll_s: float) -> list[TransferRecord]:
    """Run journaled transfers to terminal states in dependency order; `ArrivalTimeout` if some
    are still on their way after `timeout_s`."""
    journal = executor.journal
    deadline = time.monotonic() + timeout_s
    while True:
        records = [journal.get(t) for t in transfer_ids]
        waiting = [r for r in records if not r.state.terminal]
        if not waiting:
            return records
        progressed = False
        for record in waiting:
            deps = [journal.get(d) for d in record.depends_on]
            before = record.state
            if any(d.state in (TransferState.REFUSED, TransferState.FAILED,
                               TransferState.CANCELLED) for d in deps):
                record = journal.advance(record, TransferState.CANCELLED,
                                         detail="a transfer it depends on did not arrive")
            elif record.state in (TransferState.INTENT, TransferState.SIGNED):
                if all(d.state is TransferState.ARRIVED for d in deps):
                    record = await executor.send(record)
            elif record.state is TransferState.SENT:
                record = await executor.arrived(record)
            progressed = progressed or record.state is not before
        if progressed:
            continue
        if time.monotonic() >= deadline:
            raise ArrivalTimeout([r.transfer_id for r in waiting], timeout_s)
        await asyncio.sleep(poll_s)


def _balance(wallet: SafeWallet, token: str) -> int:
    contract = wallet.w3.eth.contract(address=Web3.to_checksum_address(token),
                                      abi=_ERC20_BALANCE_ABI)
    balance: int = contract.functions.balanceOf(wallet.address).call()
    return balance


def _tx_json(tx: SafeTx) -> dict[str, Any]:
    return {"to": tx.to, "value": tx.value, "data": Web3.to_hex(tx.data),
            "operation": tx.operation, "nonce": tx.nonce}


def _tx_of(facts: dict[str, Any]) -> SafeTx:
    return SafeTx(Web3.to_checksum_address(facts["to"]), int(facts["value"]),
                  bytes.fromhex(facts["data"][2:]), int(facts["operation"]), int(facts["nonce"]))


def _bridge_json(transfer: BridgeTransfer) -> dict[str, Any]:
    return {"bridge": transfer.bridge, "transfer_id": transfer.transfer_id,
            "source_chain_id": transfer.source_chain_id,
            "destination_chain_id": transfer.destination_chain_id, "token": transfer.token,
            "sender": transfer.sender, "recipient": transfer.recipient,
            "amount_raw": str(transfer.amount_raw), "source_tx_hash": transfer.source_tx_hash,
            "source_block": transfer.source_block}


def _bridge_transfer(facts: dict[str, Any]) -> BridgeTransfer:
    return BridgeTransfer(
        bridge=facts["bridge"], transfer_id=facts["transfer_id"],
        source_chain_id=int(facts["source_chain_id"]),
        destination_chain_id=int(facts["destination_chain_id"]),
        token=Web3.to_checksum_address(facts["token"]),
        sender=Web3.to_checksum_address(facts["sender"]),
        recipient=Web3.to_checksum_address(facts["recipient"]),
        amount_raw=int(facts["amount_raw"]), source_tx_hash=facts["source_tx_hash"],
        source_block=int(facts["source_block"]))
