"""A pool as an execution venue: an order becomes one swap through our SwapExecutor, in a Safe
transaction signed by the owners' quorum and relayed by the transaction manager.

The same order interface as the CEX venue (`place`, `query`, `cancel`, `poll_fills`, keyed on our
client order id), so the OMS sends a pool leg exactly as it sends a CEX leg:

- a buy of `qty` base is an exact-output swap, a sell an exact-input swap;
- the price bound is the order's limit price, or for a market order the pool's current quote
  moved by `max_slippage_bps`; the executor reverts the whole transaction outside it, so a
  rejected order moved nothing;
- a swap is atomic, so an order is FILLED or REJECTED, never partial, and cannot be canceled
  once sent; placing the same client order id again returns the first outcome, never a second
  swap.

Exactly once, across crashes. Every pool of one Safe shares one `SafeSwapSender`: one Safe
nonce at a time, and a `SwapLedger` row (client order id -> Safe nonce, SafeTx hash, the
transaction manager's id) written before the owners sign. The transaction manager persists the
signed relayer transaction before it broadcasts it. A fresh process decides an order's fate
from those two records and the chain:

    our SafeTx ran (ExecutionSuccess with its hash)      FILLED, fills from the executor's events
    its Safe nonce was used by another SafeTx            REJECTED: it can never run
    the relayer transaction reverted, or was replaced    REJECTED: nothing moved
    nonce unused, relayer transaction signed / in flight UNKNOWN until the chain says
    nonce unused, no relayer transaction ever signed     never left: `query` says None, and
                                                         only then may the OMS send it again

A SafeTx that reverted on chain stays valid until its Safe nonce is used (its signatures are
public in the reverted transaction): the venue uses that nonce at once with a SafeTx that only
revokes the executor's allowance, so the swap cannot run later, unbooked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from chain.errors import ChainError
from chain.txmanager import (
    BroadcastRejected,
    SimulationReverted,
    TxOutcome,
    TxState,
)
from chain.wallet import (
    Call,
    HopKind,
    Route,
    SafeTx,
    SafeWallet,
    WalletError,
    fills_from_receipt,
    relay,
    safe_tx_hash,
    single_hop_legs,
    swap_calls,
)
from connectors.amm.pool_quote import PoolKind
from connectors.amm.safe_sender import Fate, SafeSwapSender
from connectors.amm.swap_ledger import AttemptState, SwapAttempt
from connectors.amm.venue import AmmPoolVenue, AmmVenues
from connectors.orders import (
    FillHandler,
    InvalidOrderRequest,
    Liquidity,
    OrderKind,
    OrderRequest,
    VenueFill,
    VenueOrderReport,
    VenueOrderStatus,
)
from connectors.venue import (
    DepthCurve,
    Market,
    QtyBasis,
    Side,
    VenueKind,
    VenueQuote,
)

_BPS = Decimal(10_000)
_APPROVE = bytes(Web3.keccak(text="approve(address,uint256)")[:4])
log = logging.getLogger(__name__)


def _revoke(token: ChecksumAddress, spender: ChecksumAddress) -> Call:
    """approve(spender, 0) on `token`: a call our guard allows for the executor."""
    return Call(to=token, data=_APPROVE + bytes.fromhex(spender[2:]).rjust(32, b"\0")
                + bytes(32))


class SafeSwapVenue:
    """One pool, quoted as an AMM venue and traded through the desk's Safe."""

    def __init__(self, pool: AmmPoolVenue, amm: AmmVenues, sender: SafeSwapSender,
                 max_slippage_bps: Decimal = Decimal(50), deadline_s: int = 300,
                 on_fill: FillHandler | None = None) -> None:
        self.pool, self.amm, self.sender = pool, amm, sender
        self.max_slippage_bps = max_slippage_bps
        self.deadline_s = deadline_s
        self.on_fill = on_fill
        self.fills: list[VenueFill] = []
        self._delivered: set[str] = set()
        self._tasks: dict[str, asyncio.Task[VenueOrderReport]] = {}
        self._sides: dict[str, Side] = {}

    @property
    def wallet(self) -> SafeWallet:
        return self.sender.wallet

    # ---- the Venue protocol, delegated to the pool --------------------------------------

    @property
    def name(self) -> str:
        return self.pool.name

    @property
    def kind(self) -> VenueKind:
        return VenueKind.AMM

    def markets(self) -> tuple[Market, ...]:
        return self.pool.markets()

    async def quote(self, symbol: str, side: Side, qty: Decimal,
                    basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        return await self.pool.quote(symbol, side, qty, basis)

    async def depth(self, symbol: str, side: Side, max_base: Decimal,
                    points: int = 32) -> DepthCurve:
        return await self.pool.depth(symbol, side, max_base, points)

    # ---- orders -------------------------------------------------------------------------

    async def place(self, request: OrderRequest) -> VenueOrderReport:
        """Swap now; the first outcome of a client order id is final. The swap runs on even
        when the caller stops waiting (its outcome is then read with `query`)."""
        spec = self.pool.spec
        if request.symbol != spec.symbol:
            raise InvalidOrderRequest("symbol", f"{request.symbol} is not traded on {self.name}")
        if request.kind is OrderKind.LIMIT_MAKER:
            raise InvalidOrderRequest("kind", "a pool swap takes liquidity: no post-only orders")
        coid = request.client_order_id
        task = self._tasks.get(coid)
        if task is None or task.done():
            task = asyncio.create_task(self._place(request))
            self._tasks[coid] = task
            self._sides[coid] = request.side
            task.add_done_callback(lambda _: self._tasks.pop(coid, None))
        return await asyncio.shield(task)

    async def query(self, client_order_id: str, symbol: str) -> VenueOrderReport | None:
        """The order as the ledger and the chain say; None only if it provably never left."""
        task = self._tasks.get(client_order_id)
        if task is not None and not task.done():
            return self._unknown(client_order_id, self._sides[client_order_id],
                                 "the swap is being sent")
        latest = self.sender.ledger.latest(client_order_id)
        if latest is None or latest.venue != self.name:
            return None
        return self._resolve(latest)

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport:
        """A swap is atomic and sent at once: nothing is left to cancel. Returns its outcome."""
        report = await self.query(client_order_id, symbol)
        if report is None:
            raise InvalidOrderRequest("client_order_id",
                                      f"{client_order_id} was never sent on {self.name}")
        return report

    async def poll_fills(self) -> int:
        """Deliver the fills on record (again, after a restart) and those of swaps mined since;
        the OMS books each trade id once."""
        before = len(self._delivered)
        for attempt in self.sender.ledger.attempts(venue=self.name):
            if attempt.state is AttemptState.FILLED:
                self._deliver(attempt.fills)
            elif attempt.state is AttemptState.PREPARED \
                    and attempt.client_order_id not in self._tasks:
                self._resolve(attempt)
        return len(self._delivered) - before

    # ---- sending ------------------------------------------------------------------------

    async def _place(self, request: OrderRequest) -> VenueOrderReport:
        coid = request.client_order_id
        async with self.sender.lock:
            latest = self.sender.ledger.latest(coid)
            if latest is not None:
                known = self._resolve(latest)
                if known is not None:
                    return known  # filled, rejected, or in flight: never a second swap
                self.sender.ledger.settle(latest, AttemptState.NEVER_SENT,
                                          reason="never left; sent again as a new attempt")
            busy = await self.sender.wait_in_doubt(but=coid)
            if busy is not None:
                return self._rejected(request, busy)
            return await self._swap(request, latest.attempt + 1 if latest else 1)

    async def _swap(self, request: OrderRequest, number: int) -> VenueOrderReport:
        prepared = await self._prepare(request, number)
        if isinstance(prepared, VenueOrderReport):
            return prepared
        attempt, tx = prepared
        wallet = self.sender.wallet
        try:
            signatures = await wallet.collect(wallet.request(tx), self.sender.signers)
        except ChainError as refused:  # the owners' quorum said no: nothing was signed
            self.sender.ledger.settle(attempt, AttemptState.REJECTED, reason=str(refused))
            return self._rejected(request, f"signers: {refused}")
        return await self._relay(request, attempt, tx, signatures)

    async def _prepare(self, request: OrderRequest,
                       number: int) -> tuple[SwapAttempt, SafeTx] | VenueOrderReport:
        """Quote, build the SafeTx at the Safe's next nonce, and put the attempt on record
        (before anyone signs it); a rejection when the pool cannot fill the order."""
        sender, spec = self.sender, self.pool.spec
        await self.amm.refresh()
        quote = self.pool.quote_now(spec.symbol, request.side, request.qty)
        if quote.partial:
            return self._rejected(request, f"the pool can fill only {quote.base_qty}")
        tx = sender.wallet.build(swap_calls(sender.w3, sender.executor,
                                            self._route(request, quote.quote_qty)))
        attempt = sender.ledger.prepare(SwapAttempt(
            request.client_order_id, number, self.name, spec.symbol, request.side,
            request.qty, sender.wallet.address, tx.nonce,
            "0x" + safe_tx_hash(sender.wallet.chain_id, sender.wallet.address, tx).hex(),
            f"{request.client_order_id}#{number}", sender.w3.eth.block_number))
        return attempt, tx

    async def _relay(self, request: OrderRequest, attempt: SwapAttempt, tx: SafeTx,
                     signatures: bytes) -> VenueOrderReport:
        """Hand the signed SafeTx to the transaction manager and wait for its block."""
        sender = self.sender
        try:
            await relay(sender.manager, sender.wallet, tx, signatures, sender.relayer,
                        attempt.tx_id)
        except (SimulationReverted, BroadcastRejected, WalletError) as refused:
            # nothing was broadcast (a refused broadcast was dropped by the manager)
            sender.ledger.settle(attempt, AttemptState.REJECTED, reason=str(refused))
            return self._rejected(request, str(refused))
        except (ChainError, OSError) as lost:
            return self._unknown(request.client_order_id, request.side, f"relay: {lost}")
        try:
            await sender.manager.wait_for(attempt.tx_id, TxState.MINED, sender.mined_timeout_s)
        except TimeoutError:
            return self._unknown(request.client_order_id, request.side,
                                 f"not mined within {sender.mined_timeout_s} s")
        except TxOutcome as outcome:
            if outcome.record.state is TxState.FAILED:
                await self._void(attempt)
                reason = f"reverted on chain in {outcome.record.mined_hash}"
                attempt = sender.ledger.settle(attempt, AttemptState.REJECTED, reason)
        return self._resolve(attempt) or self._unknown(request.client_order_id, request.side,
                                                       "undecided")

    async def _void(self, attempt: SwapAttempt) -> None:
        """Use the Safe nonce of a SafeTx that reverted on chain. It stays valid until its nonce
        is used (its signatures are public in the reverted transaction), so anyone could run
        it later, unbooked; a SafeTx that only revokes the executor's allowance ends that."""
        sender, spec = self.sender, self.pool.spec
        if sender.wallet.nonce() != attempt.safe_nonce:
            return
        token_in = spec.quote if attempt.side is Side.BUY else spec.base
        tx = sender.wallet.build([_revoke(token_in.address, sender.executor)],
                                 nonce=attempt.safe_nonce)
        tx_id = f"{attempt.tx_id}-void"
        try:
            signatures = await sender.wallet.collect(sender.wallet.request(tx), sender.signers)
            await relay(sender.manager, sender.wallet, tx, signatures, sender.relayer, tx_id)
            await sender.manager.wait_for(tx_id, TxState.MINED, sender.mined_timeout_s)
        except (ChainError, OSError, TimeoutError) as error:
            # the next swap of this Safe uses the nonce; until then the SafeTx could still run
            log.warning("could not void Safe nonce %d of %s: %s", attempt.safe_nonce,
                        attempt.client_order_id, error)

    def _route(self, request: OrderRequest, quote_qty: Decimal) -> Route:
        spec = self.pool.spec
        buying = request.side is Side.BUY
        if request.limit_price is not None:
            bound = request.limit_price * request.qty
        else:
            move = quote_qty * self.max_slippage_bps / _BPS
            bound = quote_qty + move if buying else quote_qty - move
        base_units = int(request.qty.scaleb(spec.base.decimals))
        bound_units = int(bound.scaleb(spec.quote.decimals))
        kind = HopKind.UNISWAP_V3 if spec.kind is PoolKind.UNISWAP_V3 else HopKind.UNISWAP_V2
        token_in, token_out = ((spec.quote, spec.base) if buying else (spec.base, spec.quote))
        return Route(token_in.address, token_out.address,
                     single_hop_legs([(kind, spec.address, base_units)], not buying),
                     min_amount_out=base_units if buying else bound_units,
                     max_amount_in=bound_units if buying else base_units,
                     deadline=int(time.time()) + self.deadline_s)

    # ---- outcomes -----------------------------------------------------------------------

    def _resolve(self, attempt: SwapAttempt) -> VenueOrderReport | None:
        """The attempt's report, settling it on record once the chain has decided."""
        if attempt.state is AttemptState.PREPARED:
            fate, receipt, reason = self.sender.fate(attempt)
            if fate is Fate.NEVER_LEFT:
                return None
            if fate is Fate.IN_FLIGHT:
                return self._unknown(attempt.client_order_id, attempt.side, reason)
            if fate is Fate.EXECUTED:
                assert receipt is not None
                tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
                attempt = self.sender.ledger.settle(attempt, AttemptState.FILLED,
                                                    tx_hash=tx_hash,
                                                    fills=self._fills(attempt, receipt))
            else:
                attempt = self.sender.ledger.settle(attempt, AttemptState.REJECTED, reason)
        if attempt.state is AttemptState.NEVER_SENT:
            return None
        if attempt.state is AttemptState.FILLED:
            self._deliver(attempt.fills)
            return VenueOrderReport(self.name, attempt.client_order_id, attempt.symbol,
                                    attempt.side, VenueOrderStatus.FILLED, attempt.tx_hash,
                                    attempt.qty, attempt.filled_qty, attempt.filled_quote,
                                    "", max((f.ts_ns for f in attempt.fills),
                                            default=attempt.created_ns))
        return VenueOrderReport(self.name, attempt.client_order_id, attempt.symbol,
                                attempt.side, VenueOrderStatus.REJECTED, None, attempt.qty,
                                reason=attempt.reason, ts_ns=attempt.created_ns)

    def _fills(self, attempt: SwapAttempt, receipt: TxReceipt) -> tuple[VenueFill, ...]:
        """The executor's `Swapped` events as fills. The pool's fee is inside the price; the
        relayer's gas is the fee of the first fill, in ETH. Timestamps are the block's."""
        spec, w3 = self.pool.spec, self.sender.w3
        buying = attempt.side is Side.BUY
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        ts_ns = int(w3.eth.get_block(receipt["blockNumber"])["timestamp"]) * 10**9
        gas = Decimal(int(receipt["gasUsed"]) * int(receipt.get("effectiveGasPrice", 0)))
        fills: list[VenueFill] = []
        for fill in fills_from_receipt(w3, self.sender.executor, receipt):
            base = Decimal(fill.amount_out if buying else fill.amount_in).scaleb(
                -spec.base.decimals)
            quote = Decimal(fill.amount_in if buying else fill.amount_out).scaleb(
                -spec.quote.decimals)
            fills.append(VenueFill(
                self.name, attempt.client_order_id, tx_hash, f"{tx_hash}:{fill.log_index}",
                spec.symbol, attempt.side, base, quote / base,
                gas.scaleb(-18) if not fills else Decimal(0), "ETH", Liquidity.TAKER, ts_ns))
        return tuple(fills)

    def _deliver(self, fills: Sequence[VenueFill]) -> None:
        for fill in fills:
            if fill.trade_id in self._delivered:
                continue
            self._delivered.add(fill.trade_id)
            self.fills.append(fill)
            if self.on_fill is not None:
                self.on_fill(fill)

    def _rejected(self, request: OrderRequest, reason: str) -> VenueOrderReport:
        return VenueOrderReport(self.name, request.client_order_id, request.symbol,
                                request.side, VenueOrderStatus.REJECTED, None, request.qty,
                                reason=reason, ts_ns=time.time_ns())

    def _unknown(self, client_order_id: str, side: Side, reason: str) -> VenueOrderReport:
        return VenueOrderReport(self.name, client_order_id, self.pool.spec.symbol, side,
                                VenueOrderStatus.UNKNOWN, reason=reason, ts_ns=time.time_ns())


def safe_swap_venues(amm: AmmVenues, sender: SafeSwapSender, symbol: str,
                     **options: Any) -> list[SafeSwapVenue]:
    """One SafeSwapVenue per pool of `symbol`, all through the same Safe (one nonce line)."""
    return [SafeSwapVenue(pool, amm, sender, **options) for pool in amm.for_symbol(symbol)]
