"""CEX venues over ccxt: local order books, quotes, and orders placed with our client ids.

Two dialects behind one venue: Binance's own API ("binance") and ccxt's unified API
("ccxt", any ccxt exchange id); `CexVenueConfig.dialect` picks one. Deposits and withdrawals:
`CapitalClient`, and `ExchangeRail`, the exchange as a path between chains for the treasury.
"""

from connectors.cex.binance import BinanceDialect
from connectors.cex.capital import (
    CapitalClient,
    DepositAddress,
    DepositState,
    NetworkTerms,
    VenueDeposit,
    VenueWithdrawal,
    WithdrawalState,
)
from connectors.cex.config import CexVenueConfig, Dialect
from connectors.cex.deribit import DeribitDialect, DeribitVenue
from connectors.cex.dialect import ExchangeDialect
from connectors.cex.errors import InvalidCexConfig, VenueRejected, VenueUnavailable
from connectors.cex.link import FillCursor
from connectors.cex.localbook import BookGap, DepthDiff, LocalOrderBook
from connectors.cex.pacing import Backoff, WeightBudget
from connectors.cex.quoting import curve_from_levels, quote_from_levels
from connectors.cex.rail import (
    BelowRailMinimum,
    ExchangeRail,
    RailChain,
    RailDirection,
    RailError,
    RailProgress,
    RailQuote,
    RailStatus,
    RailTimeout,
    RailTransfer,
    RailTransferFailed,
    UnsupportedRail,
    devnet_rail_chains,
    withdraw_order_id,
)
from connectors.cex.unified import CcxtDialect
from connectors.cex.venue import CexVenue

__all__ = [
    "Backoff",
    "BelowRailMinimum",
    "BinanceDialect",
    "BookGap",
    "CapitalClient",
    "CcxtDialect",
    "CexVenue",
    "CexVenueConfig",
    "DepositAddress",
    "DepositState",
    "DepthDiff",
    "DeribitDialect",
    "DeribitVenue",
    "Dialect",
    "ExchangeDialect",
    "ExchangeRail",
    "FillCursor",
    "InvalidCexConfig",
    "LocalOrderBook",
    "NetworkTerms",
    "RailChain",
    "RailDirection",
    "RailError",
    "RailProgress",
    "RailQuote",
    "RailStatus",
    "RailTimeout",
    "RailTransfer",
    "RailTransferFailed",
    "UnsupportedRail",
    "VenueDeposit",
    "VenueRejected",
    "VenueUnavailable",
    "VenueWithdrawal",
    "WeightBudget",
    "WithdrawalState",
    "curve_from_levels",
    "devnet_rail_chains",
    "quote_from_levels",
    "withdraw_order_id",
]
