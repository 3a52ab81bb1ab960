"""The Messenger (Graph API) webhook of a ward's fanpage.

- ``GET /messenger/webhook``: the subscribe handshake. Graph sends ``hub.mode=subscribe``,
  ``hub.verify_token`` (the token typed into the app's webhook settings) and
  ``hub.challenge``; the challenge is echoed as text when the token matches (403 otherwise).
- ``POST /messenger/webhook``: page events, each signed in ``X-Hub-Signature-256`` (401 without
  it, 403 when it does not match); answered at once, handled in the background.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response

from connectors.errors import (
    ChannelUnavailable,
    InvalidUpdate,
    WebhookForbidden,
    WebhookUnauthorized,
)
from connectors.messenger.channel import MessengerChannel
from connectors.messenger.events import page_events, signature_matches
from connectors.web.deps import SettingsDep
from connectors.web.errors import error_responses
from connectors.web.strict_json import StrictJsonRoute, parse_json

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/messenger/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"
_CHALLENGE = re.compile(r"[A-Za-z0-9._-]{1,256}")

router = APIRouter(tags=["messenger"], route_class=StrictJsonRoute)


def get_messenger(request: Request) -> MessengerChannel | None:
    """The Messenger channel, or None when it is not running in this gateway."""
    return getattr(request.app.state, "messenger", None)


MessengerDep = Annotated[MessengerChannel | None, Depends(get_messenger)]


def _same(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _query_parameter(name: str, description: str) -> dict[str, object]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }


@router.get(
    WEBHOOK_PATH,
    response_class=Response,  # only the 200 is text; the refusals are ErrorBody JSON
    responses={
        200: {
            "description": "The challenge, echoed",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **error_responses(
            {
                400: "The challenge is not 1–256 letters, digits, '.', '_' or '-'",
                403: "Not a subscribe request, or a wrong hub.verify_token",
            }
        ),
    },
    # read from the query string by hand: a handshake is refused (403), never a 422
    openapi_extra={
        "parameters": [
            _query_parameter("hub.mode", "subscribe"),
            _query_parameter("hub.verify_token", "The verify token set in the app's webhook"),
            _query_parameter("hub.challenge", "Echoed when the verify token matches"),
        ]
    },
)
async def messenger_subscribe(request: Request, settings: SettingsDep) -> PlainTextResponse:
    """Graph's subscribe handshake: echo ``hub.challenge`` when the verify token matches."""
    query = request.query_params
    expected = settings.messenger_verify_token
    if query.get("hub.mode") != "subscribe" or not _same(
        query.get("hub.verify_token"), expected.get_secret_value() if expected else None
    ):
        logger.warning("messenger webhook: refused a handshake without the right verify token")
        raise WebhookForbidden("not a subscribe request with the right hub.verify_token")
    challenge = query.get("hub.challenge")
    if challenge is None or _CHALLENGE.fullmatch(challenge) is None:
        raise InvalidUpdate("hub.challenge is missing or not a plain token")
    return PlainTextResponse(challenge, headers={"X-Content-Type-Options": "nosniff"})


@router.post(
    WEBHOOK_PATH,
    responses=error_responses(
        {
            400: "The body is not a page's webhook call (or not strict JSON)",
            401: f"No {SIGNATURE_HEADER}",
            403: f"A {SIGNATURE_HEADER} that does not match the body",
            413: "Body over 1 MiB",
            503: "The Messenger channel is not running in this gateway",
        }
    ),
)
async def messenger_webhook(
    request: Request, settings: SettingsDep, messenger: MessengerDep
) -> dict[str, bool]:
    """Receive page events from Graph; answered at once, handled in the background."""
    body = await request.body()
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        logger.warning("messenger webhook: refused a call without a signature")
        raise WebhookUnauthorized(f"missing {SIGNATURE_HEADER}")
    secret = settings.messenger_app_secret
    if secret is None or not signature_matches(body, signature, secret):
        logger.warning("messenger webhook: refused a call with a wrong signature")
        raise WebhookForbidden(f"{SIGNATURE_HEADER} does not match the body")
    if messenger is None:
        raise ChannelUnavailable("the Messenger channel is not running in this gateway")
    try:
        events = page_events(parse_json(body))
    except ValueError as exc:
        logger.warning("messenger webhook: not a page event (%s)", type(exc).__name__)
        raise InvalidUpdate("the body is not a page's webhook call") from None
    messenger.accept(events)
    return {"ok": True}
