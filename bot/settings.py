"""Settings from the environment and `.env` (every one is documented in `.env.example`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.schema import Language


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_path: Path = Path("data/bilan.db")
    default_language: Language = "fr"
    timezone: str = "Europe/Brussels"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    sqlite_synchronous: Literal["NORMAL", "FULL", "EXTRA"] = "FULL"
    # Where the Bot API lives: Telegram's servers, or a local sandbox for tests and the demo.
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    # Off only in tests that are not about rate limits: it adds about 20 ms per message.
    rate_limiter: bool = True
    flows_dir: Path | None = Field(default=None, description="extra flow files besides the library")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        # A typo must stop the bot at start, not close every round at a wrong hour.
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown time zone {name!r} (an IANA name: Europe/Brussels)"
            ) from error
        return name
