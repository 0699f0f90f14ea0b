"""simex configuration: typed, frozen, unknown keys refused; every default documented here.

Defaults (what `crossbook simex up` runs without --config):

- name "simex", maker fee 0.1%, taker fee 0.1% (Binance's base spot tier);
- WETH/USDC: tick 0.01, lot 0.0001, min notional 5 USDC, reference price 3000;
- WBTC/USDC: tick 0.01, lot 0.00001, min notional 5 USDC, reference price 60000;
- one account, key `simex-demo-key` / secret `simex-demo-secret` unless given, funded with
  1,000,000 USDC, 100 WETH and 10 WBTC;
- market makers on: 10 levels a side, 5 bps half-spread, 5 bps between levels, requoted every
  500 ms with a 2 bps random walk of the reference price (seed 7);
- a request-weight limit of 6000 per 60 s window (Binance's REQUEST_WEIGHT), bans of 120 s;
- capital (deposits and withdrawals, active when started with a devnet manifest): every devnet
  chain is a network named `DEVNET<chain id>` with 3 confirmations before a deposit is
  credited and 2 s blocks; withdrawal fee / minimum per coin USDC 1 / 2, WETH 0.0005 / 0.001,
  WBTC 0.00002 / 0.0001; the hot wallet of each chain is funded from the devnet deployer with
  100 ETH of gas and a float of 1,000,000 USDC, 100 WETH and 10 WBTC.

A file given with --config is TOML with the same field names, e.g.

    name = "simex-b"
    taker_fee = "0.0008"
    [[symbols]]
    base = "WETH"
    quote = "USDC"
    reference_price = "3010"
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from connectors.errors import TerminalVenueError

DEFAULT_API_KEY = "simex-demo-key"
DEFAULT_API_SECRET = "simex-demo-secret"  # a public demo credential for a loopback simulator


class SimexConfigError(TerminalVenueError):
    """A simex configuration that cannot be used; names the field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SymbolConfig(_Frozen):
    base: str = Field(min_length=1, pattern=r"^[A-Z0-9]+$")
    quote: str = Field(min_length=1, pattern=r"^[A-Z0-9]+$")
    tick_size: Decimal = Field(default=Decimal("0.01"), gt=0)
    lot_size: Decimal = Field(default=Decimal("0.0001"), gt=0)
    min_qty: Decimal = Field(default=Decimal("0.0001"), gt=0)
    max_qty: Decimal = Field(default=Decimal("9000"), gt=0)
    min_notional: Decimal = Field(default=Decimal("5"), ge=0)
    reference_price: Decimal = Field(default=Decimal("3000"), gt=0)

    @property
    def venue_symbol(self) -> str:
        return f"{self.base}{self.quote}"


class MakerConfig(_Frozen):
    enabled: bool = True
    levels: int = Field(default=10, ge=1, le=200)
    half_spread_bps: Decimal = Field(default=Decimal(5), gt=0)
    level_step_bps: Decimal = Field(default=Decimal(5), gt=0)
    level_notional: Decimal = Field(default=Decimal(20000), gt=0)  # quote per level
    refresh_ms: int = Field(default=500, ge=10)
    drift_bps: Decimal = Field(default=Decimal(2), ge=0)
    seed: int = 7


class AccountConfig(_Frozen):
    api_key: str = Field(default=DEFAULT_API_KEY, min_length=1, max_length=64,
                         pattern=r"^[A-Za-z0-9_-]+$")
    api_secret: SecretStr = SecretStr(DEFAULT_API_SECRET)
    balances: dict[str, Decimal] = Field(default_factory=lambda: {
        "USDC": Decimal(1_000_000), "WETH": Decimal(100), "WBTC": Decimal(10)})


def _default_symbols() -> tuple[SymbolConfig, ...]:
    return (
        SymbolConfig(base="WETH", quote="USDC", reference_price=Decimal(3000)),
        SymbolConfig(base="WBTC", quote="USDC", lot_size=Decimal("0.00001"),
                     min_qty=Decimal("0.00001"), max_qty=Decimal(900),
                     reference_price=Decimal(60000)),
    )


class NetworkConfig(_Frozen):
    """How simex treats one devnet chain (defaults come from `CapitalConfig`)."""

    chain_id: int = Field(gt=0)
    network: str | None = Field(default=None, pattern=r"^[A-Z0-9_]{1,20}$")
    min_confirm: int | None = Field(default=None, ge=1)
    block_time_s: int | None = Field(default=None, ge=1)


def _coin_amounts(**amounts: str) -> dict[str, Decimal]:
    return {coin: Decimal(amount) for coin, amount in amounts.items()}


class CapitalConfig(_Frozen):
    """Deposits and withdrawals (Binance's /sapi/v1/capital endpoints) over devnet chains."""

    min_confirm: int = Field(default=3, ge=1)  # confirmations before a deposit is credited
    block_time_s: int = Field(default=2, ge=1)  # for the estimated arrival time
    withdraw_fee: dict[str, Decimal] = Field(default_factory=lambda: _coin_amounts(
        USDC="1", WETH="0.0005", WBTC="0.00002"))
    withdraw_min: dict[str, Decimal] = Field(default_factory=lambda: _coin_amounts(
        USDC="2", WETH="0.001", WBTC="0.0001"))
    withdraw_max: Decimal = Field(default=Decimal("9999999"), gt=0)
    networks: tuple[NetworkConfig, ...] = ()  # per-chain overrides
    poll_interval_ms: int = Field(default=200, ge=10)
    fund_hot_wallets: bool = True  # from the devnet deployer at start
    hot_wallet_gas_eth: Decimal = Field(default=Decimal(100), ge=0)
    hot_wallet_float: dict[str, Decimal] = Field(default_factory=lambda: _coin_amounts(
        USDC="1000000", WETH="100", WBTC="10"))
    sweep: bool = True  # move credited deposits from deposit addresses to the hot wallet

    def network_of(self, chain_id: int) -> NetworkConfig:
        """The chain's settings with every default filled in."""
        given = next((n for n in self.networks if n.chain_id == chain_id),
                     NetworkConfig(chain_id=chain_id))
        return NetworkConfig(chain_id=chain_id, network=given.network or f"DEVNET{chain_id}",
                             min_confirm=given.min_confirm or self.min_confirm,
                             block_time_s=given.block_time_s or self.block_time_s)


class SimexConfig(_Frozen):
    name: str = Field(default="simex", min_length=1)
    maker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    taker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    symbols: tuple[SymbolConfig, ...] = Field(default_factory=_default_symbols, min_length=1)
    accounts: tuple[AccountConfig, ...] = Field(default_factory=lambda: (AccountConfig(),))
    makers: MakerConfig = MakerConfig()
    weight_limit: int = Field(default=6000, ge=1)  # request weight per window
    weight_window_s: int = Field(default=60, ge=1)
    ban_seconds: int = Field(default=120, ge=1)
    capital: CapitalConfig = CapitalConfig()


def load_config(path: Path | None) -> SimexConfig:
    """The config in `path` (TOML), or the documented defaults; refusals name the field."""
    if path is None:
        return SimexConfig()
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SimexConfigError(f"config: cannot read {path}: {error}") from error
    try:
        return SimexConfig.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise SimexConfigError(f"config.{field}: {first['msg']}") from error
