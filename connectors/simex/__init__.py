"""simex: a simulated exchange on loopback that speaks Binance's spot REST + WebSocket API.

The real, unmodified `ccxt.binance` (and ccxt.pro binance) trades against it once its
`urls['api']` entries point here (`SimexServer.ccxt_urls()`).
"""

from connectors.simex.config import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    AccountConfig,
    MakerConfig,
    SimexConfig,
    SimexConfigError,
    SymbolConfig,
    load_config,
)
from connectors.simex.errors import BinanceApiError
from connectors.simex.faults import FaultPlan
from connectors.simex.pricefeed import PoolPriceFollower
from connectors.simex.server import PriceSource, SimexServer

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "AccountConfig",
    "BinanceApiError",
    "FaultPlan",
    "MakerConfig",
    "PoolPriceFollower",
    "PriceSource",
    "SimexConfig",
    "SimexConfigError",
    "SimexServer",
    "SymbolConfig",
    "load_config",
]
