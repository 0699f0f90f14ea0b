"""A pool as an execution venue: an order becomes one swap through our SwapExecutor, in a Safe
transaction signed by the owners' quorum and sent by a relayer account.

The same order interface as the CEX venue (`place`, `query`, `cancel`, `poll_fills`, keyed on our
client order id), so the OMS sends a pool leg exactly as it sends a CEX leg:

- a buy of `qty` base is an exact-output swap, a sell an exact-input swap;
- the price bound is the order's limit price, or for a market order the pool's current quote
  moved by `max_slippage_bps`; the executor reverts the whole transaction outside it, so a
  rejected order moved nothing;
- a swap is atomic, so an order is FILLED or REJECTED, never partial, and cannot be canceled
  once sent; placing the same client order id again returns the first outcome, never a second
  swap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from decimal import Decimal

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3Exception

from chain.errors import ChainError
from chain.signers.base import Signer
from chain.wallet import (
    HopKind,
    Route,
    SafeWallet,
    WalletError,
    fills_from_receipt,
    single_hop_legs,
    swap_calls,
)
from connectors.amm.pool_quote import PoolKind
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


class SafeSwapVenue:
    """One pool, quoted as an AMM venue and traded through the desk's Safe."""

    def __init__(self, pool: AmmPoolVenue, amm: AmmVenues, wallet: SafeWallet,
                 signers: Sequence[Signer], relayer: ChecksumAddress, executor: str,
                 max_slippage_bps: Decimal = Decimal(50), deadline_s: int = 300,
                 on_fill: FillHandler | None = None) -> None:
        self.pool, self.amm, self.wallet = pool, amm, wallet
        self.signers = tuple(signers)
        self.relayer = relayer
        self.executor = Web3.to_checksum_address(executor)
        self.max_slippage_bps = max_slippage_bps
        self.deadline_s = deadline_s
        self.on_fill = on_fill
        self.fills: list[VenueFill] = []
        self._reports: dict[str, VenueOrderReport] = {}
        self._lock = asyncio.Lock()

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
        """Swap now; the first outcome of a client order id is final."""
        async with self._lock:  # one Safe nonce at a time
            known = self._reports.get(request.client_order_id)
            if known is not None:
                return known
            report = await self._swap(request)
            self._reports[request.client_order_id] = report
            return report

    async def query(self, client_order_id: str, symbol: str) -> VenueOrderReport | None:
        return self._reports.get(client_order_id)

    async def cancel(self, client_order_id: str, symbol: str) -> VenueOrderReport:
        """A swap is atomic and sent at once: nothing is left to cancel. Returns its outcome."""
        report = self._reports.get(client_order_id)
        if report is None:
            raise InvalidOrderRequest("client_order_id",
                                      f"{client_order_id} was never placed on {self.name}")
        return report

    async def poll_fills(self) -> int:
        """Fills arrive with the receipt, in `place`: there is nothing to poll."""
        return 0

    async def _swap(self, request: OrderRequest) -> VenueOrderReport:
        spec = self.pool.spec
        if request.symbol != spec.symbol:
            raise InvalidOrderRequest("symbol", f"{request.symbol} is not traded on {self.name}")
        if request.kind is OrderKind.LIMIT_MAKER:
            raise InvalidOrderRequest("kind", "a pool swap takes liquidity: no post-only orders")
        await self.amm.refresh()
        quote = self.pool.quote_now(spec.symbol, request.side, request.qty)
        if quote.partial:
            return self._report(request, VenueOrderStatus.REJECTED,
                                reason=f"the pool can fill only {quote.base_qty}")
        buying = request.side is Side.BUY
        if request.limit_price is not None:
            bound = request.limit_price * request.qty
        else:
            move = quote.quote_qty * self.max_slippage_bps / _BPS
            bound = quote.quote_qty + move if buying else quote.quote_qty - move
        base_units = int(request.qty.scaleb(spec.base.decimals))
        bound_units = int(bound.scaleb(spec.quote.decimals))
        kind = HopKind.UNISWAP_V3 if spec.kind is PoolKind.UNISWAP_V3 else HopKind.UNISWAP_V2
        token_in, token_out = ((spec.quote, spec.base) if buying else (spec.base, spec.quote))
        route = Route(token_in.address, token_out.address,
                      single_hop_legs([(kind, spec.address, base_units)], not buying),
                      min_amount_out=base_units if buying else bound_units,
                      max_amount_in=bound_units if buying else base_units,
                      deadline=int(time.time()) + self.deadline_s)
        calls = swap_calls(self.amm.w3, self.executor, route)
        tx = self.wallet.build(calls)
        signatures = await self.wallet.collect(self.wallet.request(tx), self.signers)
        try:
            receipt = await asyncio.to_thread(self.wallet.execute, tx, signatures, self.relayer)
        except WalletError as refused:
            return self._report(request, VenueOrderStatus.REJECTED, reason=str(refused))
        except (ChainError, TimeoutError, OSError) as lost:
            return self._report(request, VenueOrderStatus.UNKNOWN, reason=str(lost))
        except (ContractLogicError, Web3Exception) as reverted:  # reverted in simulation
            return self._report(request, VenueOrderStatus.REJECTED, reason=str(reverted))
        base = quote_total = Decimal(0)
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        for fill in fills_from_receipt(self.amm.w3, self.executor, receipt):
            base_qty = Decimal(fill.amount_out if buying else fill.amount_in).scaleb(
                -spec.base.decimals)
            quote_qty = Decimal(fill.amount_in if buying else fill.amount_out).scaleb(
                -spec.quote.decimals)
            base, quote_total = base + base_qty, quote_total + quote_qty
            self._deliver(VenueFill(
                self.name, request.client_order_id, tx_hash, f"{tx_hash}:{fill.log_index}",
                spec.symbol, request.side, base_qty, quote_qty / base_qty,
                quote_qty * Decimal(spec.fee_pips) / Decimal(1_000_000), spec.quote.symbol,
                Liquidity.TAKER, time.time_ns()))
        return self._report(request, VenueOrderStatus.FILLED, venue_order_id=tx_hash,
                            filled=base, filled_quote=quote_total)

    def _deliver(self, fill: VenueFill) -> None:
        self.fills.append(fill)
        if self.on_fill is not None:
            self.on_fill(fill)

    def _report(self, request: OrderRequest, status: VenueOrderStatus, reason: str = "",
                venue_order_id: str | None = None, filled: Decimal = Decimal(0),
                filled_quote: Decimal = Decimal(0)) -> VenueOrderReport:
        return VenueOrderReport(self.name, request.client_order_id, request.symbol,
                                request.side, status, venue_order_id, request.qty, filled,
                                filled_quote, reason, time.time_ns())
