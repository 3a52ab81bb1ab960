"""The chat relay: the widget's messages to Rasa and Rasa's answers back, in one shape."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.conversations import (
    CLIENT_ID_PATTERN,
    CLIENT_ID_RULE,
    is_client_id,
    web_conversation,
)
from connectors.errors import RateLimited
from connectors.privacy import address_tag, conversation_tag
from connectors.rasa_client import BotMessage
from connectors.ratelimit import RateLimiter
from connectors.web.deps import ClientAddressDep, RasaDep, RateLimiterDep, SettingsDep
from connectors.web.errors import error_responses
from connectors.web.strict_json import StrictJsonRoute

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
    return ChatReply(conversation_id=body.conversation_id, messages=answers)
