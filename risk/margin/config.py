"""Typed, frozen margin-engine configuration; unknown keys are refused. Defaults are the
reference values of DESIGN.md and the venues' published rules named on each class.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortfolioMarginConfig(_Frozen):
    """Deribit-style scenario margin (Deribit Knowledge Base, "Portfolio Margin", segregated
    model): `price_moves` evenly spaced moves over +/- the underlying's range, each under vol
    up / same / down; an extended table of large moves under vol up only, each weighted by
    range / |move| (the fraction Deribit states it keeps) and relieved by a dampener;
    maintenance = `maintenance_factor` x (worst loss + delta shock + roll shock + contingency).

    Vol shocks are relative: vol x (1 + up x (30/days)^p), vol x (1 - down x (30/days)^p), with
    p = `short_vol_power` under 30 days and `long_vol_power` beyond; days are floored at
    `min_days` so an option about to expire is not shocked without bound.
    """

    price_range: dict[str, float] = Field(default_factory=lambda: {"BTC": 0.16, "ETH": 0.18})
    default_price_range: float = Field(0.20, gt=0, lt=1, description="range of an underlying "
                                       "not in price_range")
    price_moves: int = Field(9, ge=3, description="odd: a zero move is always included")
    vol_up: float = Field(0.5, ge=0)
    vol_down: float = Field(0.25, ge=0, lt=1)
    vol_reference_days: float = Field(30.0, gt=0)
    short_vol_power: float = 0.30
    long_vol_power: float = 0.13
    min_days: float = Field(1.0, gt=0)
    extended_moves: tuple[float, ...] = (-0.66, -0.33, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0)
    extended_dampener_usd: float = Field(0.0, ge=0, description="subtracted from each "
                                         "weighted extended-table loss")
    delta_shock_rate: float = Field(0.01, ge=0, description="x |net delta| x index")
    roll_shock_rate: float = Field(0.005, ge=0, description="x |delta| x index, per futures "
                                   "expiry bucket, scaled by sqrt(days/365)")
    option_contingency_rate: float = Field(0.01, ge=0, description="x index per unit of net "
                                           "short options at each strike and expiry")
    maintenance_factor: float = Field(0.8, gt=0, le=1)

    @model_validator(mode="after")
    def _odd_moves(self) -> PortfolioMarginConfig:
        if self.price_moves % 2 == 0:
            raise ValueError("price_moves must be odd so that a zero move is included")
        return self

    def range_of(self, underlying: str) -> float:
        """The maximum price move of `underlying` (a fraction)."""
        return self.price_range.get(underlying, self.default_price_range)


class PerpTier(_Frozen):
    """One notional bracket of a perpetual: from `floor_usd`, maintenance rate `mmr` and
    `max_leverage`. The maintenance amount (Binance's `cum`) is derived, not configured."""

    floor_usd: Decimal = Field(ge=0)
    mmr: Decimal = Field(gt=0, lt=1)
    max_leverage: Decimal = Field(gt=0)


def _binance_btcusdt_tiers() -> tuple[PerpTier, ...]:
    # Binance USDⓈ-M BTCUSDT leverage and margin brackets as published in its FAQ "Leverage and
    # Margin of USDⓈ-M Futures" (the 2.5% bracket's maintenance amount of 16,300 appears in its
    # worked liquidation example). Desks should configure the venue's current table.
    rows = [(0, "0.004", 125), (50_000, "0.005", 100), (250_000, "0.01", 50),
            (1_000_000, "0.025", 20), (5_000_000, "0.05", 10), (20_000_000, "0.1", 5),
            (50_000_000, "0.125", 4), (100_000_000, "0.15", 3), (200_000_000, "0.25", 2),
            (300_000_000, "0.5", 1)]
    return tuple(PerpTier(floor_usd=Decimal(f), mmr=Decimal(m), max_leverage=Decimal(lev))
                 for f, m, lev in rows)


class StandardMarginConfig(_Frozen):
    """Per-position margin. Options follow Deribit's standard-mode rules (Deribit Knowledge Base,
    "Margin types and usage" / "Inverse Options margin"): a short call needs
    IM = max(0.15 - OTM/index, 0.1) x index + mark and MM = 0.075 x index + mark; a short put
    IM = max(that, MM) and MM = max(0.075 x index, 0.075 x mark) + mark; long options need no
    margin beyond their premium. Perpetuals use `perp_tiers`."""

    option_im_base: Decimal = Decimal("0.15")
    option_im_floor: Decimal = Decimal("0.1")
    option_mm_rate: Decimal = Decimal("0.075")
    perp_tiers: tuple[PerpTier, ...] = Field(default_factory=_binance_btcusdt_tiers)

    @model_validator(mode="after")
    def _tiers_ascend(self) -> StandardMarginConfig:
        floors = [t.floor_usd for t in self.perp_tiers]
        if not floors or floors[0] != 0 or floors != sorted(set(floors)):
            raise ValueError("perp_tiers must start at 0 and ascend strictly")
        return self


class VarConfig(_Frozen):
    """Value at Risk and expected shortfall settings."""

    var_confidence: float = Field(0.99, gt=0.5, lt=1)
    es_confidence: float = Field(0.975, gt=0.5, lt=1)
    horizon_days: int = Field(1, ge=1)
    monte_carlo_paths: int = Field(100_000, ge=1000)
    seed: int = 20260101


class AlertThresholds(_Frozen):
    """When to raise an alert; None disables a check."""

    max_margin_utilisation: float | None = Field(0.8, gt=0)
    min_liquidation_move: float | None = Field(0.10, gt=0)
    max_abs_delta_usd: float | None = Field(None, gt=0)
    max_abs_vega_usd: float | None = Field(None, gt=0)


class HedgeInstrument(_Frozen):
    """Where the delta of one underlying is hedged, and its lot size."""

    venue: str
    instrument: str
    lot_size: Decimal = Field(gt=0)


class HedgeConfig(_Frozen):
    """Delta-hedge proposals: hedge when |net delta| x index exceeds `band_usd`, down to zero."""

    enabled: bool = False
    band_usd: float = Field(10_000.0, ge=0)
    instruments: dict[str, HedgeInstrument] = Field(default_factory=lambda: {
        "BTC": HedgeInstrument(venue="deribit", instrument="BTC-PERPETUAL",
                               lot_size=Decimal("0.001")),
        "ETH": HedgeInstrument(venue="deribit", instrument="ETH-PERPETUAL",
                               lot_size=Decimal("0.01")),
    })


class MarginEngineConfig(_Frozen):
    """Every setting of the margin engine, one slice per component."""

    portfolio: PortfolioMarginConfig = Field(default_factory=PortfolioMarginConfig)
    standard: StandardMarginConfig = Field(default_factory=StandardMarginConfig)
    var: VarConfig = Field(default_factory=VarConfig)
    alerts: AlertThresholds = Field(default_factory=AlertThresholds)
    hedge: HedgeConfig = Field(default_factory=HedgeConfig)
