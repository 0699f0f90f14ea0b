"""simex: a simulated exchange on loopback that speaks Binance's spot REST + WebSocket API.

The real, unmodified `ccxt.binance` (and ccxt.pro binance) trades against it once its
`urls['api']` entries point here (`SimexServer.ccxt_urls()`). Started with a devnet manifest, it
also takes deposits and makes withdrawals on every devnet chain (Binance's capital endpoints).
"""

from connectors.simex.capital import DepositStatus, WithdrawStatus
from connectors.simex.config import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    AccountConfig,
    CapitalConfig,
    MakerConfig,
    NetworkConfig,
    SimexConfig,
    SimexConfigError,
    SymbolConfig,
    load_config,
)
from connectors.simex.errors import BinanceApiError
from connectors.simex.faults import FaultPlan
from connectors.simex.pricefeed import PoolPriceFollower
from connectors.simex.server import PriceSource, SimexServer, binance_ccxt_urls

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "AccountConfig",
    "BinanceApiError",
    "CapitalConfig",
    "DepositStatus",
    "FaultPlan",
    "MakerConfig",
    "NetworkConfig",
    "PoolPriceFollower",
    "PriceSource",
    "SimexConfig",
    "SimexConfigError",
    "SimexServer",
    "SymbolConfig",
    "WithdrawStatus",
    "binance_ccxt_urls",
    "load_config",
]
