"""CEX venues over ccxt: local order books, quotes, and orders placed with our client ids."""

from connectors.cex.localbook import BookGap, DepthDiff, LocalOrderBook
from connectors.cex.pacing import Backoff, WeightBudget
from connectors.cex.quoting import curve_from_levels, quote_from_levels
from connectors.cex.venue import CexVenue, CexVenueConfig, VenueRejected, VenueUnavailable

__all__ = [
    "Backoff",
    "BookGap",
    "CexVenue",
    "CexVenueConfig",
    "DepthDiff",
    "LocalOrderBook",
    "VenueRejected",
    "VenueUnavailable",
    "WeightBudget",
    "curve_from_levels",
    "quote_from_levels",
]
