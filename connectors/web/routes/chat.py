"""The chat relay: the widget's messages to Rasa and Rasa's answers back, in one shape."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.errors import MessageTooLong, RateLimited
from connectors.privacy import address_tag, conversation_tag
from connectors.rasa_client import BotMessage
from connectors.ratelimit import RateLimiter
from connectors.web.deps import ClientAddressDep, RasaDep, RateLimiterDep, SettingsDep

logger = logging.getLogger(__name__)

CONVERSATION_ID = r"^[A-Za-z0-9_-]{8,64}$"
_CONVERSATION_ID = re.compile(CONVERSATION_ID)

router = APIRouter(prefix="/api", tags=["chat"])


class ChatRequest(BaseModel):
    """A citizen's message, or the payload of a button they pressed (exactly one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"conversation_id": "web-3f2a9c1e7b", "text": "Làm giấy khai sinh cần gì?"},
                {
                    "conversation_id": "web-3f2a9c1e7b",
                    "payload": '/choose_procedure{"procedure":"1.001193"}',
                },
            ]
        },
    )

    conversation_id: str = Field(
        description="Chosen by the client and kept for the whole conversation: "
        "8–64 characters of A–Z, a–z, 0–9, _ and -",
        json_schema_extra={"pattern": CONVERSATION_ID},
    )
    text: str | None = Field(default=None, description="What the citizen typed")
    payload: str | None = Field(
        default=None,
        pattern=r"^/",
        description='A button\'s payload, e.g. /feedback{"rating":"up"}',
    )

    @field_validator("conversation_id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _CONVERSATION_ID.match(value):
            raise ValueError("conversation_id must be 8–64 characters of A–Z, a–z, 0–9, _ and -")
        return value

    @model_validator(mode="after")
    def _text_or_payload(self) -> ChatRequest:
        has_text = bool(self.text and self.text.strip())
        if has_text == (self.payload is not None):
            raise ValueError("send either a non-empty text or a payload (exactly one)")
        return self

    @property
    def message(self) -> str:
        return self.payload if self.payload is not None else (self.text or "").strip()


class ChatReply(BaseModel):
    """The assistant's answers to one message, in order (possibly none)."""

    conversation_id: str
    messages: list[BotMessage]


class ErrorBody(BaseModel):
    """Every error of the gateway: a name, a detail, and for citizens a bilingual message."""

    error: str = Field(description="The error's name, e.g. RateLimited")
    detail: str
    messages: dict[str, str] | None = Field(
        default=None, description='What to show a citizen: {"vi": ..., "en": ...}'
    )
    retry_after: int | None = Field(default=None, description="Seconds (also in Retry-After)")
    limit: int | None = Field(default=None, description="The limit that was exceeded")
    hotline: str | None = None


async def _enforce(limiter: RateLimiter, scope: str, key: str, limit: int) -> None:
    decision = await limiter.hit(f"{scope}:{key}", limit)
    if not decision.allowed:
        logger.warning("rate limited: %s=%s retry_after=%d", scope, key, decision.retry_after)
        raise RateLimited(scope, decision.retry_after)


async def limit_by_address(
    settings: SettingsDep, limiter: RateLimiterDep, address: ClientAddressDep
) -> None:
    """Per-address limit, counted before the body is validated (bad requests count too)."""
    tag = address_tag(settings.secret_key.get_secret_value(), address)
    await _enforce(limiter, "address", tag, settings.ip_rate_per_minute)


@router.post(
    "/chat",
    response_model=ChatReply,
    dependencies=[Depends(limit_by_address)],
    responses={
        413: {"model": ErrorBody, "description": "Body over max_request_bytes"},
        422: {"description": "Invalid request, or a message over max_message_chars"},
        429: {"model": ErrorBody, "description": "Too many messages (see Retry-After)"},
        503: {"model": ErrorBody, "description": "The assistant is unreachable"},
    },
)
async def chat(
    body: ChatRequest,
    settings: SettingsDep,
    rasa: RasaDep,
    limiter: RateLimiterDep,
) -> ChatReply:
    """Send a message or a button's payload to the assistant and return its answers."""
    message = body.message
    if len(message) > settings.max_message_chars:
        raise MessageTooLong(len(message), settings.max_message_chars)
    tag = conversation_tag(settings.secret_key.get_secret_value(), body.conversation_id)
    await _enforce(limiter, "conversation", tag, settings.chat_rate_per_minute)
    answers = await rasa.send(body.conversation_id, message)
    return ChatReply(conversation_id=body.conversation_id, messages=answers)
