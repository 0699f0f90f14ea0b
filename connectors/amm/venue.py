"""AMM pools as venues: each Uniswap V2 pair or V3 pool answers the Venue protocol.

One pool is one venue, so the router can split an order across pools as it does across
exchanges. All pools of a chain share one `AmmVenues` holder: a `PoolStateCache` (state at one
block, log-driven refresh, reorg rollback), the gas price read with it, and a measured
`GasModel`. Quotes are exact swaps over the cached state, computed locally; nothing is read
from the network until `refresh()`.

Quantities map onto swaps as a trader expects:

    side  basis   the pool swap
    buy   base    exact output of base, paying quote
    buy   quote   exact input of quote
    sell  base    exact input of base
    sell  quote   exact output of quote, paying base

A quantity finer than its token's decimals is refused, not rounded: the venue never trades an
amount other than the one asked. Prices are quote per base in human units, the pool's fee
included; `fixed_cost` is the leg's gas (base + per initialized tick crossed) at the gas price
of the last refresh, in the quote asset, not included in `quote_qty`.

A pool is also a `connectors.volume.VolumeFeed`: `recent_trades` reads its Swap events
(`connectors.amm.tape`), so a VWAP can measure on-chain volume as it does a CEX's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3

from chain.poolstate import (
    CachedPool,
    PoolStateCache,
    RefreshReport,
    V2PairState,
    V3PoolState,
    to_v3_pool,
)
from chain.uniswap.gas import GasModel, SwapKind, gas_cost_in_quote
from chain.uniswap.v3 import V3Pool
from connectors.amm.pool_quote import PoolKind
from connectors.amm.simulate import Q96, simulate
from connectors.amm.tape import BlockTimes, swap_prints
from connectors.errors import InvalidQuoteRequest, TerminalVenueError
from connectors.venue import (
    DepthCurve,
    DepthPoint,
    Market,
    QtyBasis,
    Side,
    StateStamp,
    VenueKind,
    VenueQuote,
    require_positive,
)
from connectors.volume import TradePrint, require_since

_PIPS = Decimal(1_000_000)
# The window of bitmap words read around each V3 pool's price; a quote that needs ticks beyond
# it is flagged partial (an understatement of depth, never an overstatement).
DEFAULT_WORDS_EACH_SIDE = 16


class GasUnpriced(TerminalVenueError):
    """No pool of the set prices the chain's native token in this venue's quote asset."""


@dataclass(frozen=True, slots=True)
class Token:
    symbol: str
    address: ChecksumAddress
    decimals: int


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """A pool traded as `base/quote`: which token is which is ours to say, not the pool's."""

    address: ChecksumAddress
    kind: PoolKind
    base: Token
    quote: Token
    fee_pips: int

    @property
    def symbol(self) -> str:
        return f"{self.base.symbol}/{self.quote.symbol}"

    @property
    def venue_name(self) -> str:
        if self.kind is PoolKind.UNISWAP_V2:
            return f"uniswap_v2:{self.symbol}"
        return f"uniswap_v3:{self.symbol}:{self.fee_pips}"


def _to_units(field: str, amount: Decimal, token: Token) -> int:
    scaled = amount.scaleb(token.decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidQuoteRequest(field, f"{amount} has more decimal places than "
                                         f"{token.symbol}'s {token.decimals}")
    return int(scaled)


def _from_units(amount: int, token: Token) -> Decimal:
    return Decimal(amount).scaleb(-token.decimals)


class AmmPoolVenue:
    """One pool as a venue (implements `connectors.venue.Venue`)."""

    def __init__(self, spec: PoolSpec, venues: AmmVenues) -> None:
        self.spec = spec
        self._venues = venues
        self._fee = Decimal(spec.fee_pips) / _PIPS
        self._market = Market(
            venue=spec.venue_name, kind=VenueKind.AMM, symbol=spec.symbol,
            base=spec.base.symbol, quote=spec.quote.symbol,
            lot_size=Decimal(1).scaleb(-spec.base.decimals), tick_size=Decimal(0),
            min_qty=Decimal(1).scaleb(-spec.base.decimals), min_notional=Decimal(0),
            taker_fee=self._fee, quote_step=Decimal(1).scaleb(-spec.quote.decimals),
        )

    @property
    def name(self) -> str:
        return self.spec.venue_name

    @property
    def kind(self) -> VenueKind:
        return VenueKind.AMM

    def markets(self) -> tuple[Market, ...]:
        return (self._market,)

    async def recent_trades(self, symbol: str, since_ns: int,
                            bar_ns: int | None = None) -> list[TradePrint]:
        """The pool's Swap events from `since_ns` on (block time), as `VolumeFeed` asks;
        always swap by swap (`bar_ns` is not needed: logs carry no bars)."""
        self._check_symbol(symbol)
        require_since(since_ns)
        spec = self.spec
        return await asyncio.to_thread(
            swap_prints, self._venues.w3, spec.address, spec.kind, spec.base.address,
            spec.quote.address, spec.base.decimals, since_ns, self._venues.block_times)

    def mid_price(self) -> Decimal:
        """The pool's price before any trade, without the fee, quote per base."""
        cached = self._venues.cached(self.spec.address)
        num, den = _raw_price(cached.state)
        return self._human_price(num, den, cached.state)

    async def quote(self, symbol: str, side: Side, qty: Decimal,
                    basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        return self.quote_now(symbol, side, qty, basis)

    def quote_now(self, symbol: str, side: Side, qty: Decimal,
                  basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        """The quote, synchronously: pure computation over the cached state."""
        self._check_symbol(symbol)
        require_positive("qty", qty)
        spec = self.spec
        cached = self._venues.cached(spec.address)
        state = cached.state
        buying = side is Side.BUY
        token_in = spec.quote if buying else spec.base
        # Exact input when the quantity is counted in what we give; exact output otherwise.
        exact_in = (basis is QtyBasis.QUOTE) == buying
        amount = _to_units("qty", qty, spec.quote if basis is QtyBasis.QUOTE else spec.base)
        zero_for_one = token_in.address == state.token0
        result = simulate(state, zero_for_one, amount, exact_in, self._venues.v3_pool(cached))
        base_raw, quote_raw = ((result.amount_out, result.amount_in) if buying
                               else (result.amount_in, result.amount_out))
        if base_raw == 0 or quote_raw == 0:
            raise InvalidQuoteRequest("qty", f"{qty} {basis.value} is too small to trade "
                                             f"anything on {self.name}")
        base_qty, quote_qty = _from_units(base_raw, spec.base), _from_units(quote_raw, spec.quote)
        mid_after = self._human_price(result.price_after_num, result.price_after_den, state)
        if buying:
            fee, marginal = quote_qty * self._fee, mid_after / (1 - self._fee)
        else:
            fee, marginal = quote_qty * self._fee / (1 - self._fee), mid_after * (1 - self._fee)
        gas = self._venues.gas_model.leg_gas(_swap_kind(spec.kind), result.ticks_crossed)
        return VenueQuote(
            venue=self.name, symbol=spec.symbol, side=side, base_qty=base_qty,
            quote_qty=quote_qty, avg_price=quote_qty / base_qty, marginal_price=marginal,
            fee=fee, fixed_cost=self._venues.gas_in(spec.quote, gas), partial=result.partial,
            stamp=_stamp(cached),
            detail=f"{spec.address} ticks_crossed={result.ticks_crossed} gas={gas}",
        )

    async def depth(self, symbol: str, side: Side, max_base: Decimal,
                    points: int = 32) -> DepthCurve:
        return self.depth_now(symbol, side, max_base, points)

    def depth_now(self, symbol: str, side: Side, max_base: Decimal,
                  points: int = 32) -> DepthCurve:
        """Exact quotes at `points` evenly spaced sizes up to `max_base`, or up to what the
        pool can fill when that is less (the last point is then the partial fill).

        `fixed_cost` is the gas of the largest point, the most ticks crossed: an upper bound
        for every smaller size.
        """
        self._check_symbol(symbol)
        require_positive("max_base", max_base)
        if points < 1:
            raise InvalidQuoteRequest("points", f"must be at least 1, got {points}")
        step_unit = Decimal(1).scaleb(-self.spec.base.decimals)
        # Where the pool (or the state window) runs out, the curve ends: sample up to there.
        full = self.quote_now(symbol, side, max_base.quantize(step_unit, rounding="ROUND_DOWN"))
        limit = full.base_qty
        curve: list[DepthPoint] = []
        for i in range(1, points + 1):
            size = (limit * i / points).quantize(step_unit, rounding="ROUND_DOWN")
            if size <= 0 or (curve and size <= curve[-1].base_qty):
                continue
            try:
                q = full if i == points else self.quote_now(symbol, side, size)
            except InvalidQuoteRequest as too_small:
                if too_small.field == "qty":
                    continue
                raise
            curve.append(DepthPoint(q.base_qty, q.quote_qty, q.avg_price, q.marginal_price))
        cached = self._venues.cached(self.spec.address)
        return DepthCurve(self.name, self.spec.symbol, side, tuple(curve), full.fixed_cost,
                          _stamp(cached))

    def _check_symbol(self, symbol: str) -> None:
        if symbol != self.spec.symbol:
            raise InvalidQuoteRequest("symbol", f"{symbol} is not traded on {self.name} "
                                                f"(it trades {self.spec.symbol})")

    def _human_price(self, num: int, den: int, state: V2PairState | V3PoolState) -> Decimal:
        """Raw token1-per-token0 `num/den` as quote per base in human units."""
        spec = self.spec
        with localcontext() as ctx:
            ctx.prec = 40
            if spec.base.address == state.token0:  # raw price is quote units per base unit
                price = Decimal(num) / Decimal(den)
            else:
                price = Decimal(den) / Decimal(num)
            return +price.scaleb(spec.base.decimals - spec.quote.decimals)


def _raw_price(state: V2PairState | V3PoolState) -> tuple[int, int]:
    if isinstance(state, V3PoolState):
        return state.sqrt_price_x96**2, Q96**2
    return state.reserve1, state.reserve0


def _swap_kind(kind: PoolKind) -> SwapKind:
    return SwapKind.UNISWAP_V3 if kind is PoolKind.UNISWAP_V3 else SwapKind.UNISWAP_V2


def _stamp(cached: CachedPool) -> StateStamp:
    return StateStamp(observed_ns=cached.read_at_ns, block=cached.block.number)


class AmmVenues:
    """Every pool venue of one chain over one shared, refreshed state."""

    def __init__(self, w3: Web3, specs: list[PoolSpec], gas_model: GasModel,
                 native: Token, words_each_side: int = DEFAULT_WORDS_EACH_SIDE) -> None:
        if not specs:
            raise InvalidQuoteRequest("pools", "an AMM venue set needs at least one pool")
        self.w3 = w3
        self.gas_model = gas_model
        self.native = native
        self.gas_price_wei = 0
        self._v3_pools: dict[ChecksumAddress, tuple[CachedPool, V3Pool]] = {}
        self._native_prices: dict[ChecksumAddress, Decimal] = {}
        self.block_times = BlockTimes(w3)  # shared by every pool's tape
        self.cache = PoolStateCache(
            w3, [s.address for s in specs if s.kind is PoolKind.UNISWAP_V2],
            [s.address for s in specs if s.kind is PoolKind.UNISWAP_V3], words_each_side,
        )
        self.venues = tuple(AmmPoolVenue(spec, self) for spec in specs)

    def by_name(self, name: str) -> AmmPoolVenue:
        for venue in self.venues:
            if venue.name == name:
                return venue
        raise InvalidQuoteRequest("venue", f"no AMM venue named {name}; known: "
                                           f"{', '.join(v.name for v in self.venues)}")

    def for_symbol(self, symbol: str) -> tuple[AmmPoolVenue, ...]:
        return tuple(v for v in self.venues if v.spec.symbol == symbol)

    def token(self, symbol: str) -> Token | None:
        for venue in self.venues:
            for token in (venue.spec.base, venue.spec.quote):
                if token.symbol == symbol:
                    return token
        return None

    def refresh_now(self) -> RefreshReport:
        """Bring every pool and the gas price to the chain's newest block."""
        report = self.cache.refresh()
        self.gas_price_wei = int(self.w3.eth.gas_price)
        self._native_prices.clear()
        return report

    async def refresh(self) -> RefreshReport:
        """`refresh_now` off the event loop (web3's HTTP client blocks)."""
        return await asyncio.to_thread(self.refresh_now)

    def cached(self, address: ChecksumAddress) -> CachedPool:
        if self.cache.head is None:
            raise InvalidQuoteRequest("state", "the AMM venues have no state yet: "
                                               "call refresh() first")
        return self.cache.get(address)

    def v3_pool(self, cached: CachedPool) -> V3Pool | None:
        """The swap simulator's pool for a cached V3 state, built once per state read."""
        if not isinstance(cached.state, V3PoolState):
            return None
        kept = self._v3_pools.get(cached.state.address)
        if kept is None or kept[0].state is not cached.state:
            kept = (cached, to_v3_pool(cached.state))
            self._v3_pools[cached.state.address] = kept
        return kept[1]

    def native_price(self, quote: Token) -> Decimal:
        """Quote per native token (ETH): 1 for the wrapped native itself, else the median
        mid price of the set's pools pairing the wrapped native with `quote`."""
        if quote.address == self.native.address:
            return Decimal(1)
        known = self._native_prices.get(quote.address)
        if known is not None:
            return known
        mids: list[Decimal] = []
        for venue in self.venues:
            spec = venue.spec
            if spec.base.address == self.native.address and spec.quote.address == quote.address:
                mids.append(venue.mid_price())
            elif spec.quote.address == self.native.address and spec.base.address == quote.address:
                mids.append(1 / venue.mid_price())
        if not mids:
            raise GasUnpriced(f"no pool prices {self.native.symbol} in {quote.symbol}, so gas "
                              f"cannot be priced in {quote.symbol}")
        price = self._native_prices[quote.address] = sorted(mids)[len(mids) // 2]
        return price

    def gas_in(self, quote: Token, gas: int) -> Decimal:
        return gas_cost_in_quote(gas, self.gas_price_wei, self.native_price(quote))


def specs_from_manifest(manifest: dict[str, Any]) -> tuple[list[PoolSpec], Token]:
    """The pools of a devnet world, each quoted as the world's market symbol (base/quote)."""
    tokens = {symbol: Token(symbol, Web3.to_checksum_address(info["address"]), info["decimals"])
              for symbol, info in manifest["tokens"].items()}
    specs: list[PoolSpec] = []
    for symbol, info in manifest["uniswap_v2"]["pairs"].items():
        base, quote = symbol.split("/")
        specs.append(PoolSpec(Web3.to_checksum_address(info["address"]), PoolKind.UNISWAP_V2,
                              tokens[base], tokens[quote], info["fee_pips"]))
    for key, info in manifest["uniswap_v3"]["pools"].items():
        base, quote, fee = key.split("/")
        specs.append(PoolSpec(Web3.to_checksum_address(info["address"]), PoolKind.UNISWAP_V3,
                              tokens[base], tokens[quote], int(fee)))
    return specs, tokens[manifest["wrapped_native"]]


def amm_venues_from_manifest(
    w3: Web3, manifest: dict[str, Any], gas_model: GasModel | None = None,
    words_each_side: int = DEFAULT_WORDS_EACH_SIDE,
) -> AmmVenues:
    """Venues for every pool of a devnet world, state loaded; the gas model is the one measured
    when the world was deployed, unless given."""
    specs, native = specs_from_manifest(manifest)
    if gas_model is None and "gas_model" not in manifest:
        raise InvalidQuoteRequest("gas_model", "the world recorded no gas model (it needs V2 "
                                               "and V3 pools to measure one); pass one")
    model = gas_model if gas_model is not None else GasModel.from_json(manifest["gas_model"])
    venues = AmmVenues(w3, specs, model, native, words_each_side)
    venues.refresh_now()
    return venues
