"""Index, forwards and marks: what every instrument is worth now, from the config's surface.

- index: per currency, moved by the makers' random walk (or set by a test);
- future mark: the forward, index * (1 + basis * T);
- perpetual mark: index * (1 + premium), the configured premium in bps;
- option mark: Black-76 on the expiry's forward at the surface vol, in coin (USD / forward),
  never below the smallest tick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from connectors.simex.deribit.config import CurrencyConfig, DeribitConfig
from connectors.simex.deribit.instruments import Instrument, atm_vol_for, forward_price
from connectors.simex.deribit.pricing import OptionValue, black76, smile_vol

_COIN_PLACES = Decimal("0.00000001")
_USD_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class OptionMark:
    price: Decimal  # coin
    vol: float  # the surface vol, a fraction
    forward: Decimal
    value: OptionValue  # USD per coin of underlying, Greeks in Deribit's units


class MarkBoard:
    def __init__(self, config: DeribitConfig, start_ms: int,
                 clock_ms: Callable[[], int]) -> None:
        self.config, self.start_ms, self.clock_ms = config, start_ms, clock_ms
        self.index: dict[str, Decimal] = {c.currency: c.index_price for c in config.currencies}
        self._currencies = {c.currency: c for c in config.currencies}
        self._atm: dict[tuple[str, int], float] = {}

    def currency(self, code: str) -> CurrencyConfig:
        return self._currencies[code]

    def forward(self, instrument: Instrument) -> Decimal:
        years = instrument.years_to_expiry(self.clock_ms())
        spec = self._currencies[instrument.currency]
        return forward_price(spec, self.index[instrument.currency], years).quantize(_USD_PLACES)

    def perp_premium(self, currency: str) -> Decimal:
        return self._currencies[currency].perp_premium_bps / Decimal(10000)

    def mark(self, instrument: Instrument) -> Decimal:
        if instrument.is_option:
            return self.option(instrument).price
        if instrument.perpetual:
            index = self.index[instrument.currency]
            return (index * (1 + self.perp_premium(instrument.currency))).quantize(_USD_PLACES)
        return self.forward(instrument)

    def option(self, instrument: Instrument) -> OptionMark:
        assert instrument.strike is not None and instrument.is_call is not None
        spec = self._currencies[instrument.currency]
        forward = self.forward(instrument)
        years = instrument.years_to_expiry(self.clock_ms())
        key = (instrument.currency, instrument.expiry_ms)
        atm = self._atm.get(key)
        if atm is None:
            atm = self._atm[key] = atm_vol_for(spec, self.start_ms, instrument.expiry_ms)
        vol = smile_vol(atm, float(spec.skew), float(spec.smile), float(forward),
                        float(instrument.strike))
        value = black76(float(forward), float(instrument.strike), years, vol,
                        instrument.is_call)
        coin = Decimal(str(value.price / float(forward))).quantize(_COIN_PLACES)
        return OptionMark(max(coin, instrument.tick), vol, forward, value)
