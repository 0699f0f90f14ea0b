"""Two pools in a row as one venue: X/Y where no pool trades X against Y, through an asset M
that both trade with (WBTC/WETH through USDC).

Each hop is one of our pool venues, quoted exactly on the shared cached state; the hops are
chained by asset, whichever way round each pool lists its pair:

    acquire(pool, asset, n)   what the pool takes for paying out n of `asset`
    spend(pool, asset, n)     what the pool pays out for taking n of `asset`

    buy  X by base  q:  m = acquire(x_pool, X, q);  y = acquire(y_pool, M, m)
    buy  X by quote y:  m = spend(y_pool, Y, y);    q = spend(x_pool, M, m)
    sell X by base  q:  m = spend(x_pool, X, q);    y = spend(y_pool, M, m)
    sell X by quote y:  m = acquire(y_pool, Y, y);  q = acquire(x_pool, M, m)

The marginal price is the product of the hops' marginal prices in path terms; the fixed cost is
both legs' gas, priced in Y. `path_venues` builds paths over disjoint pool pairs, so no pool's
liquidity is offered twice to the router.
"""

from __future__ import annotations

from decimal import Decimal

from connectors.amm.venue import AmmPoolVenue, AmmVenues, PoolSpec, Token
from connectors.errors import InvalidQuoteRequest
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


def _hop(pool: AmmPoolVenue, asset: Token, amount: Decimal,
         acquire: bool) -> tuple[Decimal, Decimal, Decimal, bool, int, StateStamp]:
    """(other asset amount, marginal price as other-per-asset, fee in other, partial, gas
    units, stamp) for acquiring or spending `amount` of `asset` on `pool`."""
    spec = pool.spec
    is_base = spec.base.address == asset.address
    if acquire:
        side, basis = (Side.BUY, QtyBasis.BASE) if is_base else (Side.SELL, QtyBasis.QUOTE)
    else:
        side, basis = (Side.SELL, QtyBasis.BASE) if is_base else (Side.BUY, QtyBasis.QUOTE)
    q = pool.quote_now(spec.symbol, side, amount, basis)
    other = q.quote_qty if is_base else q.base_qty
    # marginal price as "other per asset"
    marginal = q.marginal_price if is_base else 1 / q.marginal_price
    fee = q.fee if is_base else q.fee / q.avg_price
    gas = int(q.detail.split("gas=")[1]) if "gas=" in q.detail else 0
    return other, marginal, fee, q.partial, gas, q.stamp


class AmmPathVenue:
    """X/Y through M over two pool venues (implements `connectors.venue.Venue`)."""

    def __init__(self, x_pool: AmmPoolVenue, y_pool: AmmPoolVenue, base: Token, quote: Token,
                 via: Token, venues: AmmVenues) -> None:
        for pool, token in ((x_pool, base), (y_pool, quote)):
            assets = {pool.spec.base.address, pool.spec.quote.address}
            if assets != {token.address, via.address}:
                raise InvalidQuoteRequest("path", f"{pool.name} does not trade "
                                                  f"{token.symbol} against {via.symbol}")
        self.x_pool, self.y_pool = x_pool, y_pool
        self.base, self.quote_token, self.via = base, quote, via
        self._venues = venues
        self.symbol = f"{base.symbol}/{quote.symbol}"
        self._name = f"path:{x_pool.name}>{y_pool.name}"
        self._market = Market(
            venue=self._name, kind=VenueKind.AMM, symbol=self.symbol, base=base.symbol,
            quote=quote.symbol, lot_size=Decimal(1).scaleb(-base.decimals),
            tick_size=Decimal(0), min_qty=Decimal(1).scaleb(-base.decimals),
            min_notional=Decimal(0),
            taker_fee=1 - (1 - x_pool.markets()[0].taker_fee) * (
                1 - y_pool.markets()[0].taker_fee),
            quote_step=Decimal(1).scaleb(-quote.decimals),
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> VenueKind:
        return VenueKind.AMM

    def markets(self) -> tuple[Market, ...]:
        return (self._market,)

    async def quote(self, symbol: str, side: Side, qty: Decimal,
                    basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        return self.quote_now(symbol, side, qty, basis)

    def quote_now(self, symbol: str, side: Side, qty: Decimal,
                  basis: QtyBasis = QtyBasis.BASE) -> VenueQuote:
        if symbol != self.symbol:
            raise InvalidQuoteRequest("symbol", f"{symbol} is not traded on {self.name}")
        require_positive("qty", qty)
        x, y, m = self.base, self.quote_token, self.via
        step = Decimal(1).scaleb(-m.decimals)
        if side is Side.BUY and basis is QtyBasis.BASE:
            mid, p1, _, part1, g1, s1 = _hop(self.x_pool, x, qty, acquire=True)
            mid = mid.quantize(step, rounding="ROUND_UP")
            out, p2, _, part2, g2, s2 = _hop(self.y_pool, m, mid, acquire=True)
            base_qty, quote_qty, marginal = qty, out, p1 * p2
        elif side is Side.BUY:
            mid, p2, _, part2, g2, s2 = _hop(self.y_pool, y, qty, acquire=False)
            mid = mid.quantize(step, rounding="ROUND_DOWN")
            base_qty, p1, _, part1, g1, s1 = _hop(self.x_pool, m, mid, acquire=False)
            quote_qty, marginal = qty, 1 / (p1 * p2)
        elif basis is QtyBasis.BASE:
            mid, p1, _, part1, g1, s1 = _hop(self.x_pool, x, qty, acquire=False)
            mid = mid.quantize(step, rounding="ROUND_DOWN")
            quote_qty, p2, _, part2, g2, s2 = _hop(self.y_pool, m, mid, acquire=False)
            base_qty, marginal = qty, p1 * p2
        else:
            mid, p2, _, part2, g2, s2 = _hop(self.y_pool, y, qty, acquire=True)
            mid = mid.quantize(step, rounding="ROUND_UP")
            base_qty, p1, _, part1, g1, s1 = _hop(self.x_pool, m, mid, acquire=True)
            quote_qty, marginal = qty, 1 / (p1 * p2)
        if base_qty <= 0 or quote_qty <= 0:
            raise InvalidQuoteRequest("qty", f"{qty} is too small to trade on {self.name}")
        fee = quote_qty * self._market.taker_fee
        gas_token = self._venues.gas_in(y, g1 + g2)
        stamp = s1 if s1.observed_ns <= s2.observed_ns else s2
        return VenueQuote(self.name, symbol, side, base_qty, quote_qty, quote_qty / base_qty,
                          marginal, fee, gas_token, part1 or part2, stamp,
                          detail=f"{self.x_pool.name} > {self.y_pool.name} via {m.symbol}")

    async def depth(self, symbol: str, side: Side, max_base: Decimal,
                    points: int = 32) -> DepthCurve:
        if symbol != self.symbol:
            raise InvalidQuoteRequest("symbol", f"{symbol} is not traded on {self.name}")
        require_positive("max_base", max_base)
        step = Decimal(1).scaleb(-self.base.decimals)
        full = self.quote_now(symbol, side, max_base.quantize(step, rounding="ROUND_DOWN"))
        curve: list[DepthPoint] = []
        for i in range(1, points + 1):
            size = (full.base_qty * i / points).quantize(step, rounding="ROUND_DOWN")
            if size <= 0 or (curve and size <= curve[-1].base_qty):
                continue
            try:
                q = full if i == points else self.quote_now(symbol, side, size)
            except InvalidQuoteRequest:
                continue
            curve.append(DepthPoint(q.base_qty, q.quote_qty, q.avg_price, q.marginal_price))
        return DepthCurve(self.name, symbol, side, tuple(curve), full.fixed_cost, full.stamp)


def path_venues(venues: AmmVenues, base: Token, quote: Token) -> list[AmmPathVenue]:
    """Paths base/quote through every asset both trade with, over disjoint pool pairs: the
    deepest pool of one hop with the deepest of the other, then the next two, and so on."""
    paths: list[AmmPathVenue] = []
    tokens: dict[str, Token] = {}
    for venue in venues.venues:
        tokens[venue.spec.base.address] = venue.spec.base
        tokens[venue.spec.quote.address] = venue.spec.quote
    for via in tokens.values():
        if via.address in (base.address, quote.address):
            continue
        x_pools = _deepest_first(venues, base, via)
        y_pools = _deepest_first(venues, quote, via)
        for x_pool, y_pool in zip(x_pools, y_pools, strict=False):
            paths.append(AmmPathVenue(x_pool, y_pool, base, quote, via, venues))
    return paths


def _deepest_first(venues: AmmVenues, token: Token, via: Token) -> list[AmmPoolVenue]:
    pools = [v for v in venues.venues
             if {v.spec.base.address, v.spec.quote.address} == {token.address, via.address}]

    def depth(pool: AmmPoolVenue) -> Decimal:
        spec: PoolSpec = pool.spec
        state = venues.cached(spec.address).state
        liquidity = getattr(state, "liquidity", None)
        if liquidity is not None:
            return Decimal(liquidity)
        reserves = (getattr(state, "reserve0", 0), getattr(state, "reserve1", 0))
        return Decimal(reserves[0] * reserves[1]).sqrt()

    return sorted(pools, key=depth, reverse=True)


def venues_for_symbol(venues: AmmVenues, symbol: str) -> list[AmmPoolVenue | AmmPathVenue]:
    """The pools trading `symbol` directly, or when none does, two-pool paths to it."""
    direct: list[AmmPoolVenue | AmmPathVenue] = list(venues.for_symbol(symbol))
    if direct:
        return direct
    base_symbol, _, quote_symbol = symbol.partition("/")
    base, quote = venues.token(base_symbol), venues.token(quote_symbol)
    if base is None or quote is None:
        return []
    return list(path_venues(venues, base, quote))
