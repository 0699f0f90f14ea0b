"""The devnet world: what is deployed on a fresh chain, and the manifest that describes it.

A world file (TOML) names the tokens and the AMM markets with their prices and depth. `deploy_world`
deploys, in a fixed order from the chain's first account, our test tokens, the real Uniswap V2 and
V3 factories with their pairs and pools, the Uniswap periphery (QuoterV2, TickLens, SwapRouter,
NonfungiblePositionManager) and the Safe 1.4.1 singleton, proxy factory, fallback handler and
MultiSendCallOnly. The same world on the same chain id therefore always has the same addresses.
"""

from __future__ import annotations

import math
import tomllib
from decimal import ROUND_FLOOR, Decimal
from math import isqrt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_WORLD_FILE = Path(__file__).resolve().parent / "worlds" / "default.toml"

# Uniswap V3 fee tier (pips) -> tick spacing, as the factory enables them at construction.
V3_TICK_SPACING: dict[int, int] = {500: 10, 3000: 60, 10000: 200}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokenSpec(_Frozen):
    """A test token: its decimals, and whether it is the chain's wrapped native coin."""

    decimals: int = Field(ge=0, le=36)
    wrapped_native: bool = False


class V3RangeSpec(_Frozen):
    """One liquidity position, as percentages from the market price and an amount of base."""

    lower_pct: Decimal = Field(gt=-100)
    upper_pct: Decimal
    base_liquidity: Decimal = Field(gt=0)

    @model_validator(mode="after")
    def _range_contains_price(self) -> V3RangeSpec:
        # Positions straddle the starting price so each one takes both tokens.
        if not self.lower_pct < 0 < self.upper_pct:
            raise ValueError("a range needs lower_pct < 0 < upper_pct")
        return self


class V3PoolSpec(_Frozen):
    """A Uniswap V3 pool at one fee tier with its liquidity positions."""

    fee: int
    ranges: list[V3RangeSpec] = Field(min_length=1)

    @field_validator("fee")
    @classmethod
    def _known_fee_tier(cls, fee: int) -> int:
        if fee not in V3_TICK_SPACING:
            raise ValueError(f"fee must be one of {sorted(V3_TICK_SPACING)} (pips)")
        return fee


class MarketSpec(_Frozen):
    """A base/quote market present on a V2 pair and on V3 pools at the same price."""

    base: str
    quote: str
    price: Decimal = Field(gt=0)
    v2_base_liquidity: Decimal | None = Field(default=None, gt=0)
    v3: list[V3PoolSpec] = Field(default_factory=list)

    @property
    def symbol(self) -> str:
        return f"{self.base}/{self.quote}"


class WorldConfig(_Frozen):
    """Everything a devnet world contains, loaded from a TOML world file."""

    chain_id: int = Field(default=31337, gt=0)
    tokens: dict[str, TokenSpec]
    markets: list[MarketSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _markets_use_known_tokens(self) -> WorldConfig:
        for market in self.markets:
            for symbol in (market.base, market.quote):
                if symbol not in self.tokens:
                    raise ValueError(f"market {market.symbol} uses unknown token {symbol}")
        if sum(token.wrapped_native for token in self.tokens.values()) != 1:
            raise ValueError("exactly one token must be wrapped_native (the periphery needs WETH9)")
        return self

    @property
    def wrapped_native_symbol(self) -> str:
        return next(s for s, token in self.tokens.items() if token.wrapped_native)

    def with_price(self, symbol: str, price: Decimal) -> WorldConfig:
        """Return a copy whose market `symbol` (e.g. 'WETH/USDC') starts at `price`."""
        if not any(m.symbol == symbol for m in self.markets):
            raise ValueError(f"no market {symbol} in the world")
        markets = [
            m.model_copy(update={"price": price}) if m.symbol == symbol else m
            for m in self.markets
        ]
        return self.model_copy(update={"markets": markets})


def load_world(path: Path | None = None) -> WorldConfig:
    """Read and validate a world file; the default world when no path is given."""
    path = path or DEFAULT_WORLD_FILE
    with path.open("rb") as handle:
        return WorldConfig.model_validate(tomllib.load(handle))


# --- pool price geometry -------------------------------------------------------------------


def raw_price(price: Decimal, base_decimals: int, quote_decimals: int) -> Decimal:
    """Quote base units per base base unit for a human price of quote per base."""
    return price * Decimal(10) ** quote_decimals / Decimal(10) ** base_decimals


def sqrt_price_x96_for(price_token1_per_token0: Decimal) -> int:
    """The Q64.96 square root of a raw token1/token0 price, rounded down."""
    numerator, denominator = price_token1_per_token0.as_integer_ratio()
    return isqrt((numerator << 192) // denominator)


def tick_offset_for_pct(pct: Decimal) -> int:
    """Ticks between a price and the same price moved by `pct` percent.

    Only used to place liquidity ranges, where float geometry is precise enough; swap and quote
    math never goes through here.
    """
    return math.floor(math.log(float(1 + pct / 100)) / math.log(1.0001))


def align_tick(tick: int, spacing: int) -> int:
    """Round a tick toward minus infinity onto the pool's tick spacing."""
    return (tick // spacing) * spacing


def to_base_units(amount: Decimal, decimals: int) -> int:
    """Whole base units of a human amount, rounded down (config amounts, not trade amounts)."""
    return int((amount * Decimal(10) ** decimals).to_integral_value(rounding=ROUND_FLOOR))
