"""Configuration of the Deribit-dialect simulator: typed, frozen, unknown keys refused.

Defaults (what `crossbook simex up --dialect deribit` runs without --config):

- currencies BTC (index 95000) and ETH (index 3500); each lists
  - options at every expiry (7, 14, 35, 91 and 182 days out, moved to the next Friday
    08:00 UTC, Deribit's expiry time), strikes every `strike_step` around each expiry's
    forward (BTC 5000, ETH 200; 6 each side), calls and puts; contract 1 coin, minimum
    0.1 BTC / 1 ETH, tick 0.0001 coin below a price of 0.005 and 0.0005 from there up
    (Deribit's `tick_size_steps`);
  - a perpetual (BTC-PERPETUAL: 10 USD contracts, tick 0.5; ETH-PERPETUAL: 1 USD, tick
    0.05), inverse (USD-quoted, settled in the coin) as Deribit's are;
  - futures at the same expiries (tick 2.5 BTC / 0.25 ETH, same contract size);
- the forward of an expiry T (years) is index * (1 + basis_annual * T), basis 5%/year;
- the volatility surface: per-expiry ATM vol (BTC 0.60 to 0.52, ETH 0.70 to 0.62 from the
  nearest expiry out), vol = atm + skew * k + smile * k^2 with k = ln(K / F)
  (BTC skew -0.10, smile 0.35; ETH skew -0.12, smile 0.40);
- fees: options 0.0003 coin per contract, capped at 12.5% of the premium (maker and taker);
  perpetuals and futures 0.05% taker, 0% maker, of the coin notional;
- funding: the perpetual's mark is index * (1 + premium, 10 bps), its 8-hour rate
  max(0.05%, premium) + min(-0.05%, premium) (Deribit's damper), paid by longs to shorts
  every `funding_interval_ms` (default 60 s) pro rata of 8 hours;
- margin (a simple, standard-margin-like rule, see `margin.py`): futures 2% initial and 1%
  maintenance of the coin notional; short options max(0.15 - OTM / index, 0.10) + mark
  initial, 0.075 + mark maintenance per contract; long options none (premium is paid);
- one account, key `simex-demo-key` / secret `simex-demo-secret` unless given, funded with
  10 BTC and 100 ETH;
- market makers on: every listed instrument quoted 3 levels a side around its mark, the index
  moving by a seeded random walk of 2 bps a second (seed 11), quotes refreshed when it moves.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from connectors.simex.config import DEFAULT_API_KEY, DEFAULT_API_SECRET, SimexConfigError


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExpiryConfig(_Frozen):
    days: int = Field(ge=1, le=730)  # days from the server's start, moved to a Friday
    atm_vol: Decimal = Field(gt=0, lt=5)


class CurrencyConfig(_Frozen):
    currency: str = Field(pattern=r"^[A-Z]{2,5}$")
    currency_long: str = ""
    index_price: Decimal = Field(gt=0)
    basis_annual: Decimal = Field(default=Decimal("0.05"), ge=-1, le=1)
    expiries: tuple[ExpiryConfig, ...] = Field(min_length=1)
    skew: Decimal = Decimal("-0.10")
    smile: Decimal = Decimal("0.35")
    strike_step: Decimal = Field(gt=0)
    strikes_each_side: int = Field(default=6, ge=0, le=40)
    option_min_amount: Decimal = Field(gt=0)
    perp_contract_usd: Decimal = Field(gt=0)
    perp_tick: Decimal = Field(gt=0)
    future_tick: Decimal = Field(gt=0)
    perp_premium_bps: Decimal = Field(default=Decimal(10), ge=-500, le=500)
    option_level_sizes: tuple[Decimal, ...] = Field(min_length=1)  # coin per level
    future_level_usd: tuple[Decimal, ...] = Field(min_length=1)  # USD per level


def _btc() -> CurrencyConfig:
    return CurrencyConfig(
        currency="BTC", currency_long="Bitcoin", index_price=Decimal(95000),
        expiries=tuple(ExpiryConfig(days=d, atm_vol=Decimal(v)) for d, v in (
            (7, "0.60"), (14, "0.58"), (35, "0.56"), (91, "0.54"), (182, "0.52"))),
        strike_step=Decimal(5000), option_min_amount=Decimal("0.1"),
        perp_contract_usd=Decimal(10), perp_tick=Decimal("0.5"), future_tick=Decimal("2.5"),
        option_level_sizes=(Decimal(5), Decimal(10), Decimal(25)),
        future_level_usd=(Decimal(50000), Decimal(100000), Decimal(250000)))


def _eth() -> CurrencyConfig:
    return CurrencyConfig(
        currency="ETH", currency_long="Ethereum", index_price=Decimal(3500),
        expiries=tuple(ExpiryConfig(days=d, atm_vol=Decimal(v)) for d, v in (
            (7, "0.70"), (14, "0.68"), (35, "0.66"), (91, "0.64"), (182, "0.62"))),
        skew=Decimal("-0.12"), smile=Decimal("0.40"), strike_step=Decimal(200),
        option_min_amount=Decimal(1), perp_contract_usd=Decimal(1), perp_tick=Decimal("0.05"),
        future_tick=Decimal("0.25"),
        option_level_sizes=(Decimal(50), Decimal(100), Decimal(250)),
        future_level_usd=(Decimal(20000), Decimal(50000), Decimal(100000)))


class FeeConfig(_Frozen):
    option_per_contract: Decimal = Decimal("0.0003")
    option_premium_cap: Decimal = Decimal("0.125")
    future_taker: Decimal = Decimal("0.0005")
    future_maker: Decimal = Decimal(0)


class MarginConfig(_Frozen):
    future_initial: Decimal = Decimal("0.02")
    future_maintenance: Decimal = Decimal("0.01")
    short_option_initial: Decimal = Decimal("0.15")
    short_option_floor: Decimal = Decimal("0.10")
    short_option_maintenance: Decimal = Decimal("0.075")


class DeribitMakerConfig(_Frozen):
    enabled: bool = True
    refresh_ms: int = Field(default=1000, ge=20)
    drift_bps: Decimal = Field(default=Decimal(2), ge=0)
    option_half_spread: Decimal = Decimal("0.02")  # of the mark, near the money, 30 days
    wing_widening: Decimal = Decimal(3)  # more per unit of |ln(K/F)|
    short_expiry_widening: Decimal = Decimal(1)  # more times 7 / days
    future_half_spread_bps: Decimal = Decimal(2)
    level_step: Decimal = Decimal("0.5")  # each level this many half-spreads further
    seed: int = 11


class DeribitAccountConfig(_Frozen):
    api_key: str = Field(default=DEFAULT_API_KEY, min_length=1, max_length=64,
                         pattern=r"^[A-Za-z0-9_-]+$")
    api_secret: SecretStr = SecretStr(DEFAULT_API_SECRET)
    balances: dict[str, Decimal] = Field(default_factory=lambda: {
        "BTC": Decimal(10), "ETH": Decimal(100)})


class DeribitConfig(_Frozen):
    name: str = Field(default="simex-deribit", min_length=1)
    currencies: tuple[CurrencyConfig, ...] = Field(default_factory=lambda: (_btc(), _eth()),
                                                   min_length=1)
    fees: FeeConfig = FeeConfig()
    margin: MarginConfig = MarginConfig()
    makers: DeribitMakerConfig = DeribitMakerConfig()
    accounts: tuple[DeribitAccountConfig, ...] = Field(
        default_factory=lambda: (DeribitAccountConfig(),))
    funding_interval_ms: int = Field(default=60_000, ge=100)
    token_ttl_s: int = Field(default=900, ge=10)  # access tokens from public/auth
    auth_window_ms: int = Field(default=60_000, ge=1000)  # signature timestamp tolerance
    testnet: bool = True  # the `testnet` flag of every answer

    def currency(self, code: str) -> CurrencyConfig | None:
        return next((c for c in self.currencies if c.currency == code), None)


def load_deribit_config(path: Path | None) -> DeribitConfig:
    """The config in `path` (TOML), or the documented defaults; refusals name the field."""
    if path is None:
        return DeribitConfig()
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SimexConfigError(f"config: cannot read {path}: {error}") from error
    try:
        return DeribitConfig.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise SimexConfigError(f"config.{field}: {first['msg']}") from error
