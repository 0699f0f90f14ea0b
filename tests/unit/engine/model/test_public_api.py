"""The public surfaces stay small and tidy: sorted `__all__`, every name importable."""

from __future__ import annotations

import importlib

import pytest


def _isort_key(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("package", ["engine.model", "engine.journal"])
def test_public_api_when_listed_then_sorted_unique_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    names = list(module.__all__)
    assert names == sorted(names, key=_isort_key) and len(set(names)) == len(names)
    assert all(hasattr(module, name) for name in names)
    public = {name for name in vars(module) if not name.startswith("_")}
    assert public - set(names) <= {"annotations"}, "re-exported but not listed"
