"""A fresh compliance store per test, in a temporary SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from risk.compliance import ListStore


@pytest.fixture
def store(tmp_path: Path) -> ListStore:
    return ListStore(f"sqlite:///{tmp_path / 'compliance.sqlite'}")
