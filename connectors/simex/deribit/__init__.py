"""simex's Deribit dialect: options, perpetuals and futures over Deribit's JSON-RPC v2 API.

`DeribitServer` serves HTTP under /api/v2 and JSON-RPC over WebSocket at /ws/api/v2 for an
unmodified `ccxt.deribit` (REST, sync and async) and `ccxt.pro.deribit` (streams), pointed at
it with `deribit_ccxt_urls(server.rest_url)`.
"""

from connectors.simex.deribit.config import (
    CurrencyConfig,
    DeribitAccountConfig,
    DeribitConfig,
    DeribitMakerConfig,
    ExpiryConfig,
    load_deribit_config,
)
from connectors.simex.deribit.engine import DerivativesEngine
from connectors.simex.deribit.errors import DeribitApiError
from connectors.simex.deribit.instruments import Instrument, Kind
from connectors.simex.deribit.server import DeribitServer, deribit_ccxt_urls

__all__ = [
    "CurrencyConfig",
    "DeribitAccountConfig",
    "DeribitApiError",
    "DeribitConfig",
    "DeribitMakerConfig",
    "DeribitServer",
    "DerivativesEngine",
    "ExpiryConfig",
    "Instrument",
    "Kind",
    "deribit_ccxt_urls",
    "load_deribit_config",
]
