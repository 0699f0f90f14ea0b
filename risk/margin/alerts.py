"""Threshold alerts over a risk snapshot, and the delta-hedge proposal the OMS can route.

The proposal is advice: a plain (venue, instrument, side, quantity) the engine turns into an
order through the router when hedging is enabled; nothing here sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import Enum

from risk.margin.book import GreeksTotal
from risk.margin.config import AlertThresholds, HedgeConfig
from risk.margin.positions import Side


class AlertKind(Enum):
    """Which threshold was crossed."""

    MARGIN_UTILISATION = "margin_utilisation"
    LIQUIDATION_BUFFER = "liquidation_buffer"
    DELTA = "delta"
    VEGA = "vega"


@dataclass(frozen=True, slots=True)
class Alert:
    """A crossed threshold: what, where, the measured value and the limit."""

    kind: AlertKind
    subject: str  # "desk" or an underlying
    value: float
    threshold: float

    def __str__(self) -> str:
        return f"{self.kind.value} of {self.subject}: {self.value:.6g} (limit {self.threshold:.6g})"


def check_alerts(thresholds: AlertThresholds, *, utilisation: float,
                 liquidation_buffer: float | None,
                 greeks: tuple[GreeksTotal, ...]) -> tuple[Alert, ...]:
    """Every threshold the snapshot crosses; `liquidation_buffer` None means no breach found."""
    alerts: list[Alert] = []
    if (thresholds.max_margin_utilisation is not None
            and utilisation > thresholds.max_margin_utilisation):
        alerts.append(Alert(AlertKind.MARGIN_UTILISATION, "desk", utilisation,
                            thresholds.max_margin_utilisation))
    if (thresholds.min_liquidation_move is not None and liquidation_buffer is not None
            and liquidation_buffer < thresholds.min_liquidation_move):
        alerts.append(Alert(AlertKind.LIQUIDATION_BUFFER, "desk", liquidation_buffer,
                            thresholds.min_liquidation_move))
    for g in greeks:
        if (thresholds.max_abs_delta_usd is not None
                and abs(g.delta_usd) > thresholds.max_abs_delta_usd):
            alerts.append(Alert(AlertKind.DELTA, g.underlying, g.delta_usd,
                                thresholds.max_abs_delta_usd))
        if thresholds.max_abs_vega_usd is not None and abs(g.vega) > thresholds.max_abs_vega_usd:
            alerts.append(Alert(AlertKind.VEGA, g.underlying, g.vega, thresholds.max_abs_vega_usd))
    return tuple(alerts)


@dataclass(frozen=True, slots=True)
class HedgeProposal:
    """One order that brings an underlying's delta back towards zero."""

    underlying: str
    venue: str
    instrument: str
    side: Side
    quantity: Decimal
    delta_before: float
    delta_after: float


def propose_delta_hedges(greeks: tuple[GreeksTotal, ...],
                         config: HedgeConfig) -> tuple[HedgeProposal, ...]:
    """A perpetual trade per underlying whose |delta| x index exceeds the band, sized down to
    the instrument's lot so the hedge never overshoots. Underlyings without a configured hedge
    instrument get no proposal (never a guessed instrument)."""
    proposals = []
    for g in greeks:
        instrument = config.instruments.get(g.underlying)
        if instrument is None or abs(g.delta_usd) <= config.band_usd:
            continue
        lots = (Decimal(repr(abs(g.delta))) / instrument.lot_size).to_integral_value(ROUND_DOWN)
        quantity = (lots * instrument.lot_size).quantize(instrument.lot_size)
        if quantity == 0:
            continue
        side = Side.SELL if g.delta > 0 else Side.BUY
        signed = float(quantity) * (1 if side is Side.BUY else -1)
        proposals.append(HedgeProposal(g.underlying, instrument.venue, instrument.instrument,
                                       side, quantity, g.delta, g.delta + signed))
    return tuple(proposals)
