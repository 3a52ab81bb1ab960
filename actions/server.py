"""Run the action server: rasa-sdk's Sanic app, with the back end loaded before it listens.

Only Rasa may run actions: every path but ``/health`` requires ``Authorization: Bearer
<settings.internal_token("actions")>`` (Rasa sends it from the rendered endpoints.yml). A call
is checked before rasa-sdk sees it: no compressed bodies (Rasa sends plain JSON), and a body
that is not an action call is a 400 with a fixed message. No error answer repeats the request.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from helpdesk.settings import Settings

logger = logging.getLogger(__name__)

ACTIONS_TOKEN_PURPOSE = "actions"
OPEN_PATHS = frozenset({"/health"})
# Rasa 3.6 posts plain JSON unless COMPRESS_ACTION_SERVER_REQUEST is set (helpdesk run unsets it)
PLAIN_ENCODINGS = frozenset({"", "identity"})
INVALID_CALL = "invalid action call"


@dataclass(frozen=True)
class Refusal:
    """An HTTP status and a short fixed message (never a piece of the request)."""

    status: int
    message: str


def authorized(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (constant time)."""
    if not header or not token:
        return False
    expected = f"Bearer {token}".encode()
    return hmac.compare_digest(header.encode("utf-8", "surrogateescape"), expected)


def parse_action_call(body: bytes) -> dict[str, Any] | None:
    """The action call in ``body``, or None when it is not one Rasa could have sent."""
    try:
        call = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(call, dict) or not isinstance(call.get("next_action"), str):
        return None
    tracker = call.get("tracker")
    if not isinstance(tracker, dict) or not isinstance(tracker.get("sender_id"), str):
        return None
    shapes = {"events": list, "slots": dict, "latest_message": dict, "active_loop": dict}
    for key, kind in shapes.items():
        if tracker.get(key) is not None and not isinstance(tracker[key], kind):
            return None
    domain = call.get("domain")
    if domain is not None and not isinstance(domain, dict):
        return None
    return call


def check_request(
    *,
    path: str,
    method: str,
    authorization: str | None,
    content_encoding: str | None,
    body: bytes,
    token: str,
) -> tuple[Refusal | None, dict[str, Any] | None]:
    """Refuse a request, or let it through (with the parsed action call for ``/webhook``)."""
    if path in OPEN_PATHS:
        return None, None
    if not authorized(authorization, token):
        return Refusal(401, "unauthorized"), None
    if (content_encoding or "").strip().lower() not in PLAIN_ENCODINGS:
        return Refusal(415, "unsupported content encoding"), None
    if path == "/webhook" and method == "POST":
        call = parse_action_call(body)
        if call is None:
            return Refusal(400, INVALID_CALL), None
        return None, call
    return None, None


def selective_domain_executor() -> Any:
    """rasa-sdk's executor, for Rasa Open Source's selective domain.

    With ``enable_selective_domain`` Rasa 3.6 sends the domain only to the actions marked
    ``send_domain`` (here the two form validations, which read the forms' slots from it)
    and sends no domain digest. rasa-sdk 3.21 would answer every other call with HTTP 449
    ("missing domain, retry with it"), a retry Rasa Open Source does not make. Here a call
    without domain and digest runs with an empty domain: this project's other actions do not
    read it. Calls that carry a domain or a digest are handled by rasa-sdk as before.
    """
    from rasa_sdk.executor import ActionExecutor

    class SelectiveDomainExecutor(ActionExecutor):
        def update_and_return_domain(
            self, payload: dict[str, Any], action_name: str
        ) -> dict[str, Any] | None:
            if payload.get("domain") is None and not payload.get("domain_digest"):
                return {}
            domain: dict[str, Any] | None = super().update_and_return_domain(payload, action_name)
            return domain

    return SelectiveDomainExecutor()


def create_action_app(settings: Settings) -> object:
    """rasa-sdk's app for the ``actions`` package, warming the services at start-up."""
    from rasa_sdk.endpoint import create_app

    from actions.services import Services, set_services

    services = Services(settings)
    set_services(services)
    executor = selective_domain_executor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=[])
    guard_doors(app, settings.internal_token(ACTIONS_TOKEN_PURPOSE))

    @app.before_server_start
    async def warm_up(app: object, _loop: object) -> None:
        services.warm_up()
        services.follow_catalogue()
        logger.info("action server ready")

    return app


def guard_doors(app: Any, token: str) -> None:
    """Check every request before rasa-sdk's routes; answer errors without the request.

    rasa-sdk answers any exception with a 500 that echoes the request's JSON; its error
    handler is replaced by one that answers a fixed message.
    """
    from sanic import response
    from sanic.exceptions import SanicException
    from sanic.handlers import ErrorHandler

    @app.on_request
    async def check(request: Any) -> Any:
        refusal, call = check_request(
            path=request.path,
            method=request.method,
            authorization=request.headers.get("authorization"),
            content_encoding=request.headers.get("content-encoding"),
            body=request.body or b"",
            token=token,
        )
        if refusal is not None:
            headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
            return response.json({"error": refusal.message}, status=refusal.status, headers=headers)
        if call is not None:
            request.parsed_json = call  # rasa-sdk reads request.json: parsed once
        return None

    def answer_error(request: Any, exception: Exception) -> Any:
        if isinstance(exception, SanicException):
            status = HTTPStatus(int(exception.status_code))
            return response.json({"error": status.phrase.lower()}, status=status.value)
        logger.error("action server error: %s", type(exception).__name__, exc_info=exception)
        return response.json({"error": "internal error"}, status=500)

    handler = ErrorHandler()
    handler.add(Exception, answer_error)
    app.error_handler = handler


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve on ``host:port`` in this process (single worker; scale out with replicas)."""
    app = create_action_app(settings)
    app.run(host=host, port=port, single_process=True, access_log=False)  # type: ignore[attr-defined]
