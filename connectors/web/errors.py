"""Domain errors mapped to HTTP answers, in one place. No stack trace ever reaches a client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connectors import messages
from connectors.errors import (
    BotUnavailable,
    InvalidUpdate,
    MessageTooLong,
    RateLimited,
    RequestTooLarge,
    TelegramUnavailable,
    WebhookForbidden,
)
from helpdesk.errors import (
    CatalogueError,
    HelpdeskError,
    ImportRejected,
    IndexUnavailable,
    InvalidQuery,
    LookupRefused,
    ProcedureNotFound,
    RecordCodeInvalid,
    StoreUnavailable,
)
from helpdesk.settings import Settings, get_settings

logger = logging.getLogger(__name__)

STATUS: dict[type[HelpdeskError], int] = {
    InvalidQuery: 422,
    RecordCodeInvalid: 422,
    ProcedureNotFound: 404,
    CatalogueError: 422,
    ImportRejected: 422,
    LookupRefused: 429,
    IndexUnavailable: 503,
    StoreUnavailable: 503,
    MessageTooLong: 422,
    RequestTooLarge: 413,
    RateLimited: 429,
    BotUnavailable: 503,
    WebhookForbidden: 403,
    InvalidUpdate: 400,
    TelegramUnavailable: 503,
}


def _status_for(exc: HelpdeskError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def error_response(exc: HelpdeskError, settings: Settings, path: str = "") -> JSONResponse:
    """The JSON answer for a domain error: ``{"error", "detail", ...}`` and its status.

    Errors a citizen may see through the widget also carry ``messages``: the polite text in
    Vietnamese and English (``{"vi": ..., "en": ...}``).
    """
    status = _status_for(exc)
    if status >= 500:
        logger.error("%s on %s: %s", type(exc).__name__, path, exc)
    body: dict[str, object] = {"error": type(exc).__name__, "detail": str(exc)}
    headers = {}
    if isinstance(exc, LookupRefused | RateLimited):
        headers["Retry-After"] = str(exc.retry_after_seconds)
        body["retry_after"] = exc.retry_after_seconds
    if isinstance(exc, CatalogueError | ImportRejected):
        body["problems"] = [str(p) for p in exc.problems]
    notice: messages.Notice | None = None
    if isinstance(exc, BotUnavailable):
        notice = messages.bot_unavailable(settings.hotline, settings.hotline_hours)
        # The cause ("timeout", "status 500") is for the logs; the client reads the notice.
        body["detail"] = notice.both()
        body["hotline"] = settings.hotline
    elif isinstance(exc, RateLimited):
        notice = messages.rate_limited(exc.retry_after_seconds)
    elif isinstance(exc, MessageTooLong):
        notice = messages.message_too_long(exc.limit)
        body["limit"] = exc.limit
    elif isinstance(exc, RequestTooLarge):
        notice = messages.request_too_large(exc.limit)
        body["limit"] = exc.limit
    if notice is not None:
        body["messages"] = notice.as_dict()
    return JSONResponse(body, status_code=status, headers=headers)


async def handle_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HelpdeskError)
    settings: Settings = getattr(request.app.state, "settings", None) or get_settings()
    return error_response(exc, settings, request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HelpdeskError, handle_domain_error)
