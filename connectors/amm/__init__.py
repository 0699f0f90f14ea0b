"""AMM venues: Uniswap V2 pairs and V3 pools quoted exactly from on-chain state."""

from connectors.amm.path_quote import PathQuote, quote_path
from connectors.amm.pool_quote import PoolKind, PoolQuote, quote_pool

__all__ = ["PathQuote", "PoolKind", "PoolQuote", "quote_path", "quote_pool"]
