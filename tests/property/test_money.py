"""Money properties: quantising never crosses the value, base units round-trip exactly."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model import from_base_units, quantize_down, quantize_up, to_base_units

decimals = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=12,
                       allow_nan=False, allow_infinity=False)
steps = st.sampled_from([Decimal(s) for s in ("0.01", "0.001", "0.5", "0.3", "1", "25", "1e-8")])


@settings(max_examples=300, derandomize=True)
@given(value=decimals, step=steps)
def test_quantize_when_any_value_then_nearest_multiples_on_either_side(
    value: Decimal, step: Decimal
) -> None:
    down, up = quantize_down(value, step), quantize_up(value, step)
    assert down <= value <= up
    assert down % step == 0 and up % step == 0
    assert up - down in (0, step)


@settings(max_examples=300, derandomize=True)
@given(raw=st.integers(-(10**40), 10**40), scale=st.integers(0, 36))
def test_base_units_when_round_tripped_then_exact(raw: int, scale: int) -> None:
    assert to_base_units(from_base_units(raw, scale), scale) == raw
