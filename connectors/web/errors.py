"""Domain errors mapped to HTTP answers, in one place. No stack trace ever reaches a client.

Every error the gateway answers has one shape, :class:`ErrorBody`: domain errors, request
validation (FastAPI's ``RequestValidationError``, answered as ``InvalidRequest``) and the
framework's own HTTP errors (unknown path, wrong method). Routes document theirs with
:func:`error_responses`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from connectors import messages
from connectors.errors import (
    BotUnavailable,
    ChannelUnavailable,
    CsrfRejected,
    InvalidRequest,
    InvalidUpdate,
    MessageTooLong,
    RateLimited,
    RequestTooLarge,
    SignInRequired,
    StaffAccessError,
    StaffForbidden,
    TelegramUnavailable,
    WebhookForbidden,
    WebhookUnauthorized,
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
    ReleaseRefused,
    StoreUnavailable,
    UploadRejected,
)
from helpdesk.settings import Settings, get_settings

logger = logging.getLogger(__name__)

STATUS: dict[type[HelpdeskError], int] = {
    InvalidQuery: 422,
    InvalidRequest: 422,
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
    WebhookUnauthorized: 401,
    ChannelUnavailable: 503,
    InvalidUpdate: 400,
    TelegramUnavailable: 503,
    SignInRequired: 401,
    StaffForbidden: 403,
    CsrfRejected: 403,
    ReleaseRefused: 409,
    UploadRejected: 422,
}

MAX_PROBLEMS = 10
MAX_PROBLEM_CHARS = 200


class Bilingual(BaseModel):
    """One message for a citizen, in Vietnamese and in English."""

    model_config = ConfigDict(extra="forbid")

    vi: str
    en: str


class ErrorBody(BaseModel):
    """Every error of the gateway: a name, a detail, and for citizens a bilingual message."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(description="The error's name, e.g. RateLimited, InvalidRequest")
    detail: str = Field(description="What was wrong, in English (never the values sent)")
    messages: Bilingual | None = Field(default=None, description="What to show a citizen")
    retry_after: int | None = Field(default=None, description="Seconds (also in Retry-After)")
    limit: int | None = Field(default=None, description="The limit that was exceeded")
    hotline: str | None = None
    problems: list[str] | None = Field(
        default=None, description="Each field and what is wrong with it (InvalidRequest)"
    )


def error_responses(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route's error statuses, each with :class:`ErrorBody`."""
    return {
        status: {"model": ErrorBody, "description": description}
        for status, description in descriptions.items()
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
    if isinstance(exc, CatalogueError | ImportRejected | InvalidRequest):
        body["problems"] = [str(p) for p in exc.problems]
    notice: messages.Notice | None = None
    if isinstance(exc, BotUnavailable):
        notice = messages.bot_unavailable(settings)
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
    elif isinstance(exc, InvalidRequest):
        notice = messages.invalid_request()
    if notice is not None:
        body["messages"] = notice.as_dict()
    return JSONResponse(body, status_code=status, headers=headers)


def _settings(request: Request) -> Settings:
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings or get_settings()


def staff_refusal(request: Request, exc: StaffAccessError, settings: Settings) -> Response:
    """A staff page's refusal: a browser asking for a page is sent to sign in (303) or shown
    the reason as a page (``staff/refused.html``); anything else gets the JSON error."""
    from connectors.web.pages import staff_page

    if isinstance(exc, SignInRequired) and exc.location is not None:
        return RedirectResponse(
            exc.location, status_code=303, headers={"Cache-Control": "no-store"}
        )
    if "text/html" in request.headers.get("accept", ""):
        context = {"refusal": type(exc).__name__}
        return staff_page(request, "staff/refused.html", context, status_code=_status_for(exc))
    return error_response(exc, settings, request.url.path)


async def handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HelpdeskError)
    if isinstance(exc, StaffAccessError):
        return staff_refusal(request, exc, _settings(request))
    return error_response(exc, _settings(request), request.url.path)


def _printable(text: str) -> str:
    # Field names come from the client: keep them short and encodable.
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    if len(text) > MAX_PROBLEM_CHARS:
        return text[: MAX_PROBLEM_CHARS - 1] + "…"
    return text


def describe_problem(error: Mapping[str, Any]) -> str:
    """One validation error as ``field: what is wrong``, without the value that was sent."""
    location: Sequence[Any] = error.get("loc", ())
    kind = error.get("type", "")
    if kind == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        return _printable(f"body: not valid JSON ({reason})" if reason else "body: not valid JSON")
    names = [str(part) for part in location[1:]] if len(location) > 1 else []
    where = ".".join(names) or (str(location[0]) if location else "request")
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return _printable(f"{where}: {message}")


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's request validation errors, answered like every other error (422)."""
    assert isinstance(exc, RequestValidationError)
    problems = [describe_problem(error) for error in exc.errors()[:MAX_PROBLEMS]]
    return error_response(InvalidRequest(problems), _settings(request), request.url.path)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (404 for an unknown path, 405 ...) in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in {204, 304}:  # no body allowed
        return Response(status_code=exc.status_code, headers=exc.headers)
    try:
        name = HTTPStatus(exc.status_code).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        name = "HTTPError"
    body = {"error": name, "detail": str(exc.detail)}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HelpdeskError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
