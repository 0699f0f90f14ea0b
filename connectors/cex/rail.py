"""The exchange rail: an exchange account as one more path between chains, for the treasury.

A rail moves a coin between an exchange account and an address on a chain, in either direction,
in the four steps of `chain.bridge.Bridge`, async because the venue is reached through ccxt:

- `quote`: what it costs and takes. A withdrawal costs the network's `withdrawFee` (from the
  venue's config/getall) and must leave at least `withdrawMin` after it; a deposit costs only
  the sender's gas (an ERC-20 transfer). Time is `minConfirm` x the chain's block time plus the
  venue's processing allowance.
- `send`: a withdrawal is asked for with a `withdrawOrderId` derived from the caller's id, so a
  lost answer is resolved by asking again (the venue answers a replay with the same withdrawal);
  a deposit is a token transfer to the account's deposit address: `deposit_calls` gives the
  calls for a wallet to make (a Safe batches them), `send` makes them from an account the node
  signs for (devnet).
- `track`: the venue's own history (deposit by tx hash, withdrawal by withdrawOrderId).
- `finalize`: wait until the venue credits the deposit or completes the withdrawal.

Amounts: a quote's `amount` is what leaves the source (the account is debited `amount` for a
withdrawal: the transfer plus the fee), `received` what arrives, so a quote slots into the
treasury planner's paths (`fixed_fee` = the withdrawal fee).
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from eth_abi.abi import encode
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from chain.txmanager import JsonRpc
from chain.wallet import Call
from connectors.cex.capital import (
    CapitalClient,
    DepositState,
    NetworkTerms,
    WithdrawalState,
)
from connectors.cex.errors import VenueUnavailable
from connectors.errors import RetryableVenueError, TerminalVenueError

TRANSFER_GAS = 65_000  # an ERC-20 transfer, as the treasury policy prices a CEX deposit
_TRANSFER = keccak(text="transfer(address,uint256)")[:4]
_SEND_ATTEMPTS = 5


class RailDirection(enum.Enum):
    DEPOSIT = "deposit"  # chain address -> exchange account
    WITHDRAWAL = "withdrawal"  # exchange account -> chain address


class RailStatus(enum.Enum):
    """Where a rail transfer is (the bridge's three states, plus a failure the venue refunds)."""

    PENDING = "pending"  # asked for / sent; not yet deep enough
    CONFIRMED = "confirmed"  # the on-chain leg exists; the venue has not finished
    COMPLETED = "completed"  # credited to the account, or delivered to the address
    FAILED = "failed"  # the venue failed or refused it (a withdrawal's debit is given back)


class RailError(TerminalVenueError):
    """The rail cannot do what was asked."""


class UnsupportedRail(RailError):
    """No network of the venue carries this coin on this chain in this direction."""

    def __init__(self, rail: str, direction: RailDirection, chain_id: int, coin: str) -> None:
        self.rail, self.direction, self.chain_id, self.coin = rail, direction, chain_id, coin
        super().__init__(f"rail {rail} has no {direction.value} of {coin} on chain {chain_id}")


class BelowRailMinimum(RailError):
    """The amount is below what the venue accepts (withdrawMin after the fee)."""

    def __init__(self, coin: str, amount: Decimal, minimum: Decimal) -> None:
        self.coin, self.amount, self.minimum = coin, amount, minimum
        super().__init__(f"amount {amount} {coin} is below the rail's minimum {minimum}")


class RailTransferFailed(RailError):
    """The venue reports the transfer failed (for a withdrawal: refunded)."""


class RailTimeout(RetryableVenueError):
    """Not completed in the time given; it may still complete: track it again."""

    def __init__(self, transfer_id: str, waited_s: float) -> None:
        self.transfer_id, self.waited_s = transfer_id, waited_s
        super().__init__(f"rail transfer {transfer_id} not completed after {waited_s:.1f} s")


@dataclass(frozen=True)
class RailChain:
    """One chain the rail serves: the venue's network id for it and the tokens there."""

    chain_id: int
    network: str
    rpc_url: str
    tokens: dict[str, tuple[ChecksumAddress, int]]  # coin -> (token address, decimals)
    block_time_s: int = 2


@dataclass(frozen=True)
class RailQuote:
    rail: str
    direction: RailDirection
    chain_id: int
    network: str
    coin: str
    token: ChecksumAddress
    decimals: int
    amount: Decimal  # leaves the source
    fee: Decimal  # kept by the venue
    gas: int  # gas units the chain side pays (the sender of a deposit)
    expected_seconds: int

    @property
    def received(self) -> Decimal:
        return self.amount - self.fee

    @property
    def received_raw(self) -> int:
        return int(self.received.scaleb(self.decimals))


@dataclass(frozen=True)
class RailTransfer:
    rail: str
    transfer_id: str  # withdrawOrderId of a withdrawal; the tx hash of a deposit
    direction: RailDirection
    chain_id: int
    network: str
    coin: str
    amount: Decimal
    fee: Decimal
    sender: str
    recipient: str
    source_tx_hash: str | None = None
    venue_id: str | None = None


@dataclass(frozen=True)
class RailProgress:
    transfer_id: str
    status: RailStatus
    confirmations: int
    required_confirmations: int
    tx_hash: str | None = None
    detail: str = ""


def devnet_rail_chains(manifest: dict[str, Any], network_of: dict[int, str] | None = None,
                       block_time_s: int = 2) -> list[RailChain]:
    """The chains of a devnet manifest, named as simex names them by default (DEVNET<id>)."""
    first = {k: v for k, v in manifest.items() if k != "chains"}
    chains = []
    for chain in [first, *manifest.get("chains", [])]:
        chain_id = chain["chain_id"]
        tokens = {coin: (to_checksum_address(t["address"]), int(t["decimals"]))
                  for coin, t in chain.get("tokens", {}).items()}
        network = (network_of or {}).get(chain_id, f"DEVNET{chain_id}")
        chains.append(RailChain(chain_id, network, chain["rpc_url"], tokens, block_time_s))
    return chains


def withdraw_order_id(client_id: str) -> str:
    """The venue's withdrawOrderId for a caller's id: stable, short, in Binance's alphabet."""
    return "cb" + keccak(text=client_id).hex()[:30]


class ExchangeRail:
    """Moves coins between one exchange account and addresses on the chains it serves."""

    def __init__(self, name: str, client: CapitalClient, chains: Sequence[RailChain],
                 processing_s: int = 5, poll_s: float = 0.2) -> None:
        self.name = name
        self.client = client
        self.chains = {c.chain_id: c for c in chains}
        self.processing_s = processing_s
        self.poll_s = poll_s
        self._terms: dict[tuple[str, str], NetworkTerms] | None = None

    async def terms(self, refresh: bool = False) -> dict[tuple[str, str], NetworkTerms]:
        if self._terms is None or refresh:
            self._terms = await self.client.terms()
        return self._terms

    async def _route(self, direction: RailDirection, chain_id: int, coin: str
                     ) -> tuple[RailChain, NetworkTerms]:
        chain = self.chains.get(chain_id)
        terms = (await self.terms()).get((coin, chain.network)) if chain else None
        if chain is None or terms is None or coin not in chain.tokens:
            raise UnsupportedRail(self.name, direction, chain_id, coin)
        enabled = (terms.deposit_enabled if direction is RailDirection.DEPOSIT
                   else terms.withdraw_enabled)
        if not enabled:
            raise UnsupportedRail(self.name, direction, chain_id, coin)
        return chain, terms

    async def quote(self, direction: RailDirection, chain_id: int, coin: str,
                    amount: Decimal) -> RailQuote:
        """Cost and time of moving `amount` (what leaves the source) of `coin`."""
        chain, terms = await self._route(direction, chain_id, coin)
        token, decimals = chain.tokens[coin]
        step = Decimal(1).scaleb(-min(decimals, 8))  # the venue books 8 decimals at most
        if direction is RailDirection.WITHDRAWAL:
            step = max(step, terms.withdraw_multiple)
            fee, gas = terms.withdraw_fee, 0
        else:
            fee, gas = Decimal(0), TRANSFER_GAS
        sent = ((amount - fee) / step).to_integral_value(ROUND_DOWN) * step
        if sent <= 0 or (direction is RailDirection.WITHDRAWAL and sent < terms.withdraw_min):
            raise BelowRailMinimum(coin, amount, terms.withdraw_min + fee)
        return RailQuote(self.name, direction, chain_id, chain.network, coin, token, decimals,
                         sent + fee, fee, gas,
                         terms.min_confirm * chain.block_time_s + self.processing_s)

    # ---- deposits -----------------------------------------------------------------------------

    async def deposit_calls(self, quote: RailQuote) -> list[Call]:
        """The deposit as calls a wallet makes: one token transfer to the deposit address."""
        address = await self.client.deposit_address(quote.coin, quote.network)
        data = _TRANSFER + encode(["address", "uint256"],
                                  [to_checksum_address(address.address), quote.received_raw])
        return [Call(to=quote.token, data=data)]

    def deposit_transfer(self, quote: RailQuote, sender: str, recipient: str,
                         tx_hash: str) -> RailTransfer:
        """The transfer a deposit transaction (`tx_hash`, e.g. the Safe's) started."""
        return RailTransfer(self.name, tx_hash, RailDirection.DEPOSIT, quote.chain_id,
                            quote.network, quote.coin, quote.amount, quote.fee, sender,
                            recipient, source_tx_hash=tx_hash)

    async def _send_deposit(self, quote: RailQuote, sender: str) -> RailTransfer:
        [call] = await self.deposit_calls(quote)
        recipient = to_checksum_address("0x" + call.data[4 + 12:4 + 32].hex())
        async with JsonRpc(self.chains[quote.chain_id].rpc_url) as rpc:
            tx_hash = await rpc.request("eth_sendTransaction", [{
                "from": sender, "to": call.to, "data": "0x" + call.data.hex()}])
            while (receipt := await rpc.receipt(tx_hash)) is None:
                await asyncio.sleep(self.poll_s)
        if int(receipt["status"], 16) != 1:
            raise RailTransferFailed(f"deposit transfer {tx_hash} reverted")
        return self.deposit_transfer(quote, sender, recipient, str(tx_hash))

    # ---- both directions ----------------------------------------------------------------------

    async def send(self, quote: RailQuote, sender: str, recipient: str,
                   client_id: str) -> RailTransfer:
        """Start the transfer of `quote`. A withdrawal goes to `recipient` and is idempotent
        by `client_id`; a deposit is sent from `sender`, an account the node signs for."""
        if quote.direction is RailDirection.DEPOSIT:
            return await self._send_deposit(quote, sender)
        order_id = withdraw_order_id(client_id)
        venue_id = None
        for attempt in range(_SEND_ATTEMPTS):
            try:
                venue_id = await self.client.withdraw(quote.coin, quote.network, recipient,
                                                      quote.received, order_id)
                break
            except VenueUnavailable:  # the answer may be lost: the replay resolves it
                if attempt == _SEND_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(self.poll_s * 2**attempt)
        return RailTransfer(self.name, order_id, RailDirection.WITHDRAWAL, quote.chain_id,
                            quote.network, quote.coin, quote.amount, quote.fee, sender,
                            recipient, venue_id=venue_id)

    async def track(self, transfer: RailTransfer) -> RailProgress:
        if transfer.direction is RailDirection.DEPOSIT:
            return await self._track_deposit(transfer)
        found = await self.client.withdrawals(transfer.coin, transfer.transfer_id)
        if not found:
            return RailProgress(transfer.transfer_id, RailStatus.PENDING, 0, 0,
                                detail="not at the venue (send again with the same id)")
        entry = found[0]
        status = {WithdrawalState.PENDING: RailStatus.PENDING,
                  WithdrawalState.SENT: RailStatus.CONFIRMED,
                  WithdrawalState.COMPLETED: RailStatus.COMPLETED,
                  WithdrawalState.FAILED: RailStatus.FAILED}[entry.state]
        terms = (await self.terms()).get((transfer.coin, transfer.network))
        required = terms.min_confirm if terms else 0
        confirmations = required if status is RailStatus.COMPLETED else 0
        return RailProgress(transfer.transfer_id, status, confirmations, required,
                            entry.tx_hash, entry.detail)

    async def _track_deposit(self, transfer: RailTransfer) -> RailProgress:
        wanted = (transfer.source_tx_hash or transfer.transfer_id).lower()
        for deposit in await self.client.deposits(transfer.coin):
            if deposit.tx_hash.lower() != wanted:
                continue
            status = {DepositState.PENDING: RailStatus.PENDING,
                      DepositState.CREDITED: RailStatus.COMPLETED,
                      DepositState.REJECTED: RailStatus.FAILED}[deposit.state]
            return RailProgress(transfer.transfer_id, status, deposit.confirmations,
                                deposit.required_confirmations, deposit.tx_hash)
        return RailProgress(transfer.transfer_id, RailStatus.PENDING, 0, 0, wanted,
                            detail="not yet seen by the venue")

    async def finalize(self, transfer: RailTransfer, timeout_s: float) -> RailProgress:
        """Wait until the venue completes the transfer; `RailTimeout` if it does not in time,
        `RailTransferFailed` if it fails."""
        deadline = time.monotonic() + timeout_s
        while True:
            progress = await self.track(transfer)
            if progress.status is RailStatus.COMPLETED:
                return progress
            if progress.status is RailStatus.FAILED:
                raise RailTransferFailed(f"rail transfer {transfer.transfer_id} failed: "
                                         f"{progress.detail or 'no reason given'}")
            if time.monotonic() >= deadline:
                raise RailTimeout(transfer.transfer_id, timeout_s)
            await asyncio.sleep(self.poll_s)
