"""`LockMintBridge`: the `Bridge` over our lock-and-mint contracts and their relayer.

An original token goes out by `lock` on its chain's locker and arrives as the wrapped token the
destination's minter mints; a wrapped token goes home by `burn` on its minter and arrives as the
original released by the locker. The bridge takes no fee; the sender pays the source leg's gas,
the relayer the destination's. Expected time is the confirmations the relayer waits for, at the
configured block time, plus its polling.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from chain.bridge.errors import BridgeError, BridgeTimeout, UnsupportedRoute
from chain.bridge.protocol import (
    BridgeQuote,
    BridgeTransfer,
    TransferProgress,
    TransferStatus,
)
from chain.wallet import Call

# Gas of the source leg, measured on anvil with the devnet contracts (approve + first lock of a
# token; a burn needs no approval): an estimate for planning, the node meters the real thing.
LOCK_GAS = 120_000
BURN_GAS = 60_000
_POLL_S = 0.2


@dataclass(frozen=True)
class _Route:
    kind: str  # "lock" or "burn"
    contract: ChecksumAddress
    # On the destination: the token that arrives there.
    arriving_token: ChecksumAddress


class LockMintBridge:
    """The devnet bridge between the chains of a multi-chain devnet manifest."""

    name = "lockmint"

    def __init__(
        self, chains: list[dict[str, Any]], abis: dict[str, list[dict[str, Any]]],
        confirmations: int, block_time_s: int = 2, relay_overhead_s: int = 5,
    ) -> None:
        self._chains = {c["chain_id"]: c for c in chains}
        self._abis = abis
        self._clients = {
            c["chain_id"]: Web3(Web3.HTTPProvider(c["rpc_url"], request_kwargs={"timeout": 30}))
            for c in chains
        }
        self.confirmations = confirmations
        self.block_time_s = block_time_s
        self.relay_overhead_s = relay_overhead_s

    def route(self, source_chain_id: int, destination_chain_id: int,
              token: ChecksumAddress) -> _Route:
        """How `token` travels between the two chains; `UnsupportedRoute` if it cannot."""
        source = self._chains.get(source_chain_id)
        destination = self._chains.get(destination_chain_id)
        if source is None or destination is None or source is destination:
            raise UnsupportedRoute(self.name, source_chain_id, destination_chain_id, token)
        originals = {t["address"]: s for s, t in source["tokens"].items()}
        if token in originals:
            wrapped = destination["bridge"]["wrapped"][str(source_chain_id)]
            return _Route("lock", source["bridge"]["locker"], wrapped[originals[token]])
        home = source["bridge"]["wrapped"].get(str(destination_chain_id), {})
        for symbol, wrapped_address in home.items():
            if wrapped_address == token:
                arriving = destination["tokens"][symbol]["address"]
                return _Route("burn", source["bridge"]["minter"], arriving)
        raise UnsupportedRoute(self.name, source_chain_id, destination_chain_id, token)

    def quote(self, source_chain_id: int, destination_chain_id: int, token: ChecksumAddress,
              amount_raw: int) -> BridgeQuote:
        route = self.route(source_chain_id, destination_chain_id, token)
        if amount_raw <= 0:
            raise BridgeError(f"amount_raw must be positive, got {amount_raw}")
        return BridgeQuote(
            bridge=self.name, source_chain_id=source_chain_id,
            destination_chain_id=destination_chain_id, token=token, amount_raw=amount_raw,
            fee_raw=0, source_gas=LOCK_GAS if route.kind == "lock" else BURN_GAS,
            expected_seconds=self.confirmations * self.block_time_s + self.relay_overhead_s,
        )

    def send(self, quote: BridgeQuote, sender: ChecksumAddress,
             recipient: ChecksumAddress) -> BridgeTransfer:
        """Lock or burn from `sender`, an account the source node signs for (devnet)."""
        w3 = self._clients[quote.source_chain_id]
        receipt = None
        for call in self.source_calls(quote, recipient):
            tx_hash = w3.eth.send_transaction({"from": sender, "to": call.to, "data": call.data})
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
            if receipt["status"] != 1:
                raise BridgeError(f"source leg transaction {Web3.to_hex(tx_hash)} reverted")
        return self.transfer_from_receipt(quote, sender, recipient, receipt)

    def source_calls(self, quote: BridgeQuote, recipient: ChecksumAddress) -> list[Call]:
        """The source leg as calls a wallet makes (a Safe batches them): approve and lock, or
        burn."""
        route = self.route(quote.source_chain_id, quote.destination_chain_id, quote.token)
        if route.kind == "lock":
            token = self._clients[quote.source_chain_id].eth.contract(
                address=quote.token, abi=self._abis["BridgedToken"])
            locker = self._contract(quote.source_chain_id, "BridgeLocker")
            return [
                _call(token, "approve", [route.contract, quote.amount_raw]),
                _call(locker, "lock", [quote.token, quote.amount_raw,
                                       quote.destination_chain_id, recipient]),
            ]
        minter = self._contract(quote.source_chain_id, "BridgeMinter")
        return [_call(minter, "burn", [quote.token, quote.amount_raw, recipient])]

    def transfer_from_receipt(self, quote: BridgeQuote, sender: ChecksumAddress,
                              recipient: ChecksumAddress, receipt: Any) -> BridgeTransfer:
        """The transfer a source-leg receipt started (its `Locked` or `Burned` event)."""
        route = self.route(quote.source_chain_id, quote.destination_chain_id, quote.token)
        if route.kind == "lock":
            contract = self._contract(quote.source_chain_id, "BridgeLocker")
            events = contract.events.Locked().process_receipt(receipt, errors=DISCARD)
        else:
            contract = self._contract(quote.source_chain_id, "BridgeMinter")
            events = contract.events.Burned().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise BridgeError("the source leg's receipt holds no bridge event")
        return BridgeTransfer(
            bridge=self.name, transfer_id=Web3.to_hex(events[0]["args"]["transferId"]),
            source_chain_id=quote.source_chain_id,
            destination_chain_id=quote.destination_chain_id, token=quote.token, sender=sender,
            recipient=recipient, amount_raw=quote.amount_raw,
            source_tx_hash=Web3.to_hex(receipt["transactionHash"]),
            source_block=receipt["blockNumber"],
        )

    def track(self, transfer: BridgeTransfer) -> TransferProgress:
        route = self.route(transfer.source_chain_id, transfer.destination_chain_id,
                           transfer.token)
        transfer_id = bytes.fromhex(transfer.transfer_id[2:])
        if route.kind == "lock":
            minter = self._contract(transfer.destination_chain_id, "BridgeMinter")
            done: bool = minter.functions.isMinted(transfer_id).call()
        else:
            locker = self._contract(transfer.destination_chain_id, "BridgeLocker")
            done = locker.functions.isReleased(transfer_id).call()
        head = self._clients[transfer.source_chain_id].eth.block_number
        depth = max(0, head - transfer.source_block + 1)
        if done:
            status = TransferStatus.COMPLETED
        elif depth >= self.confirmations:
            status = TransferStatus.CONFIRMED
        else:
            status = TransferStatus.PENDING
        return TransferProgress(transfer.transfer_id, status, depth, self.confirmations)

    def finalize(self, transfer: BridgeTransfer, timeout_s: float) -> TransferProgress:
        """Wait for the relayer to complete the destination leg."""
        deadline = time.monotonic() + timeout_s
        while True:
            progress = self.track(transfer)
            if progress.status is TransferStatus.COMPLETED:
                return progress
            if time.monotonic() >= deadline:
                raise BridgeTimeout(transfer.transfer_id, timeout_s)
            time.sleep(_POLL_S)

    def _contract(self, chain_id: int, name: str) -> Contract:
        role = {"BridgeLocker": "locker", "BridgeMinter": "minter"}[name]
        address = self._chains[chain_id]["bridge"][role]
        contract: Contract = self._clients[chain_id].eth.contract(
            address=address, abi=self._abis[name])
        return contract



def _call(contract: Contract, function: str, args: list[Any]) -> Call:
    return Call(to=contract.address, data=bytes.fromhex(contract.encode_abi(function, args)[2:]))
