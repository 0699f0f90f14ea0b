"""Delta-hedged packages: the options plus one perpetual or spot leg that offsets their delta.

The hedge is sized from the package's Black-76 delta at the board's marks (Deribit's
convention, per coin), rounded to the hedge venue's lot, on the opposite side: a long straddle
struck below the forward has positive delta and is hedged by selling the perpetual. The hedge
can be on another venue than the options (the perpetual on Deribit, spot on Binance, an AMM).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from engine.model import Instrument, InstrumentKind, Side
from engine.strategies._board import OptionBoard
from engine.strategies._builders import LegRole, Strategy, StrategyLeg
from engine.strategies._errors import InvalidStrategy, UnmappedUnderlying
from engine.strategies._names import days_to_expiry
from engine.strategies._pricing import LegGreeks, option_greeks


def perpetual(underlying: str) -> Instrument:
    """The underlying's perpetual (BTC-PERPETUAL), quoted in USD."""
    return Instrument(base=underlying, quote="USD", kind=InstrumentKind.PERPETUAL)


def spot(underlying: str, quote: str = "USDT") -> Instrument:
    """The underlying's spot pair (BTC/USDT)."""
    return Instrument(base=underlying, quote=quote)


_ASSET = re.compile(r"^[A-Z0-9]{2,10}$")


@dataclass(frozen=True)
class HedgeAsset:
    """What hedges an underlying on a spot venue: the pair (WETH/USDC) and its base (WETH)."""

    symbol: str
    base: str

    @property
    def instrument(self) -> Instrument:
        base, _, quote = self.symbol.partition("/")
        return Instrument(base=base, quote=quote)


class HedgeAssets:
    """An explicit underlying -> (hedge symbol, base asset) map, e.g. ETH -> (WETH/USDC, WETH):
    the coin a spot venue trades in place of the options' underlying, one for one. Validated
    when built; an underlying it does not name is refused (`UnmappedUnderlying`), never
    guessed."""

    def __init__(self, mapping: Mapping[str, tuple[str, str]]) -> None:
        if not mapping:
            raise InvalidStrategy("hedge_assets", "must map at least one underlying")
        assets: dict[str, HedgeAsset] = {}
        for underlying, (symbol, base) in mapping.items():
            if not _ASSET.match(underlying):
                raise InvalidStrategy("hedge_assets", f"underlying {underlying!r} is not a coin")
            pair_base, slash, quote = symbol.partition("/")
            if not slash or not _ASSET.match(pair_base) or not _ASSET.match(quote):
                raise InvalidStrategy("hedge_assets",
                                      f"{underlying}: {symbol!r} is not a BASE/QUOTE pair")
            if pair_base != base:
                raise InvalidStrategy("hedge_assets", f"{underlying}: base {base} is not the "
                                                      f"base of {symbol}")
            assets[underlying] = HedgeAsset(symbol, base)
        self._assets = assets

    def __contains__(self, underlying: object) -> bool:
        return underlying in self._assets

    def asset(self, underlying: str) -> HedgeAsset:
        found = self._assets.get(underlying)
        if found is None:
            raise UnmappedUnderlying("underlying", f"{underlying} has no hedge asset mapped "
                                                   f"(mapped: {', '.join(sorted(self._assets))})")
        return found

    def hedge(self, underlying: str) -> Instrument:
        """The spot instrument that hedges `underlying` (WETH/USDC for ETH)."""
        return self.asset(underlying).instrument

    def underlying_of(self, base: str) -> str | None:
        return next((u for u, a in self._assets.items() if a.base == base), None)


async def package_delta(strategy: Strategy, board: OptionBoard, now_ns: int) -> Decimal:
    """Delta of the package's option legs (coins), summed over legs and quantity."""
    total = LegGreeks()
    for leg in strategy.option_legs:
        ticker = await board.ticker(leg.instrument)
        total += option_greeks(ticker, days_to_expiry(leg.instrument, now_ns),
                               strategy.leg_qty(leg) * leg.side.sign)
    return Decimal(repr(total.delta))


async def delta_hedged(strategy: Strategy, board: OptionBoard, now_ns: int,
                       hedge: Instrument, lot_size: Decimal,
                       contract_usd: Decimal | None = None,
                       assets: HedgeAssets | None = None) -> Strategy:
    """`strategy` with a hedge leg of -delta on `hedge`, rounded to `lot_size`; unchanged when
    the delta is under half a lot (nothing to hedge). With `contract_usd` (an inverse
    perpetual, Deribit's: amounts in USD) the lot is USD and delta is converted at the index."""
    if hedge.kind not in (InstrumentKind.PERPETUAL, InstrumentKind.SPOT):
        raise InvalidStrategy("hedge", f"hedges with a perpetual or spot, not {hedge.kind.value}")
    base = strategy.underlying if assets is None else assets.asset(strategy.underlying).base
    if hedge.base != base:
        raise InvalidStrategy("hedge", f"{hedge.id} does not hedge {strategy.underlying}")
    if not lot_size.is_finite() or lot_size <= 0:
        raise InvalidStrategy("hedge_lot", f"must be a positive decimal, got {lot_size}")
    if strategy.hedge_leg is not None:
        raise InvalidStrategy("hedge", "the package is already hedged")
    delta = await package_delta(strategy, board, now_ns)
    if contract_usd is not None:
        delta *= await board.index_price(strategy.underlying)
    lots = (abs(delta) / lot_size).to_integral_value(ROUND_HALF_EVEN)
    if lots == 0:
        return strategy
    side = Side.SELL if delta > 0 else Side.BUY
    return strategy.with_leg(StrategyLeg(hedge, side, lots * lot_size / strategy.qty,
                                         LegRole.HEDGE, contract_usd))
