"""The OMS request timeout must exceed every venue's UNKNOWN-resolution window."""

from __future__ import annotations

import pytest

from engine.errors import InvalidValue
from engine.oms import RequestTimeoutTooShort, ResolvesUnknown, check_request_timeout

from oms_support import paper


class Resolving:
    """A venue that resolves UNKNOWN placements itself within `unknown_window_ns` (the
    protocol's two members; CexVenue's own window is tested against simex)."""

    def __init__(self, name: str, unknown_window_ns: int) -> None:
        self.name, self.unknown_window_ns = name, unknown_window_ns


def test_check_when_oms_timeout_not_above_a_venue_window_then_refused_naming_both() -> None:
    venues = [paper("paper"), Resolving("simex", 8 * 10**9)]
    assert isinstance(venues[1], ResolvesUnknown) and not isinstance(venues[0], ResolvesUnknown)
    with pytest.raises(RequestTimeoutTooShort) as refused:
        check_request_timeout(8 * 10**9, venues)
    error = refused.value
    assert isinstance(error, InvalidValue) and error.field == "request_timeout_ns"
    assert (error.venue, error.request_timeout_ns, error.unknown_window_ns) == (
        "simex", 8 * 10**9, 8 * 10**9)
    assert "(8 s)" in str(error) and "simex (8 s" in str(error)


def test_check_when_oms_timeout_above_every_window_then_passes() -> None:
    check_request_timeout(9 * 10**9, [paper("paper"), Resolving("simex", 8 * 10**9)])
    check_request_timeout(1, [paper("paper")])  # no venue resolves on its own: nothing to hold
