"""Standard (per-position) margin, perpetual liquidation prices, and the smallest underlying
move that breaches maintenance for the whole desk.

Sources:
- Deribit Knowledge Base, "Margin types and usage" and the standard-mode option margin rules
  (short call IM = max(0.15 - OTM/index, 0.1) x index + mark, MM = 0.075 x index + mark; short
  put IM = max(that, MM), MM = max(0.075 x index, 0.075 x mark) + mark).
- Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts" (one-way mode):
  LP = (WB - TMM1 + UPNL1 + cumB - side x Q x EP) / (Q x MMR - side x Q), with TMM1 = UPNL1 = 0
  in isolated mode; maintenance margin = notional x MMR - cum, where cum is the bracket's
  maintenance amount (Binance FAQ "Leverage and Margin of USDⓈ-M Futures").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from risk.errors import InvalidRiskInput
from risk.margin.black76 import Float, black76_price
from risk.margin.book import Book, MarginTotals, compile_book
from risk.margin.config import PerpTier, StandardMarginConfig
from risk.margin.positions import MarketData, PerpetualPosition, Portfolio

# --- perpetual tiers -------------------------------------------------------------------------


def maintenance_amounts(tiers: tuple[PerpTier, ...]) -> tuple[Decimal, ...]:
    """Binance's `cum` per bracket: continuous maintenance margin across bracket floors,
    cum_i = cum_(i-1) + floor_i x (mmr_i - mmr_(i-1))."""
    amounts = [Decimal(0)]
    for previous, tier in pairwise(tiers):
        amounts.append(amounts[-1] + tier.floor_usd * (tier.mmr - previous.mmr))
    return tuple(amounts)


def tier_for(notional_usd: Decimal, tiers: tuple[PerpTier, ...]) -> int:
    """Index of the bracket a position notional falls in."""
    index = 0
    for i, tier in enumerate(tiers):
        if notional_usd >= tier.floor_usd:
            index = i
    return index


def perp_maintenance_margin(notional_usd: Decimal, tiers: tuple[PerpTier, ...]) -> Decimal:
    """Maintenance margin of a perpetual: notional x MMR - cum of its bracket."""
    i = tier_for(notional_usd, tiers)
    return notional_usd * tiers[i].mmr - maintenance_amounts(tiers)[i]


def perp_initial_margin(notional_usd: Decimal, tiers: tuple[PerpTier, ...]) -> Decimal:
    """Initial margin at the bracket's maximum leverage."""
    return notional_usd / tiers[tier_for(notional_usd, tiers)].max_leverage


def liquidation_price(position: PerpetualPosition, wallet_balance: Decimal,
                      tiers: tuple[PerpTier, ...], *,
                      other_maintenance: Decimal = Decimal(0),
                      other_unrealized_pnl: Decimal = Decimal(0)) -> Decimal | None:
    """Binance USDⓈ-M one-way liquidation price.

    Isolated: `wallet_balance` is the position's isolated margin and the `other_*` terms stay 0.
    Cross: `wallet_balance` is the cross wallet balance and `other_*` are the maintenance margin
    and unrealized P&L of every other contract. The bracket is the one the notional at the
    liquidation price falls in. None when no positive price liquidates (e.g. an over-margined
    long). A zero quantity is refused."""
    q, side = abs(position.quantity), Decimal(1 if position.quantity > 0 else -1)
    if q == 0:
        raise InvalidRiskInput("quantity", "a flat position has no liquidation price")
    amounts = maintenance_amounts(tiers)
    numerator_base = (wallet_balance - other_maintenance + other_unrealized_pnl
                      - side * q * position.entry_price)
    candidates: list[Decimal] = []
    for i, tier in enumerate(tiers):
        denominator = q * tier.mmr - side * q
        price = (numerator_base + amounts[i]) / denominator
        if price > 0 and tier_for(price * q, tiers) == i:
            candidates.append(price)
    if not candidates:
        return None
    # Longs liquidate at the highest consistent price below entry, shorts at the lowest above.
    return max(candidates) if side > 0 else min(candidates)


# --- options, Deribit standard mode ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StandardMargin(MarginTotals):
    """Standard-mode margin of the desk (USD): options and perpetuals, summed per position."""

    equity: float
    option_initial: float
    option_maintenance: float
    perp_initial: float
    perp_maintenance: float

    @property
    def initial_margin(self) -> float:
        return self.option_initial + self.perp_initial

    @property
    def maintenance_margin(self) -> float:
        return self.option_maintenance + self.perp_maintenance


def option_standard_margin(index: Float, strike: Float, mark: Float, is_call: NDArray[np.bool_],
                           quantity: Float, config: StandardMarginConfig
                           ) -> tuple[Float, Float]:
    """Initial and maintenance margin (USD) of each option position; longs need none."""
    base, floor, mm_rate = (float(config.option_im_base), float(config.option_im_floor),
                            float(config.option_mm_rate))
    otm = np.where(is_call, np.maximum(strike - index, 0.0), np.maximum(index - strike, 0.0))
    im_rate = np.maximum(base - otm / index, floor)
    mm = np.where(is_call, mm_rate * index, np.maximum(mm_rate * index, mm_rate * mark)) + mark
    im = im_rate * index + mark
    im = np.where(is_call, im, np.maximum(im, mm))
    short = np.where(quantity < 0, -quantity, 0.0)
    return im * short, mm * short


def _book_standard(book: Book, perps: tuple[PerpetualPosition, ...],
                   config: StandardMarginConfig, moves: Float) -> tuple[float, float, float, float]:
    o = book.options
    option_im = option_mm = 0.0
    if o.size:
        index = (book.index * (1.0 + moves))[o.underlying]
        forward = o.forward * (1.0 + moves[o.underlying])
        mark = black76_price(forward, o.strike, o.days, o.vol, o.is_call, check=False)
        im, mm = option_standard_margin(index, o.strike, mark, o.is_call, o.quantity, config)
        option_im, option_mm = float(im.sum()), float(mm.sum())
    perp_im = perp_mm = Decimal(0)
    for perp in perps:
        price = Decimal(repr(float(book.index[book.slot(perp.underlying)]
                                   * (1.0 + moves[book.slot(perp.underlying)]))))
        notional = abs(perp.quantity) * price
        perp_im += perp_initial_margin(notional, config.perp_tiers)
        perp_mm += perp_maintenance_margin(notional, config.perp_tiers)
    return option_im, option_mm, float(perp_im), float(perp_mm)


def standard_margin(portfolio: Portfolio, market: MarketData,
                    config: StandardMarginConfig | None = None) -> StandardMargin:
    """Standard-mode margin of every option and perpetual, against desk equity."""
    config = config or StandardMarginConfig()
    book = compile_book(portfolio, market)
    moves = np.zeros(len(book.underlyings))
    parts = _book_standard(book, portfolio.perpetuals, config, moves)
    return StandardMargin(book.equity(), *parts)


# --- the whole desk: smallest breaching move --------------------------------------------------


@dataclass(frozen=True, slots=True)
class BreachMove:
    """Smallest move of one underlying (others held) at which equity falls below standard
    maintenance margin, down and up; None when no move within the searched range breaches."""

    underlying: str
    down: float | None
    up: float | None
    already_breached: bool

    @property
    def buffer(self) -> float | None:
        """The nearer of the two moves, as a positive fraction."""
        sides = [abs(m) for m in (self.down, self.up) if m is not None]
        return min(sides) if sides else None


def _surplus(book: Book, perps: tuple[PerpetualPosition, ...], config: StandardMarginConfig,
             slot: int, move: float) -> float:
    moves = np.zeros(len(book.underlyings))
    moves[slot] = move
    _, option_mm, _, perp_mm = _book_standard(book, perps, config, moves)
    return book.equity(moves) - option_mm - perp_mm


def _first_breach(book: Book, perps: tuple[PerpetualPosition, ...],
                  config: StandardMarginConfig, slot: int, direction: float,
                  limit: float) -> float | None:
    grid = np.linspace(0.0, limit, 201)[1:] * direction
    previous = 0.0
    for move in grid:
        if _surplus(book, perps, config, slot, float(move)) < 0:
            lo, hi = previous, float(move)  # surplus >= 0 at lo, < 0 at hi
            for _ in range(50):
                mid = 0.5 * (lo + hi)
                if _surplus(book, perps, config, slot, mid) < 0:
                    hi = mid
                else:
                    lo = mid
            return hi
        previous = float(move)
    return None


def breach_moves(portfolio: Portfolio, market: MarketData,
                 config: StandardMarginConfig | None = None, *, max_down: float = 0.99,
                 max_up: float = 5.0) -> tuple[BreachMove, ...]:
    """For each underlying, the smallest down and up move that breaches maintenance."""
    config = config or StandardMarginConfig()
    book = compile_book(portfolio, market)
    result = []
    for slot, name in enumerate(book.underlyings):
        breached = _surplus(book, portfolio.perpetuals, config, slot, 0.0) < 0
        down = 0.0 if breached else _first_breach(book, portfolio.perpetuals, config, slot,
                                                  -1.0, max_down)
        up = 0.0 if breached else _first_breach(book, portfolio.perpetuals, config, slot,
                                                1.0, max_up)
        result.append(BreachMove(name, down, up, breached))
    return tuple(result)
