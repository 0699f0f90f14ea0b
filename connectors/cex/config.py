"""Configuration of a CEX venue: which exchange, how to reach it, which API dialect to speak.

Two dialects (see `connectors.cex.dialect`):
- "binance": Binance's own spot API through ccxt's implicit methods (exchangeInfo weight
  limits, account fees, diff-depth streams, listen-key user stream). Binance and simex.
- "ccxt": ccxt's unified API only (load_markets, fetch_order_book / watch_order_book,
  create_order with clientOrderId, fetch_my_trades / watch_my_trades, fetch_balance), so any
  ccxt exchange id works.
The default is "binance" for exchange_id "binance" and "ccxt" for every other id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connectors.cex.errors import InvalidCexConfig


class Dialect(StrEnum):
    BINANCE = "binance"
    CCXT = "ccxt"


@dataclass(frozen=True)
class CexVenueConfig:
    name: str
    api_key: str
    api_secret: str = field(repr=False)
    exchange_id: str = "binance"
    urls: dict[str, Any] | None = None  # ccxt urls['api'] overrides (simex: server.ccxt_urls())
    stream_url: str | None = None  # binance dialect: base of the streams, ws://host:port/ws
    symbols: tuple[str, ...] = ()  # books to keep; empty: every spot market
    request_timeout_s: float = 5.0
    # binance: the venue refuses a request older than this; both dialects: how long a lost
    # placement may still appear at the venue before it is known never to have arrived
    recv_window_ms: int = 5000
    weight_headroom: float = 0.8  # share of the venue's rate limit we may use
    max_attempts: int = 5
    fill_poll_s: float = 5.0
    backoff_base_s: float = 0.05
    backoff_cap_s: float = 2.0
    listen_key_keepalive_s: float = 1800.0
    book_audit_idle_s: float = 2.0  # a book stream quiet this long: check it over REST
    dialect: str | None = None  # "binance" | "ccxt"; None: by exchange_id (module docstring)
    streams: bool = True  # ccxt dialect: ccxt.pro watch_* where the exchange has them
    book_poll_s: float = 1.0  # ccxt dialect without a book stream: fetch_order_book period
    book_limit: int | None = None  # ccxt dialect: levels asked for; None: exchange default
    ccxt_options: dict[str, Any] | None = None  # merged into the ccxt client's options
    # where the fill-history cursors are kept (JSON): a restart resumes reading after them
    # instead of from the first trade; None: only cursors passed to CexVenue are used
    fill_cursor_path: str | None = None

    def __post_init__(self) -> None:
        if self.dialect is not None and self.dialect not in {d.value for d in Dialect}:
            raise InvalidCexConfig("dialect", f"must be 'binance' or 'ccxt', got "
                                              f"{self.dialect!r}")
        if not self.exchange_id.isidentifier():
            raise InvalidCexConfig("exchange_id", f"must be a ccxt exchange id, got "
                                                  f"{self.exchange_id!r}")
        for name in ("request_timeout_s", "fill_poll_s", "book_poll_s", "backoff_base_s",
                     "backoff_cap_s"):
            if not getattr(self, name) > 0:
                raise InvalidCexConfig(name, "must be positive")
        if not 0 < self.weight_headroom <= 1:
            raise InvalidCexConfig("weight_headroom", "must be in (0, 1]")
        if self.max_attempts < 1:
            raise InvalidCexConfig("max_attempts", "must be at least 1")

    @property
    def resolved_dialect(self) -> Dialect:
        if self.dialect is not None:
            return Dialect(self.dialect)
        return Dialect.BINANCE if self.exchange_id == "binance" else Dialect.CCXT

    def client_options(self) -> dict[str, Any]:
        """The ccxt client's constructor config: our pacing (`WeightBudget`), not ccxt's, so
        that one pacer sees every request and a Retry-After holds them all."""
        options: dict[str, Any] = {"recvWindow": self.recv_window_ms, "fetchCurrencies": False}
        if self.exchange_id == "binance":
            # spot only: the margin and derivatives market lists need other endpoints
            options.update({"fetchMargins": False, "fetchMarkets": {"types": ["spot"]}})
        options.update(self.ccxt_options or {})
        return {"apiKey": self.api_key, "secret": self.api_secret,
                "timeout": int(self.request_timeout_s * 1000), "enableRateLimit": False,
                "options": options}
