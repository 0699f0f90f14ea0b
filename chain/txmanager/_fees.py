"""Fee estimation (pure): EIP-1559 fees from `eth_feeHistory`, legacy gas price otherwise, and
the fees of a replacement at the same nonce.

`eth_feeHistory` returns `blockCount + 1` base fees: the last is the base fee of the next block,
which is what the next transaction pays (EIP-1559: the protocol computes it from the parent).
The priority fee is the median over the sampled blocks of the configured reward percentile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import median_low
from typing import Any

from chain.txmanager._model import Fees, TxManagerConfig
from chain.txmanager.errors import FeeCapReached


def _as_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def next_base_fee_wei(history: Mapping[str, Any]) -> int | None:
    """The next block's base fee from a fee history; None when the node has no EIP-1559."""
    base_fees: Sequence[Any] = history.get("baseFeePerGas") or ()
    if not base_fees:
        return None
    last = _as_int(base_fees[-1])
    # A pre-London chain reports zeros for every block.
    return None if last == 0 and all(_as_int(b) == 0 for b in base_fees) else last


def priority_fee_wei(history: Mapping[str, Any], config: TxManagerConfig) -> int:
    """Median of the sampled blocks' reward at the configured percentile, clamped to config."""
    rewards = [_as_int(block[0]) for block in history.get("reward") or () if block]
    sampled = median_low(rewards) if rewards else 0
    return min(max(sampled, config.min_priority_fee_wei), config.max_priority_fee_cap_wei)


def dynamic_fees(history: Mapping[str, Any], config: TxManagerConfig) -> Fees | None:
    """EIP-1559 fees for the next block, or None when the history shows no base fee."""
    base_fee = next_base_fee_wei(history)
    if base_fee is None:
        return None
    cap = config.max_fee_per_gas_cap_wei
    priority = min(priority_fee_wei(history, config), cap)
    max_fee = min(base_fee * config.base_fee_multiplier_pct // 100 + priority, cap)
    return Fees(max_fee_per_gas_wei=max_fee, max_priority_fee_per_gas_wei=priority)


def legacy_fees(gas_price_wei: int, config: TxManagerConfig) -> Fees:
    """A legacy gas price (the node's suggestion), capped like a max fee."""
    return Fees(gas_price_wei=min(gas_price_wei, config.max_fee_per_gas_cap_wei))


def bumped_wei(value_wei: int, pct: int) -> int:
    """`value_wei` raised by `pct` percent, rounded up, and by at least one wei."""
    return max(-(-value_wei * (100 + pct) // 100), value_wei + 1)


def replacement_fees(previous: Fees, fresh: Fees, config: TxManagerConfig) -> Fees:
    """Fees for a new version at the same nonce: every field at least `replacement_bump_pct`
    above the previous version (the node's replacement rule) and never below a fresh estimate.
    Raises FeeCapReached when the configured cap does not leave room for the bump."""
    pct = config.replacement_bump_pct
    cap = config.max_fee_per_gas_cap_wei
    if not previous.is_dynamic:
        price = max(bumped_wei(previous.cost_cap_per_gas_wei, pct), fresh.cost_cap_per_gas_wei)
        if price > cap:
            raise FeeCapReached("gas_price_wei", price, cap)
        return Fees(gas_price_wei=price)
    assert previous.max_priority_fee_per_gas_wei is not None
    fresh_priority = fresh.max_priority_fee_per_gas_wei if fresh.is_dynamic else 0
    priority = max(bumped_wei(previous.max_priority_fee_per_gas_wei, pct), fresh_priority or 0)
    max_fee = max(bumped_wei(previous.cost_cap_per_gas_wei, pct), fresh.cost_cap_per_gas_wei,
                  priority)
    if max_fee > cap:
        raise FeeCapReached("max_fee_per_gas_wei", max_fee, cap)
    return Fees(max_fee_per_gas_wei=max_fee, max_priority_fee_per_gas_wei=priority)
