"""Delta-hedged packages: the options plus one perpetual or spot leg that offsets their delta.

The hedge is sized from the package's Black-76 delta at the board's marks (Deribit's
convention, per coin), rounded to the hedge venue's lot, on the opposite side: a long straddle
struck below the forward has positive delta and is hedged by selling the perpetual. The hedge
can be on another venue than the options (the perpetual on Deribit, spot on Binance, an AMM).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from engine.model import Instrument, InstrumentKind, Side
from engine.strategies._board import OptionBoard
from engine.strategies._builders import LegRole, Strategy, StrategyLeg
from engine.strategies._errors import InvalidStrategy
from engine.strategies._names import days_to_expiry
from engine.strategies._pricing import LegGreeks, option_greeks


def perpetual(underlying: str) -> Instrument:
    """The underlying's perpetual (BTC-PERPETUAL), quoted in USD."""
    return Instrument(base=underlying, quote="USD", kind=InstrumentKind.PERPETUAL)


def spot(underlying: str, quote: str = "USDT") -> Instrument:
    """The underlying's spot pair (BTC/USDT)."""
    return Instrument(base=underlying, quote=quote)


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
                       contract_usd: Decimal | None = None) -> Strategy:
    """`strategy` with a hedge leg of -delta on `hedge`, rounded to `lot_size`; unchanged when
    the delta is under half a lot (nothing to hedge). With `contract_usd` (an inverse
    perpetual, Deribit's: amounts in USD) the lot is USD and delta is converted at the index."""
    if hedge.kind not in (InstrumentKind.PERPETUAL, InstrumentKind.SPOT):
        raise InvalidStrategy("hedge", f"hedges with a perpetual or spot, not {hedge.kind.value}")
    if hedge.base != strategy.underlying:
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
