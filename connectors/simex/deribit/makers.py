"""Market makers: every listed instrument quoted a few levels a side around its mark.

Options are quoted around the surface mark with a half-spread that widens in the wings and
towards expiry (`half = mark * base * (1 + wing * |ln K/F|) * (1 + short * 7 / days)`, at least
one tick); perpetuals and futures a few bps around their mark. The index moves by a seeded
random walk each refresh; an instrument is requoted when its wanted ladder differs from the
one resting (the index moved, or a level was hit), so books stay full for takers.
"""

from __future__ import annotations

import asyncio
import math
import random
import secrets
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from connectors.simex.deribit.config import CurrencyConfig, DeribitMakerConfig
from connectors.simex.deribit.engine import DerivativesEngine
from connectors.simex.deribit.errors import DeribitApiError
from connectors.simex.deribit.instruments import Instrument
from connectors.simex.deribit.model import DerivOrder, OrderRequest

if TYPE_CHECKING:
    from connectors.simex.deribit.server import DeribitServer

MAKER_KEY = "simex-deribit-maker"
Level = tuple[str, Decimal, Decimal]  # direction, price, amount


def _lots(amount: Decimal, lot: Decimal) -> Decimal:
    return max((amount / lot).to_integral_value(rounding=ROUND_FLOOR) * lot, lot)


def ladder(engine: DerivativesEngine, config: DeribitMakerConfig, spec: CurrencyConfig,
           instrument: Instrument) -> list[Level]:
    """The levels the maker wants resting on `instrument` now; pure, for tests too."""
    mark = engine.marks.mark(instrument)
    if instrument.is_option:
        assert instrument.strike is not None
        forward = engine.marks.forward(instrument)
        days = max(instrument.years_to_expiry(engine.clock_ms()) * 365, 0.5)
        moneyness = abs(math.log(float(instrument.strike / forward)))
        widening = (1 + float(config.wing_widening) * moneyness) * (
            1 + float(config.short_expiry_widening) * 7 / days)
        half = max(mark * config.option_half_spread * Decimal(str(round(widening, 6))),
                   instrument.tick_at(mark))
        sizes = [_lots(s, instrument.min_amount) for s in spec.option_level_sizes]
    else:
        half = mark * config.future_half_spread_bps / Decimal(10000)
        sizes = [_lots(s, instrument.contract_size) for s in spec.future_level_usd]
    levels: list[Level] = []
    for i, size in enumerate(sizes):
        offset = half * (1 + config.level_step * i)
        bid = instrument.round_price(mark - offset, up=False)
        ask = instrument.round_price(mark + offset, up=True)
        if mark - offset >= instrument.tick:
            levels.append(("buy", bid, size))
        levels.append(("sell", ask, size))
    return levels


class DeribitMakers:
    def __init__(self, server: DeribitServer) -> None:
        self.server = server
        self.engine = server.engine
        self.config = server.config.makers
        self.rng = random.Random(self.config.seed)
        engine = self.engine
        self.account = engine.accounts.get(MAKER_KEY) or engine.add_account(
            MAKER_KEY, secrets.token_hex(32), {}, unlimited=True)
        self.requotes = 0

    def resting(self, instrument: Instrument) -> list[DerivOrder]:
        return self.engine.open_orders(MAKER_KEY, instrument=instrument.name)

    def requote(self, instrument: Instrument) -> None:
        """Replace the instrument's ladder when it is not the one wanted now."""
        spec = self.server.config.currency(instrument.currency)
        assert spec is not None
        wanted = ladder(self.engine, self.config, spec, instrument)
        resting = self.resting(instrument)
        if sorted((o.direction, o.price, o.remaining) for o in resting) == sorted(
                (d, p, a) for d, p, a in wanted):
            return
        _, changes = self.engine.cancel_many(MAKER_KEY, instrument=instrument.name)
        self.server.publish(changes)
        for direction, price, amount in wanted:
            request = OrderRequest(MAKER_KEY, instrument.name, direction, amount, "limit",
                                   price, "mm", "good_til_cancelled", False, False)
            try:
                _, _, placed = self.engine.place(request)
            except DeribitApiError:
                continue  # a level the instrument refuses is skipped, not fatal
            self.server.publish(placed)
        self.requotes += 1

    def requote_all(self) -> None:
        for instrument in self.engine.instruments.values():
            if self.engine.active(instrument):
                self.requote(instrument)

    def drift(self) -> None:
        """One step of the index random walk, `drift_bps` at most, per currency."""
        step = self.config.drift_bps / Decimal(10000)
        for code, index in self.engine.marks.index.items():
            move = Decimal(str(round(self.rng.uniform(-1, 1), 6))) * step
            self.engine.marks.index[code] = (index * (1 + move)).quantize(Decimal("0.01"))


async def run_makers(server: DeribitServer) -> None:
    """Quote everything, then drift the index and requote every refresh, until cancelled."""
    makers = server.makers
    assert makers is not None
    while True:
        makers.requote_all()
        await asyncio.sleep(makers.config.refresh_ms / 1000)
        makers.drift()
