"""One instrument's order book: price levels of FIFO queues, price-time priority.

The spot simex's `SymbolBook` is tied to Binance spot orders (balances locked per asset,
Binance filters); derivatives orders lock margin instead, so this book holds the
derivatives engine's own orders. `change_id` counts every level change, as Deribit's does.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.simex.deribit.model import DerivOrder


@dataclass
class DerivBook:
    instrument: str
    bids: dict[Decimal, deque[DerivOrder]] = field(default_factory=dict)
    asks: dict[Decimal, deque[DerivOrder]] = field(default_factory=dict)
    bid_prices: list[Decimal] = field(default_factory=list)  # ascending; best bid last
    ask_prices: list[Decimal] = field(default_factory=list)  # ascending; best ask first
    change_id: int = 1
    touched: dict[tuple[str, Decimal], None] = field(default_factory=dict)  # (side, price)

    def _side(self, direction: str) -> tuple[dict[Decimal, deque[DerivOrder]], list[Decimal]]:
        return (self.bids, self.bid_prices) if direction == "buy" else (
            self.asks, self.ask_prices)

    def touch(self, direction: str, price: Decimal) -> None:
        self.touched[(direction, price)] = None

    def add(self, order: DerivOrder) -> None:
        assert order.price is not None
        levels, prices = self._side(order.direction)
        if order.price not in levels:
            levels[order.price] = deque()
            bisect.insort(prices, order.price)
        levels[order.price].append(order)
        order.on_book = True
        self.touch(order.direction, order.price)

    def remove(self, order: DerivOrder) -> None:
        assert order.price is not None
        levels, prices = self._side(order.direction)
        queue = levels.get(order.price)
        if queue is not None and order in queue:
            queue.remove(order)
            if not queue:
                del levels[order.price]
                prices.pop(bisect.bisect_left(prices, order.price))
        order.on_book = False
        self.touch(order.direction, order.price)

    def level_amount(self, direction: str, price: Decimal) -> Decimal:
        levels = self.bids if direction == "buy" else self.asks
        return sum((o.remaining for o in levels.get(price, ())), Decimal(0))

    def opposite(self, taker_direction: str) -> Iterator[tuple[Decimal, deque[DerivOrder]]]:
        """Levels a taker meets, best first (over a copy: matching empties levels)."""
        if taker_direction == "buy":
            for price in list(self.ask_prices):
                if price in self.asks:
                    yield price, self.asks[price]
        else:
            for price in reversed(list(self.bid_prices)):
                if price in self.bids:
                    yield price, self.bids[price]

    def best(self, direction: str) -> Decimal | None:
        if direction == "buy":
            return self.bid_prices[-1] if self.bid_prices else None
        return self.ask_prices[0] if self.ask_prices else None

    def snapshot(self, depth: int) -> tuple[list[tuple[Decimal, Decimal]],
                                            list[tuple[Decimal, Decimal]]]:
        bids = [(p, self.level_amount("buy", p)) for p in reversed(self.bid_prices[-depth:])]
        asks = [(p, self.level_amount("sell", p)) for p in self.ask_prices[:depth]]
        return bids, asks

    def flush(self) -> tuple[int, int, list[tuple[str, Decimal, Decimal]]] | None:
        """Pending level changes as (prev_change_id, change_id, [(side, price, amount)])."""
        if not self.touched:
            return None
        changes = [(side, price, self.level_amount(side, price)) for side, price in self.touched]
        self.touched = {}
        previous = self.change_id
        self.change_id += 1
        return previous, self.change_id, changes
