"""Reference prices for simex's makers taken from devnet AMM pools, so both venues agree.

`PoolPriceFollower` is a `PriceSource`: called with "BASE/QUOTE", it answers the price of that
market's pool on the devnet (Uniswap V3 by default, fee tier chosen by the manifest), re-read
when older than `max_age_s`. The read is one synchronous RPC round trip per pool on loopback.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from web3 import Web3

from chain.pool_prices import read_pool_prices


class PoolPriceFollower:
    def __init__(self, w3: Web3, manifest: dict[str, Any], venue: str = "uniswap_v3",
                 max_age_s: float = 1.0) -> None:
        self.w3, self.manifest, self.venue, self.max_age_s = w3, manifest, venue, max_age_s
        self._prices: dict[str, Decimal] = {}
        self._read_at = 0.0

    def refresh(self) -> dict[str, Decimal]:
        """Read every pool of the venue kind now; the deepest pool of a market wins."""
        best: dict[str, tuple[Decimal, Decimal]] = {}
        for pool in read_pool_prices(self.w3, self.manifest):
            if pool.venue != self.venue:
                continue
            if pool.market not in best or pool.quote_depth > best[pool.market][1]:
                best[pool.market] = (pool.price, pool.quote_depth)
        self._prices = {market: price for market, (price, _) in best.items()}
        self._read_at = time.monotonic()
        return dict(self._prices)

    def __call__(self, symbol: str) -> Decimal | None:
        if time.monotonic() - self._read_at > self.max_age_s:
            self.refresh()
        return self._prices.get(symbol)
