"""The error tree: every class is drawn in the docstring, and each sits on the right branch."""

from __future__ import annotations

import inspect
import re

import pytest

import engine.errors as errors
from engine.errors import (
    CrossbookError,
    InvalidValue,
    RateLimited,
    RetryableError,
    TerminalError,
    VenueRejected,
    VenueTimeout,
)

CLASSES = {name: cls for name, cls in vars(errors).items()
           if inspect.isclass(cls) and issubclass(cls, CrossbookError)}


def _drawn_tree(doc: str) -> dict[str, str | None]:
    """{class name: parent name} as the module docstring draws them."""
    tree: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^([\s│├└─]*)([A-Z]\w*)\s", line + " ")
        if match is None or match.group(2) not in CLASSES:
            continue
        depth, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        tree[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return tree


def test_error_tree_when_docstring_read_then_draws_every_class_under_its_parent() -> None:
    tree = _drawn_tree(errors.__doc__ or "")
    assert set(tree) == set(CLASSES)
    for name, parent in tree.items():
        expected = CLASSES[parent] if parent is not None else Exception
        assert CLASSES[name].__bases__ == (expected,), name


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_error_class_when_not_root_then_exactly_one_of_retryable_or_terminal(name: str) -> None:
    cls = CLASSES[name]
    if cls in (CrossbookError, RetryableError, TerminalError):
        return
    assert issubclass(cls, RetryableError) != issubclass(cls, TerminalError)


def test_venue_timeout_when_raised_then_retryable_not_terminal() -> None:
    # A timeout is not a rejection: the order goes UNKNOWN and is reconciled.
    assert issubclass(VenueTimeout, RetryableError)
    assert not issubclass(VenueTimeout, TerminalError)


def test_invalid_value_when_raised_then_carries_field_and_reason() -> None:
    error = InvalidValue(field="qty", reason="must be > 0")
    assert (error.field, error.reason, str(error)) == ("qty", "must be > 0", "qty: must be > 0")


def test_venue_rejected_when_raised_then_keeps_code_and_raw_payload() -> None:
    raw = {"code": -2010, "msg": "Account has insufficient balance"}
    error = VenueRejected("binance", "-2010", "insufficient balance", raw)
    assert error.code == "-2010" and error.raw == raw
    assert "binance" in str(error)
    assert RateLimited("binance", 1_000).retry_after_ns == 1_000
