"""The compliance package's public surface: sorted `__all__`, every name importable."""

from __future__ import annotations

import risk.compliance as compliance


def _isort_key(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_public_api_sorted_unique_and_importable() -> None:
    names = list(compliance.__all__)
    assert names == sorted(names, key=_isort_key) and len(set(names)) == len(names)
    assert all(hasattr(compliance, name) for name in names)
    public = {n for n in vars(compliance) if not n.startswith("_") and n != "annotations"}
    modules = {"errors"}  # the error module is public by its own name
    assert public - set(names) - modules == set()
