"""Crossbook's settings: one `crossbook.toml` plus `CROSSBOOK_*` environment variables.

Precedence, highest first: arguments given in code, environment variables, `crossbook.toml` in the
working directory (or the file named by `CROSSBOOK_CONFIG`), then the defaults documented below.
Unknown keys are rejected with their name. Secrets (keys, API secrets) are never read from the
file: they come from the environment only, and are held as `SecretStr` so they never print.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_FILE_ENV = "CROSSBOOK_CONFIG"
DEFAULT_CONFIG_FILE = Path("crossbook.toml")


class Settings(BaseSettings):
    """Process-wide settings; each component takes its own slice of them."""

    model_config = SettingsConfigDict(env_prefix="CROSSBOOK_", extra="forbid", frozen=True)

    journal_url: str = Field(
        default="sqlite:///.crossbook/journal.sqlite",
        description="SQLAlchemy URL of the order journal: SQLite (WAL) or postgresql://.",
    )
    devnet_state_dir: Path = Field(
        default=Path(".crossbook/devnet"),
        description="Where `crossbook devnet` keeps its state, manifest and anvil log.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, config_file))


def load_settings() -> Settings:
    """Read the settings from the environment and `crossbook.toml`."""
    return Settings()
