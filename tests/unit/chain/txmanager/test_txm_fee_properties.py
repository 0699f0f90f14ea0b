"""Properties of replacement fees (hypothesis, derandomized): whatever the previous version paid
and whatever the market says now, a replacement clears the node's replacement rule on both fee
fields, never undercuts a fresh estimate, and stays a valid EIP-1559 pair."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chain.txmanager import FeeCapReached, Fees, TxManagerConfig, replacement_fees

GWEI = 10**9
wei = st.integers(min_value=0, max_value=10_000 * GWEI)


@st.composite
def dynamic(draw: st.DrawFn) -> Fees:
    priority = draw(wei)
    return Fees(max_fee_per_gas_wei=priority + draw(wei), max_priority_fee_per_gas_wei=priority)


@settings(derandomize=True, max_examples=300)
@given(previous=dynamic(), fresh=dynamic(), bump_pct=st.integers(min_value=10, max_value=100))
def test_replacement_clears_bump_on_both_fields_and_never_undercuts_fresh_estimate(
    previous: Fees, fresh: Fees, bump_pct: int
) -> None:
    config = TxManagerConfig(replacement_bump_pct=bump_pct, max_fee_per_gas_cap_wei=10**30)

    fees = replacement_fees(previous, fresh, config)

    assert fees.max_fee_per_gas_wei is not None and fees.max_priority_fee_per_gas_wei is not None
    assert previous.max_fee_per_gas_wei is not None
    assert previous.max_priority_fee_per_gas_wei is not None
    # geth's rule: new >= old * (100 + bump) / 100 on each field, and strictly above it.
    assert fees.max_fee_per_gas_wei * 100 >= previous.max_fee_per_gas_wei * (100 + bump_pct)
    assert fees.max_priority_fee_per_gas_wei * 100 >= (
        previous.max_priority_fee_per_gas_wei * (100 + bump_pct))
    assert fees.max_fee_per_gas_wei > previous.max_fee_per_gas_wei
    assert fees.max_priority_fee_per_gas_wei > previous.max_priority_fee_per_gas_wei
    assert fees.max_fee_per_gas_wei >= fresh.cost_cap_per_gas_wei
    assert fees.max_priority_fee_per_gas_wei <= fees.max_fee_per_gas_wei


@settings(derandomize=True, max_examples=200)
@given(previous=dynamic(), cap=st.integers(min_value=1, max_value=20_000 * GWEI))
def test_replacement_never_exceeds_the_cap_it_refuses_instead(previous: Fees, cap: int) -> None:
    config = TxManagerConfig(max_fee_per_gas_cap_wei=cap)

    try:
        fees = replacement_fees(previous, previous, config)
    except FeeCapReached as refused:
        assert refused.needed_wei > cap
    else:
        assert fees.cost_cap_per_gas_wei <= cap
