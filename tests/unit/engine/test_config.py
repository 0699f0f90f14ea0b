"""Settings come from crossbook.toml and CROSSBOOK_* variables, and reject what they don't know."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.config import load_settings


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("CROSSBOOK_CONFIG", "CROSSBOOK_JOURNAL_URL", "CROSSBOOK_DEVNET_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_load_settings_when_no_file_then_documented_defaults() -> None:
    settings = load_settings()
    assert settings.journal_url == "sqlite:///.crossbook/journal.sqlite"
    assert settings.devnet_state_dir == Path(".crossbook/devnet")


def test_load_settings_when_file_and_env_then_env_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "crossbook.toml").write_text(
        'journal_url = "sqlite:///from-file.sqlite"\ndevnet_state_dir = "from-file"\n'
    )
    monkeypatch.setenv("CROSSBOOK_JOURNAL_URL", "sqlite:///from-env.sqlite")
    settings = load_settings()
    assert settings.journal_url == "sqlite:///from-env.sqlite"
    assert settings.devnet_state_dir == Path("from-file")


def test_load_settings_when_file_has_unknown_key_then_error_names_it(tmp_path: Path) -> None:
    (tmp_path / "crossbook.toml").write_text('journal_uri = "typo"\n')
    with pytest.raises(ValidationError, match="journal_uri"):
        load_settings()


def test_load_settings_when_config_env_names_a_file_then_that_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "desk.toml"
    other.write_text('devnet_state_dir = "desk-devnet"\n')
    monkeypatch.setenv("CROSSBOOK_CONFIG", str(other))
    assert load_settings().devnet_state_dir == Path("desk-devnet")
