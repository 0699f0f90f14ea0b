"""Current prices of the devnet's AMM venues, read straight from the pools.

This is the readable snapshot behind `crossbook devnet status` and the demo: one call per pool,
prices as `Decimal` quote per base in human units. Exact quoting for routing is a separate concern
(batched state reads and the Uniswap math); nothing here is used to trade.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any

from web3 import Web3

# sqrtPriceX96 is a 160-bit integer; squaring it needs more digits than Decimal's default 28.
_WIDE = Context(prec=80)
_Q192 = Decimal(2) ** 192


@dataclass(frozen=True)
class PoolPrice:
    """One AMM venue of one market: where it is priced and how deep it is."""

    venue: str
    market: str
    fee_pips: int
    address: str
    price: Decimal  # quote per base, human units
    base_depth: Decimal  # V2: base reserve; V3: base locked in the pool (all ranges)
    quote_depth: Decimal
    tick: int | None = None


def _human(raw: int, decimals: int) -> Decimal:
    return Decimal(raw).scaleb(-decimals)


def _decimals_by_address(manifest: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {
        token["address"]: (symbol, token["decimals"])
        for symbol, token in manifest["tokens"].items()
    }


@dataclass(frozen=True)
class _Orientation:
    """How a pool's token0/token1 map onto a market's base/quote."""

    base_is_token0: bool
    decimals0: int
    decimals1: int

    @classmethod
    def of(
        cls, market: str, venue: dict[str, Any], tokens: dict[str, tuple[str, int]]
    ) -> _Orientation:
        symbol0, decimals0 = tokens[venue["token0"]]
        _, decimals1 = tokens[venue["token1"]]
        return cls(symbol0 == market.split("/")[0], decimals0, decimals1)

    def price(self, raw_1_per_0: Decimal) -> Decimal:
        """Quote per base in human units from a raw token1/token0 price."""
        human = _WIDE.multiply(raw_1_per_0, Decimal(10) ** (self.decimals0 - self.decimals1))
        return human if self.base_is_token0 else _WIDE.divide(1, human)

    def depths(self, raw0: int, raw1: int) -> tuple[Decimal, Decimal]:
        """(base, quote) in human units from token0/token1 base units."""
        human0, human1 = _human(raw0, self.decimals0), _human(raw1, self.decimals1)
        return (human0, human1) if self.base_is_token0 else (human1, human0)


def read_pool_prices(w3: Web3, manifest: dict[str, Any]) -> list[PoolPrice]:
    """Read every V2 pair and V3 pool in the manifest and return their prices and depth."""
    tokens = _decimals_by_address(manifest)
    prices = [
        _v2_price(w3, manifest, market, pair, tokens)
        for market, pair in manifest.get("uniswap_v2", {}).get("pairs", {}).items()
    ]
    prices += [
        _v3_price(w3, manifest, key.rsplit("/", 1)[0], pool, tokens)
        for key, pool in manifest.get("uniswap_v3", {}).get("pools", {}).items()
    ]
    return prices


def _balances(
    w3: Web3, manifest: dict[str, Any], holder: str, token0: str, token1: str
) -> tuple[int, int]:
    abi = manifest["abis"]["TestERC20"]

    def balance(token: str) -> int:
        contract = w3.eth.contract(address=Web3.to_checksum_address(token), abi=abi)
        amount: int = contract.functions.balanceOf(holder).call()
        return amount

    return balance(token0), balance(token1)


def _v2_price(
    w3: Web3,
    manifest: dict[str, Any],
    market: str,
    pair: dict[str, Any],
    tokens: dict[str, tuple[str, int]],
) -> PoolPrice:
    contract = w3.eth.contract(address=pair["address"], abi=manifest["abis"]["UniswapV2Pair"])
    reserve0, reserve1, _ = contract.functions.getReserves().call()
    orientation = _Orientation.of(market, pair, tokens)
    price = orientation.price(_WIDE.divide(reserve1, reserve0))
    base_depth, quote_depth = orientation.depths(reserve0, reserve1)
    return PoolPrice("uniswap_v2", market, pair["fee_pips"], pair["address"], price,
                     base_depth, quote_depth)


def _v3_price(
    w3: Web3,
    manifest: dict[str, Any],
    market: str,
    pool: dict[str, Any],
    tokens: dict[str, tuple[str, int]],
) -> PoolPrice:
    contract = w3.eth.contract(address=pool["address"], abi=manifest["abis"]["UniswapV3Pool"])
    sqrt_price_x96, tick, *_ = contract.functions.slot0().call()
    raw = _WIDE.divide(_WIDE.multiply(sqrt_price_x96, sqrt_price_x96), _Q192)
    orientation = _Orientation.of(market, pool, tokens)
    price = orientation.price(raw)
    raw0, raw1 = _balances(w3, manifest, pool["address"], pool["token0"], pool["token1"])
    base_depth, quote_depth = orientation.depths(raw0, raw1)
    return PoolPrice("uniswap_v3", market, pool["fee_pips"], pool["address"], price,
                     base_depth, quote_depth, tick)
