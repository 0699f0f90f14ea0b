"""CEX venues over ccxt: local order books, quotes, and orders placed with our client ids.

Two dialects behind one venue: Binance's own API ("binance") and ccxt's unified API
("ccxt", any ccxt exchange id); `CexVenueConfig.dialect` picks one.
"""

from connectors.cex.binance import BinanceDialect
from connectors.cex.config import CexVenueConfig, Dialect
from connectors.cex.dialect import ExchangeDialect
from connectors.cex.errors import InvalidCexConfig, VenueRejected, VenueUnavailable
from connectors.cex.link import FillCursor
from connectors.cex.localbook import BookGap, DepthDiff, LocalOrderBook
from connectors.cex.pacing import Backoff, WeightBudget
from connectors.cex.quoting import curve_from_levels, quote_from_levels
from connectors.cex.unified import CcxtDialect
from connectors.cex.venue import CexVenue

__all__ = [
    "Backoff",
    "BinanceDialect",
    "BookGap",
    "CcxtDialect",
    "CexVenue",
    "CexVenueConfig",
    "DepthDiff",
    "Dialect",
    "ExchangeDialect",
    "FillCursor",
    "InvalidCexConfig",
    "LocalOrderBook",
    "VenueRejected",
    "VenueUnavailable",
    "WeightBudget",
    "curve_from_levels",
    "quote_from_levels",
]
