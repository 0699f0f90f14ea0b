"""Fee estimation from eth_feeHistory, the legacy fallback, and replacement bumps."""

from __future__ import annotations

from typing import Any

import pytest

from chain.txmanager import (
    FeeCapReached,
    Fees,
    TxManagerConfig,
    bumped_wei,
    dynamic_fees,
    legacy_fees,
    replacement_fees,
)

GWEI = 10**9


def history(base_fees_gwei: list[int], rewards_gwei: list[int]) -> dict[str, Any]:
    """An eth_feeHistory answer: blockCount + 1 base fees (the last is the next block's)."""
    return {
        "oldestBlock": "0x10",
        "baseFeePerGas": [hex(b * GWEI) for b in base_fees_gwei],
        "gasUsedRatio": [0.5] * len(rewards_gwei),
        "reward": [[hex(r * GWEI)] for r in rewards_gwei],
    }


def test_dynamic_fees_when_history_has_base_fees_then_next_base_fee_times_multiplier_plus_tip(
) -> None:
    fees = dynamic_fees(history([10, 11, 12, 13], [1, 3, 2]), TxManagerConfig())

    assert fees == Fees(max_fee_per_gas_wei=2 * 13 * GWEI + 2 * GWEI,
                        max_priority_fee_per_gas_wei=2 * GWEI)  # median of 1, 3, 2


def test_dynamic_fees_when_tip_and_max_fee_exceed_caps_then_clamped() -> None:
    config = TxManagerConfig(max_priority_fee_cap_wei=3 * GWEI, max_fee_per_gas_cap_wei=50 * GWEI)

    fees = dynamic_fees(history([40, 40], [9]), config)

    assert fees == Fees(max_fee_per_gas_wei=50 * GWEI, max_priority_fee_per_gas_wei=3 * GWEI)


def test_dynamic_fees_when_blocks_pay_no_tip_then_minimum_priority_fee() -> None:
    config = TxManagerConfig(min_priority_fee_wei=7)

    fees = dynamic_fees(history([1, 1], [0]), config)

    assert fees is not None and fees.max_priority_fee_per_gas_wei == 7


@pytest.mark.parametrize("answer", [{}, {"baseFeePerGas": []},
                                    {"baseFeePerGas": ["0x0", "0x0"], "reward": [["0x0"]]}])
def test_dynamic_fees_when_node_has_no_eip1559_then_none_and_legacy_price_is_capped(
    answer: dict[str, Any],
) -> None:
    config = TxManagerConfig(max_fee_per_gas_cap_wei=100)

    assert dynamic_fees(answer, config) is None
    assert legacy_fees(250, config) == Fees(gas_price_wei=100)
    assert legacy_fees(20, config).tx_fields() == {"gasPrice": 20}


def test_bumped_wei_rounds_up_and_moves_at_least_one_wei() -> None:
    assert bumped_wei(100, 12) == 112
    assert bumped_wei(101, 10) == 112  # 111.1 rounds up
    assert bumped_wei(1, 10) == 2
    assert bumped_wei(0, 10) == 1


def test_replacement_when_market_unchanged_then_both_fees_rise_by_at_least_ten_percent() -> None:
    previous = Fees(max_fee_per_gas_wei=30 * GWEI, max_priority_fee_per_gas_wei=2 * GWEI)

    fees = replacement_fees(previous, previous, TxManagerConfig(replacement_bump_pct=10))

    assert fees.max_fee_per_gas_wei == 33 * GWEI
    assert fees.max_priority_fee_per_gas_wei == 2 * GWEI * 110 // 100


def test_replacement_when_fresh_estimate_is_higher_then_fresh_estimate_wins() -> None:
    previous = Fees(max_fee_per_gas_wei=30 * GWEI, max_priority_fee_per_gas_wei=2 * GWEI)
    fresh = Fees(max_fee_per_gas_wei=300 * GWEI, max_priority_fee_per_gas_wei=5 * GWEI)

    fees = replacement_fees(previous, fresh, TxManagerConfig())

    assert fees == fresh


def test_replacement_when_cap_leaves_no_room_then_fee_cap_reached() -> None:
    previous = Fees(max_fee_per_gas_wei=95, max_priority_fee_per_gas_wei=1)

    with pytest.raises(FeeCapReached) as refused:
        replacement_fees(previous, previous, TxManagerConfig(max_fee_per_gas_cap_wei=100))

    assert (refused.value.field, refused.value.needed_wei) == ("max_fee_per_gas_wei", 107)


def test_replacement_of_a_legacy_transaction_bumps_the_gas_price() -> None:
    previous = Fees(gas_price_wei=100 * GWEI)

    fees = replacement_fees(previous, Fees(gas_price_wei=90 * GWEI), TxManagerConfig())

    assert fees == Fees(gas_price_wei=112 * GWEI)


def test_fees_when_both_or_neither_kind_given_then_refused() -> None:
    with pytest.raises(ValueError, match="either"):
        Fees(max_fee_per_gas_wei=1, max_priority_fee_per_gas_wei=1, gas_price_wei=1)
    with pytest.raises(ValueError, match="either"):
        Fees()
    with pytest.raises(ValueError, match="must not exceed"):
        Fees(max_fee_per_gas_wei=1, max_priority_fee_per_gas_wei=2)
