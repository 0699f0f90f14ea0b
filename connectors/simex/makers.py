"""Background market makers: a ladder of resting orders around a reference price per symbol.

Every `refresh_ms` each symbol's maker cancels its ladder and quotes a new one around the
reference price: the server's `price_source(symbol)` when it gives one (e.g. a devnet pool's
mid price), else a seeded random walk of `drift_bps` per refresh from the configured price.
Makers trade from their own account through the same engine as everyone else, so takers see
real depth, trades print, and the diff stream carries every change.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from connectors.simex.config import SymbolConfig
from connectors.simex.errors import BinanceApiError
from connectors.simex.matching import Account, NewOrder, OrderKind, OrderSide, Stp, Tif, q_lot

if TYPE_CHECKING:
    from connectors.simex.server import SimexServer

MAKER_KEY = "simex-maker"
_BIG = Decimal(10) ** 12
_BPS = Decimal(10000)


def _tick(price: Decimal, tick: Decimal) -> Decimal:
    return (price / tick).to_integral_value(rounding=ROUND_DOWN) * tick


def ladder(spec: SymbolConfig, reference: Decimal, levels: int, half_spread_bps: Decimal,
           step_bps: Decimal, level_notional: Decimal) -> list[tuple[OrderSide, Decimal,
                                                                    Decimal]]:
    """(side, price, qty) of a symmetric ladder around `reference`; pure, for tests too."""
    orders = []
    for i in range(levels):
        offset = (half_spread_bps + step_bps * i) / _BPS
        bid = _tick(reference * (1 - offset), spec.tick_size)
        ask = _tick(reference * (1 + offset), spec.tick_size) + spec.tick_size
        for side, price in ((OrderSide.BUY, bid), (OrderSide.SELL, ask)):
            qty = max(q_lot(level_notional / price, spec.lot_size), spec.min_qty)
            orders.append((side, price, qty))
    return orders


class SymbolMaker:
    def __init__(self, server: SimexServer, spec: SymbolConfig, account: Account,
                 rng: random.Random) -> None:
        self.server, self.spec, self.account, self.rng = server, spec, account, rng
        self.reference = spec.reference_price
        self.sequence = 0

    def next_reference(self) -> Decimal:
        source = self.server.price_source
        followed = source(f"{self.spec.base}/{self.spec.quote}") if source else None
        if followed is not None and followed > 0:
            self.reference = followed
            return followed
        drift = self.server.config.makers.drift_bps / _BPS
        step = Decimal(str(round(self.rng.uniform(-1, 1), 6))) * drift
        self.reference = self.reference * (1 + step)
        return self.reference

    def requote(self) -> None:
        engine, config = self.server.engine, self.server.config.makers
        for order in engine.open_orders(self.account.api_key, self.spec.venue_symbol):
            _, out = engine.cancel_order(self.account.api_key, order.symbol, order.order_id,
                                         None)
            self.server.publish(out)
        for asset in (self.spec.base, self.spec.quote):
            self.account.balance(asset).free = _BIG
        for side, price, qty in ladder(self.spec, self.next_reference(), config.levels,
                                       config.half_spread_bps, config.level_step_bps,
                                       config.level_notional):
            self.sequence += 1
            request = NewOrder(self.account.api_key, self.spec.venue_symbol, side,
                               OrderKind.LIMIT, Tif.GTC, qty, None, price,
                               f"mm-{self.sequence}", Stp.NONE)
            try:
                _, out = engine.new_order(request)
            except BinanceApiError:
                continue  # a level that would break a filter is skipped, not fatal
            self.server.publish(out)


async def run_makers(server: SimexServer) -> None:
    """Requote every symbol every refresh until cancelled."""
    config = server.config.makers
    account = server.engine.accounts.get(MAKER_KEY) or server.engine.add_account(
        MAKER_KEY, secrets.token_hex(32), {})
    rng = random.Random(config.seed)
    makers = [SymbolMaker(server, spec, account, rng) for spec in server.config.symbols]
    while True:
        for maker in makers:
            maker.requote()
        await asyncio.sleep(config.refresh_ms / 1000)
