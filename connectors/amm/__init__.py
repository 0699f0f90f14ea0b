"""AMM venues: Uniswap V2 pairs and V3 pools quoted exactly from on-chain state."""

from connectors.amm.pool_quote import PoolKind, PoolQuote, quote_pool

__all__ = ["PoolKind", "PoolQuote", "quote_pool"]
