"""The chat relay: the widget's messages to Rasa and Rasa's answers back, in one shape; and,
while a staff member has the conversation, the stream of their messages to the widget."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.conversations import (
    CLIENT_ID_PATTERN,
    CLIENT_ID_RULE,
    is_client_id,
    web_conversation,
)
from connectors.errors import RateLimited
from connectors.handoff.relay import HandoffRelay
from connectors.privacy import address_tag, conversation_tag
from connectors.rasa_client import BotMessage
from connectors.ratelimit import RateLimiter
from connectors.web.deps import ClientAddressDep, RasaDep, RateLimiterDep, SettingsDep
from connectors.web.errors import error_responses
from connectors.web.strict_json import StrictJsonRoute
from helpdesk.errors import StoreUnavailable
from store.handoff import LiveMessage, active_live, messages_after

logger = logging.getLogger(__name__)

# What "blank" means for a text, here and in the schema (the same set for every regex engine).
BLANK = " \t\n\r\f\v"
NOT_BLANK_PATTERN = r"[^ \t\n\r\f\v]"

router = APIRouter(prefix="/api", tags=["chat"], route_class=StrictJsonRoute)


class ChatRequest(BaseModel):
    """A citizen's message, or the payload of a button they pressed (exactly one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # exactly one of text/payload, given as a string (the other absent or null)
            "oneOf": [
                {
                    "required": ["text"],
                    "properties": {"text": {"type": "string"}, "payload": {"type": "null"}},
                },
                {
                    "required": ["payload"],
                    "properties": {"payload": {"type": "string"}, "text": {"type": "null"}},
                },
            ],
            "examples": [
                {"conversation_id": "web-3f2a9c1e7b", "text": "Làm giấy khai sinh cần gì?"},
                {
                    "conversation_id": "web-3f2a9c1e7b",
                    "payload": '/choose_procedure{"procedure":"1.001193"}',
                },
            ],
        },
    )

    conversation_id: str = Field(
        description="Chosen by the client and kept for the whole conversation: " + CLIENT_ID_RULE,
        json_schema_extra={"pattern": CLIENT_ID_PATTERN},
    )
    text: str | None = Field(
        default=None,
        description="What the citizen typed (not only spaces)",
        json_schema_extra={"pattern": NOT_BLANK_PATTERN},
    )
    payload: str | None = Field(
        default=None,
        pattern=r"^/",
        description='A button\'s payload, e.g. /feedback{"rating":"up"}',
    )

    @field_validator("conversation_id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not is_client_id(value):
            raise ValueError(f"conversation_id must be {CLIENT_ID_RULE}")
        return value

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip(BLANK):
            raise ValueError("text must not be blank")
        return value

    @model_validator(mode="after")
    def _text_or_payload(self) -> ChatRequest:
        if (self.text is None) == (self.payload is None):
            raise ValueError("send either a text or a payload (exactly one)")
        return self

    @property
    def message(self) -> str:
        return self.payload if self.payload is not None else (self.text or "").strip(BLANK)


class ChatReply(BaseModel):
    """The assistant's answers to one message, in order (possibly none)."""

    conversation_id: str = Field(description="The client's own conversation id, as sent")
    messages: list[BotMessage]
    handoff: Literal["asking", "waiting", "pending", "claimed"] | None = Field(
        default=None,
        description="The conversation is with the staff (in line, claimed by an officer, or "
        "a question left for office hours): the client may listen to "
        "GET /api/chat/stream for the staff's messages",
    )


async def _enforce(limiter: RateLimiter, scope: str, key: str, limit: int) -> None:
    decision = await limiter.hit(f"{scope}:{key}", limit)
    if not decision.allowed:
        logger.warning("rate limited: %s=%s retry_after=%d", scope, key, decision.retry_after)
        raise RateLimited(scope, decision.retry_after)


async def limit_by_address(
    settings: SettingsDep, limiter: RateLimiterDep, address: ClientAddressDep
) -> str:
    """Per-address limit, counted before the body is validated (bad requests count too).

    Returns the address's keyed hash: the message's ``source`` for Rasa.
    """
    tag = address_tag(settings.secret_key.get_secret_value(), address)
    await _enforce(limiter, "address", tag, settings.ip_rate_per_minute)
    return tag


@router.post(
    "/chat",
    response_model=ChatReply,
    responses=error_responses(
        {
            413: "Body over max_request_bytes",
            422: "Not strict JSON, not this schema, or a message over max_message_chars",
            429: "Too many messages (see Retry-After)",
            503: "The assistant is unreachable",
        }
    ),
)
async def chat(
    body: ChatRequest,
    settings: SettingsDep,
    rasa: RasaDep,
    limiter: RateLimiterDep,
    source: Annotated[str, Depends(limit_by_address)],
) -> ChatReply:
    """Send a message or a button's payload to the assistant and return its answers."""
    conversation = web_conversation(body.conversation_id)
    tag = conversation_tag(settings.secret_key.get_secret_value(), conversation)
    await _enforce(limiter, "conversation", tag, settings.chat_rate_per_minute)
    answers = await rasa.send(conversation, body.message, source=source, channel="web")
    live = await rasa.live(conversation) if isinstance(rasa, HandoffRelay) else None
    return ChatReply(
        conversation_id=body.conversation_id,
        messages=answers,
        handoff=live.state if live is not None else None,  # type: ignore[arg-type]
    )


# --- the staff's messages, pushed to the widget ---------------------------------------------

STREAM_POLL_SECONDS = 1.0
STREAM_HEARTBEAT_SECONDS = 15.0
STREAM_MAX_SECONDS = 600.0  # then the client reconnects, resuming after its last event
ENDING_KINDS = frozenset({"returned", "closed"})


def _event(message: LiveMessage) -> str:
    data = {"id": message.id, "author": message.author, "kind": message.kind, "text": message.text}
    return f"id: {message.id}\nevent: message\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


END_EVENT = "event: end\ndata: {}\n\n"


@router.get("/chat/stream", include_in_schema=False)
async def chat_stream(
    request: Request,
    settings: SettingsDep,
    source: Annotated[str, Depends(limit_by_address)],
    conversation_id: Annotated[str, Query(pattern=CLIENT_ID_PATTERN)],
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Server-sent events: the staff's messages and the handoff's steps in the conversation,
    each with its id; a client resumes after the last id it saw (``Last-Event-ID``, or
    ``after`` for a client that reconnects by itself). ``end`` says there is nothing (more)
    to follow: no handoff, or it was handed back or closed.

    Whoever knows a web conversation's id can already write in it (``POST /api/chat``);
    reading the staff's answers takes the same id, nothing less. The widget makes its id
    from 12 random bytes and keeps it in the page's own storage.
    """
    conversation = web_conversation(conversation_id)
    if last_event_id is not None and last_event_id.isascii() and last_event_id.isdigit():
        after = max(after, int(last_event_id))
    sessions = request.app.state.handoff.sessions

    async def missed(since: int) -> list[LiveMessage]:
        return await asyncio.to_thread(messages_after, sessions, conversation, since)

    try:
        live = await asyncio.to_thread(active_live, sessions, conversation)
        first = await missed(after) if live is not None or after > 0 else []
    except StoreUnavailable:
        live, first = None, []

    async def events() -> AsyncIterator[str]:
        last = after
        pending = first
        started = asyncio.get_running_loop().time()
        quiet = 0.0
        yield "retry: 2000\n\n"
        while True:
            for message in pending:
                last = message.id
                yield _event(message)
                if message.kind in ENDING_KINDS:
                    yield END_EVENT
                    return
            if live is None:
                yield END_EVENT
                return
            if asyncio.get_running_loop().time() - started > STREAM_MAX_SECONDS:
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(STREAM_POLL_SECONDS)
            quiet += STREAM_POLL_SECONDS
            if quiet >= STREAM_HEARTBEAT_SECONDS:
                quiet = 0.0
                yield ": still here\n\n"
            try:
                pending = await missed(last)
            except StoreUnavailable:
                pending = []

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
