"""Named dependencies: heavy objects live on ``app.state`` and reach routes through these."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy import Engine

from connectors.rasa_client import RasaClient
from connectors.ratelimit import RateLimiter
from connectors.telegram.channel import TelegramApp
from helpdesk.errors import IndexUnavailable
from helpdesk.settings import Settings
from knowledge.service import Knowledge


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_knowledge(request: Request) -> Knowledge:
    knowledge: Knowledge | None = getattr(request.app.state, "knowledge", None)
    if knowledge is None:
        raise IndexUnavailable("the procedure index is not loaded")
    return knowledge


def get_http(request: Request) -> httpx.AsyncClient:
    """The gateway's one outbound HTTP client (Rasa, the action server)."""
    http: httpx.AsyncClient = request.app.state.http
    return http


def get_rasa(request: Request) -> RasaClient:
    rasa: RasaClient = request.app.state.rasa
    return rasa


def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def get_db_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.db_engine
    return engine


def get_telegram(request: Request) -> TelegramApp | None:
    """The Telegram application in webhook mode, or None when it is not running."""
    return getattr(request.app.state, "telegram", None)


def get_client_address(request: Request) -> str:
    """The caller's address: the peer's, or what a proxy in ``settings.trusted_proxies`` says.

    ``X-Forwarded-For`` is applied by the app itself (``create_app``) and only from those
    proxies; uvicorn must run with ``--no-proxy-headers`` so that it does not trust the header
    from any local client on its own.
    """
    return request.client.host if request.client else "unknown"


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
KnowledgeDep = Annotated[Knowledge, Depends(get_knowledge)]
HttpDep = Annotated[httpx.AsyncClient, Depends(get_http)]
RasaDep = Annotated[RasaClient, Depends(get_rasa)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
EngineDep = Annotated[Engine, Depends(get_db_engine)]
TelegramDep = Annotated[TelegramApp | None, Depends(get_telegram)]
ClientAddressDep = Annotated[str, Depends(get_client_address)]
