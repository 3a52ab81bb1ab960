"""Rasa's only input channel: ``gateway``, the door the HTTP gateway and Telegram relay use.

Rasa runs without its HTTP API (no ``--enable-api``) and without the open REST channel. This
channel is Rasa 3.6's ``RestInput`` with the door closed:

* ``POST /webhooks/gateway/webhook`` requires ``Authorization: Bearer <token>``, compared in
  constant time; the token comes from the environment variable ``HELPDESK_RASA_TOKEN``
  (``helpdesk run`` sets it from ``settings.internal_token("rasa")``) and Rasa refuses to
  start without it;
* the body must be a JSON object with string ``sender`` and ``message`` and, optionally, an
  object ``metadata`` (passed through to the tracker: actions read
  ``tracker.latest_message["metadata"]["source"]``); a message over
  ``HELPDESK_MAX_MESSAGE_CHARS`` (default 1000) is refused with 413 before the bot sees it;
* ``GET /webhooks/gateway/health`` answers 200 only once the model is loaded, 503 before;
* ``POST /webhooks/gateway/events`` (same token) with ``{"sender", "event": "pause"|"resume"}``
  appends ``ConversationPaused`` or ``ConversationResumed`` to the conversation's tracker,
  under the lock store's lock, as Rasa's HTTP API (``/conversations/<id>/tracker/events``)
  does: the gateway pauses the bot while a staff member answers a citizen. A paused
  conversation still records the citizen's messages; the bot predicts nothing until resumed.

The request checks are plain functions (``authorized``, ``parse_request``) so that they can
be read and tested apart from Sanic.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import ConversationPaused, ConversationResumed, Event
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

TOKEN_ENV = "HELPDESK_RASA_TOKEN"
MAX_CHARS_ENV = "HELPDESK_MAX_MESSAGE_CHARS"
DEFAULT_MAX_CHARS = 1000
MAX_SENDER_CHARS = 128
# a JSON body is refused before it is parsed when it is larger than this (bytes)
MIN_BODY_BYTES = 64 * 1024
BYTES_PER_CHAR = 8  # a character JSON-escaped as \uXXXX is 6 bytes, plus room for metadata


class GatewayRequestError(Exception):
    """A request the channel refuses: an HTTP status and a short fixed message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class GatewayRequest:
    sender: str
    message: str
    metadata: dict[str, Any] | None


def authorized(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (constant time)."""
    if not header or not token:
        return False
    expected = f"Bearer {token}".encode()
    return hmac.compare_digest(header.encode("utf-8", "surrogateescape"), expected)


def max_body_bytes(max_chars: int) -> int:
    return max(MIN_BODY_BYTES, max_chars * BYTES_PER_CHAR)


def parse_request(body: bytes, max_chars: int) -> GatewayRequest:
    """The sender, message and metadata of a webhook body, or a :class:`GatewayRequestError`."""
    if len(body) > max_body_bytes(max_chars):
        raise GatewayRequestError(413, "request too large")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise GatewayRequestError(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise GatewayRequestError(400, "the body must be a JSON object")
    sender, message, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_CHARS:
        raise GatewayRequestError(400, "sender must be a string of 1-128 characters")
    if not isinstance(message, str):
        raise GatewayRequestError(400, "message must be a string")
    if len(message) > max_chars:
        raise GatewayRequestError(413, f"message longer than {max_chars} characters")
    if metadata is not None and not isinstance(metadata, dict):
        raise GatewayRequestError(400, "metadata must be a JSON object")
    return GatewayRequest(sender, message, metadata)


TRACKER_EVENTS: dict[str, type[Event]] = {
    "pause": ConversationPaused,
    "resume": ConversationResumed,
}
MAX_EVENT_BODY_BYTES = 4096


@dataclass(frozen=True)
class TrackerEventRequest:
    sender: str
    event: str


def parse_event_request(body: bytes) -> TrackerEventRequest:
    """The sender and event (``pause``/``resume``) of an events body, or a
    :class:`GatewayRequestError`."""
    if len(body) > MAX_EVENT_BODY_BYTES:
        raise GatewayRequestError(413, "request too large")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise GatewayRequestError(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise GatewayRequestError(400, "the body must be a JSON object")
    sender, event = data.get("sender"), data.get("event")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_CHARS:
        raise GatewayRequestError(400, "sender must be a string of 1-128 characters")
    if event not in TRACKER_EVENTS:
        raise GatewayRequestError(400, "event must be one of: " + ", ".join(TRACKER_EVENTS))
    return TrackerEventRequest(sender, event)


async def append_tracker_event(agent: Any, sender: str, event: str) -> bool:
    """Append the event to ``sender``'s tracker and save it; whether it is now paused.

    As Rasa 3.6's ``POST /conversations/<id>/tracker/events``: under the lock store's lock
    for the conversation (the one ``Agent.handle_message`` takes, so no message of the
    conversation is processed in between), on the tracker with its session started.
    """
    async with agent.lock_store.lock(sender):
        tracker = await agent.processor.fetch_tracker_with_initial_session(sender)
        tracker.update(TRACKER_EVENTS[event](), agent.domain)
        await agent.tracker_store.save(tracker)
        return bool(tracker.is_paused())


def _max_chars_from_env() -> int:
    raw = os.environ.get(MAX_CHARS_ENV, "")
    try:
        value = int(raw) if raw else DEFAULT_MAX_CHARS
    except ValueError:
        raise RasaException(f"{MAX_CHARS_ENV} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise RasaException(f"{MAX_CHARS_ENV} must be at least 1")
    return value


def _refuse(status: int, message: str, **headers: str) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=headers or None)


class GatewayInput(RestInput):
    """Rasa's REST channel behind a bearer token, with the request checked before the bot."""

    def __init__(self, token: str, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        if not token:
            raise RasaException(f"the gateway channel needs a token ({TOKEN_ENV})")
        self._token = token
        self.max_chars = max_chars

    @classmethod
    def name(cls) -> str:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GatewayInput:
        """Read the token and the cap from the environment (never from a file or argv)."""
        token = os.environ.get(TOKEN_ENV, "")
        if not token:
            raise RasaException(
                f"{TOKEN_ENV} is not set: the gateway channel refuses to run without its token "
                "(`helpdesk run` sets it)"
            )
        return cls(token, _max_chars_from_env())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        gateway = Blueprint("helpdesk_gateway", __name__)
        body_limit = max_body_bytes(self.max_chars)

        @gateway.listener("before_server_start")
        async def limit_request_size(app: Any, _loop: Any) -> None:
            # Sanic reads bodies of up to 100 MB by default; nothing here needs more than this
            app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, body_limit)

        @gateway.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"status": "loading"}, status=503)
            return response.json({"status": "ok"})

        @gateway.route("/events", methods=["POST"])
        async def tracker_event(request: Request) -> HTTPResponse:
            if not authorized(request.headers.get("Authorization"), self._token):
                return _refuse(401, "unauthorized", **{"WWW-Authenticate": "Bearer"})
            try:
                parsed = parse_event_request(request.body)
            except GatewayRequestError as refused:
                logger.info("gateway channel refused an event: %d", refused.status)
                return _refuse(refused.status, refused.message)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return _refuse(503, "the model is not loaded yet")
            try:
                paused = await append_tracker_event(agent, parsed.sender, parsed.event)
            except Exception:
                logger.exception("gateway channel: the %s event failed", parsed.event)
                return _refuse(500, "the event could not be stored")
            return response.json({"event": parsed.event, "paused": paused})

        @gateway.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not authorized(request.headers.get("Authorization"), self._token):
                return _refuse(401, "unauthorized", **{"WWW-Authenticate": "Bearer"})
            try:
                parsed = parse_request(request.body, self.max_chars)
            except GatewayRequestError as refused:
                logger.info("gateway channel refused a request: %d", refused.status)
                return _refuse(refused.status, refused.message)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return _refuse(503, "the model is not loaded yet")
            collector = CollectingOutputChannel()
            message = UserMessage(
                parsed.message,
                collector,
                parsed.sender,
                input_channel=self.name(),
                metadata=parsed.metadata,
            )
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("gateway channel: the message timed out")
            except Exception:
                # never the text: it is what a citizen typed
                logger.exception("gateway channel: the bot failed on a message")
            return response.json(collector.messages)

        return gateway
