"""What a swap leg costs in gas, per pool kind and per initialized tick crossed, measured on anvil.

A V3 swap pays a fixed part (the call, the transfers, the callback, slot0 and the oracle) plus
a part for each initialized tick it crosses (reading the tick, flipping fee-growth-outside,
updating liquidity); a V2 swap is a fixed cost. `measure_gas_model` runs real swaps on a devnet
world inside an `evm_snapshot`/`evm_revert` pair, so the chain is left as it was, and fits
`base + per_tick * ticks_crossed` by least squares.

Each measured transaction's intrinsic cost (21000 plus calldata) is taken out: in production a
leg is one call inside a Safe transaction whose intrinsic cost the executor pays once. V3 legs
are measured through Uniswap's SwapRouter and V2 legs as transfer-then-swap on the pair, which
is how our executor drives pairs too; the router's few thousand gas of overhead stays in the
V3 figure, a conservative bias until our own executor is measured the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from web3 import Web3

from chain.errors import TerminalChainError
from chain.poolstate import read_pools, to_v3_pool
from chain.uniswap.v3 import StateWindowExceeded, swap

_INTRINSIC_GAS = 21_000
_WEI_PER_ETH = Decimal(10) ** 18


class GasMeasurementFailed(TerminalChainError):
    """The chain could not be measured (no snapshots, no world, or too few distinct samples)."""


class SwapKind(StrEnum):
    UNISWAP_V2 = "uniswap_v2"
    UNISWAP_V3 = "uniswap_v3"


@dataclass(frozen=True, slots=True)
class GasSample:
    kind: SwapKind
    pool: str
    ticks_crossed: int
    gas: int  # gas of the leg, intrinsic cost removed


@dataclass(frozen=True, slots=True)
class GasModel:
    """Gas units of one swap leg: `base[kind] + per_tick * ticks_crossed` (per_tick for V3)."""

    v2_base: int
    v3_base: int
    v3_per_tick: int
    samples: tuple[GasSample, ...] = ()

    def leg_gas(self, kind: SwapKind, ticks_crossed: int = 0) -> int:
        if kind is SwapKind.UNISWAP_V2:
            return self.v2_base
        return self.v3_base + self.v3_per_tick * ticks_crossed

    def to_json(self) -> dict[str, int]:
        return {"v2_base": self.v2_base, "v3_base": self.v3_base,
                "v3_per_tick": self.v3_per_tick, "samples": len(self.samples)}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> GasModel:
        """The model a manifest recorded (its samples are not kept there)."""
        return cls(int(document["v2_base"]), int(document["v3_base"]),
                   int(document["v3_per_tick"]))


def gas_cost_in_quote(gas: int, gas_price_wei: int, native_price: Decimal) -> Decimal:
    """`gas` units at `gas_price_wei`, in the quote asset at `native_price` quote per ETH."""
    return Decimal(gas * gas_price_wei) / _WEI_PER_ETH * native_price


def calldata_gas(data: bytes) -> int:
    """EIP-2028 calldata cost: 16 per non-zero byte, 4 per zero byte."""
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def _leg_gas(w3: Web3, tx_hash: bytes) -> int:
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)  # type: ignore[arg-type]
    tx = w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
    data = bytes(tx["input"])
    return int(receipt["gasUsed"]) - _INTRINSIC_GAS - calldata_gas(data)


def _rpc(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    if "error" in response:
        raise GasMeasurementFailed(f"{method} refused: {response['error']}")
    return response["result"]


def measure_gas_model(w3: Web3, manifest: dict[str, Any]) -> GasModel:
    """Swap on every pool of a devnet world, measure each leg, and fit the model.

    The chain is restored afterwards. V3 pools are swapped at sizes that cross 0, 1, 2, ...
    initialized ticks (found with our exact swap simulation before sending).
    """
    snapshot = _rpc(w3, "evm_snapshot")
    try:
        samples = [*_measure_v2(w3, manifest), *_measure_v3(w3, manifest)]
    finally:
        _rpc(w3, "evm_revert", snapshot)
    return fit_gas_model(samples)


def fit_gas_model(samples: list[GasSample]) -> GasModel:
    """Least-squares `base + per_tick * crossed` for V3, the mean for V2 (rounded up)."""
    v2 = [s.gas for s in samples if s.kind is SwapKind.UNISWAP_V2]
    v3 = [(s.ticks_crossed, s.gas) for s in samples if s.kind is SwapKind.UNISWAP_V3]
    if not v2 or len({crossed for crossed, _ in v3}) < 2:
        raise GasMeasurementFailed("need V2 samples and V3 samples crossing at least two "
                                   "different numbers of ticks")
    n = len(v3)
    mean_x = Fraction(sum(x for x, _ in v3), n)
    mean_y = Fraction(sum(y for _, y in v3), n)
    covariance = sum((Fraction(x) - mean_x) * (Fraction(y) - mean_y) for x, y in v3)
    variance = sum((Fraction(x) - mean_x) * (Fraction(x) - mean_x) for x, _ in v3)
    slope = Fraction(covariance) / Fraction(variance)
    intercept = mean_y - slope * mean_x
    return GasModel(v2_base=_ceil(Fraction(sum(v2), len(v2))), v3_base=_ceil(intercept),
                    v3_per_tick=_ceil(slope), samples=tuple(samples))


def _ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


def _new_block(w3: Web3) -> None:
    """Move time on: a leg is usually its pool's first swap in a block, which pays for the
    oracle (V3 observation, V2 price accumulators) as a later swap in the same block does not."""
    _rpc(w3, "evm_increaseTime", 12)
    _rpc(w3, "evm_mine")


def _token(w3: Web3, manifest: dict[str, Any], address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address),
                           abi=manifest["abis"]["TestERC20"])


def _measure_v2(w3: Web3, manifest: dict[str, Any]) -> list[GasSample]:
    trader = w3.eth.accounts[0]
    samples: list[GasSample] = []
    for pair_info in manifest["uniswap_v2"]["pairs"].values():
        pair = w3.eth.contract(address=pair_info["address"],
                               abi=manifest["abis"]["UniswapV2Pair"])
        reserve0, reserve1, _ = pair.functions.getReserves().call()
        # The first swap of a pair's life writes its price accumulators from zero (20k gas
        # each); on a live pair they are never zero again, so that swap is not a sample.
        for divisor in (100_000, 10_000, 1_000, 100):
            amount_in = reserve0 // divisor
            amount_out = (amount_in * 997 * reserve1) // (reserve0 * 1000 + amount_in * 997)
            token0 = _token(w3, manifest, pair_info["token0"])
            _new_block(w3)
            sent = token0.functions.transfer(pair.address, amount_in).transact({"from": trader})
            swapped = pair.functions.swap(0, amount_out, trader, b"").transact({"from": trader})
            if divisor != 100_000:
                samples.append(GasSample(SwapKind.UNISWAP_V2, pair.address, 0,
                                         _leg_gas(w3, sent) + _leg_gas(w3, swapped)))
            reserve0, reserve1, _ = pair.functions.getReserves().call()
    return samples


def _measure_v3(w3: Web3, manifest: dict[str, Any]) -> list[GasSample]:
    trader = w3.eth.accounts[0]
    router = w3.eth.contract(address=manifest["uniswap_v3"]["swap_router"],
                             abi=manifest["abis"]["SwapRouter"])
    samples: list[GasSample] = []
    for pool_info in manifest["uniswap_v3"]["pools"].values():
        for zero_for_one in (True, False):
            for amount, crossed in _sizes_by_ticks_crossed(w3, pool_info["address"], zero_for_one):
                snapshot = _rpc(w3, "evm_snapshot")
                state = read_pools(w3, [], [pool_info["address"]])
                pool_state = state.v3[0]
                token_in = pool_state.token0 if zero_for_one else pool_state.token1
                token_out = pool_state.token1 if zero_for_one else pool_state.token0
                _token(w3, manifest, token_in).functions.approve(
                    router.address, amount).transact({"from": trader})
                _new_block(w3)
                tx = router.functions.exactInputSingle((
                    token_in, token_out, pool_state.fee, trader, 2**32 - 1, amount, 0, 0,
                )).transact({"from": trader})
                samples.append(GasSample(SwapKind.UNISWAP_V3, pool_state.address, crossed,
                                         _leg_gas(w3, tx)))
                _rpc(w3, "evm_revert", snapshot)
    return samples


def _sizes_by_ticks_crossed(w3: Web3, pool: str, zero_for_one: bool) -> list[tuple[int, int]]:
    """Input amounts that cross 0, 1, 2, ... initialized ticks, the first found for each count."""
    state = read_pools(w3, [], [pool], words_each_side=128).v3[0]
    simulated = to_v3_pool(state)
    found: dict[int, int] = {}
    amount = max(1, state.liquidity // 10**6)
    for _ in range(200):
        try:
            result = swap(simulated, zero_for_one, amount)
        except StateWindowExceeded:  # past every position: nothing more to learn
            break
        consumed = result.amount0 if zero_for_one else result.amount1
        if consumed < amount:  # ran out of liquidity: larger amounts change nothing
            break
        found.setdefault(result.initialized_ticks_crossed, amount)
        amount = amount * 3 // 2
    return sorted((amount, crossed) for crossed, amount in found.items())
