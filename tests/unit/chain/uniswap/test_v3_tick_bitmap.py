"""TickBitmap search, word by word, and QuoterV2's count of initialized ticks crossed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.uniswap.v3 import (
    InvalidPoolState,
    bitmap_from_ticks,
    count_initialized_ticks_crossed,
    next_initialized_tick_within_one_word,
)

SPACING = 60
INITIALIZED = (-200 * SPACING, -SPACING, 0, 2 * SPACING, 255 * SPACING, 300 * SPACING)
BITMAP = bitmap_from_ticks(INITIALIZED, SPACING)


@pytest.mark.parametrize(("tick", "lte", "expected"), [
    (0, True, (0, True)),  # at-or-below includes the tick itself
    (-1, True, (-SPACING, True)),  # -1 compresses to -1, not 0: toward minus infinity
    (-SPACING - 1, True, (-200 * SPACING, True)),
    (-200 * SPACING - 1, True, (-256 * SPACING, False)),  # word -1 is exhausted: its edge
    (0, False, (2 * SPACING, True)),  # above excludes the tick itself
    (-1, False, (0, True)),
    (2 * SPACING, False, (255 * SPACING, True)),
    (255 * SPACING, False, (300 * SPACING, True)),  # the search starts in the next word
    (300 * SPACING, False, (511 * SPACING, False)),  # word 1 is exhausted: its last tick
])
def test_next_initialized_tick_when_searching_then_stays_within_one_word(
    tick: int, lte: bool, expected: tuple[int, bool]
) -> None:
    assert next_initialized_tick_within_one_word(BITMAP, tick, SPACING, lte) == expected


@settings(max_examples=200, derandomize=True)
@given(initialized=st.sets(st.integers(-2000, 2000), max_size=30), start=st.integers(-3000, 3000),
       spacing=st.sampled_from([1, 10, 60, 200]), lte=st.booleans())
def test_next_initialized_tick_when_any_bitmap_then_the_nearest_in_the_word_or_its_edge(
    initialized: set[int], start: int, spacing: int, lte: bool
) -> None:
    ticks = {t * spacing for t in initialized}
    tick = start * spacing + spacing // 3  # also ticks off the spacing
    found, is_initialized = next_initialized_tick_within_one_word(
        bitmap_from_ticks(ticks, spacing), tick, spacing, lte)
    compressed = tick // spacing if lte else tick // spacing + 1
    word_ticks = range((compressed >> 8) * 256 * spacing, ((compressed >> 8) + 1) * 256 * spacing)
    candidates = [t for t in ticks if t in word_ticks and (t <= tick if lte else t > tick)]
    if candidates:
        assert (found, is_initialized) == ((max if lte else min)(candidates), True)
    else:
        edge = word_ticks[0] if lte else word_ticks[-1] - spacing + 1
        assert (found, is_initialized) == (edge, False)


def test_bitmap_from_ticks_when_tick_off_the_spacing_then_invalid_pool_state() -> None:
    with pytest.raises(InvalidPoolState, match="multiple"):
        bitmap_from_ticks([61], SPACING)


@pytest.mark.parametrize(("before", "after", "expected"), [
    (-1, 3 * SPACING, 2),  # up from -1 (truncates to 0): counts 0 and 2*SPACING
    (0, 3 * SPACING, 1),  # starting exactly on initialized 0 going up: 0 is not counted
    (3 * SPACING, 0, 1),  # ending exactly on initialized 0 going down: 0 is not counted
    (3 * SPACING, -1, 2),
    (-2 * SPACING, 300 * SPACING, 5),  # over a word edge: -1, 0, 2, 255, 300 (x SPACING)
    # Down from exactly 300*SPACING: counted, since a swap down crosses its own tick first.
    (300 * SPACING, -2 * SPACING, 5),
])
def test_count_initialized_ticks_crossed_when_like_quoter_v2_then_its_edge_rules(
    before: int, after: int, expected: int
) -> None:
    assert count_initialized_ticks_crossed(BITMAP, SPACING, before, after) == expected
