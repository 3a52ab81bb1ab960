"""The relay to Rasa, shared by every channel (web gateway, Telegram, ...).

Rasa listens only to its ``gateway`` input channel (``bot/channels.py``), which requires the
install's internal token: nobody reaches Rasa except through this client, and this client
applies the message cap and the conversation guard (second factors become one-time tokens,
phone and ID numbers are masked) before any text reaches Rasa. Every turn relayed is also
handed to the analytics' recorder (:class:`TurnSink`), with what the bot said of it
(:func:`turn_facts`) and how long the answer took.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol, Self

import httpx
from pydantic import BaseModel, Field

from connectors.errors import BotUnavailable, MessageTooLong
from connectors.locks import KeyedLocks
from connectors.privacy import conversation_tag
from helpdesk.settings import Settings
from store.analytics import TurnEvent, TurnFacts

logger = logging.getLogger(__name__)

GATEWAY_WEBHOOK = "/webhooks/gateway/webhook"
RASA_TOKEN_PURPOSE = "rasa"
TURN_KEY = "turn"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=3.0)


class Button(BaseModel):
    """A choice offered by the bot; sending ``payload`` back selects it."""

    title: str = Field(description="What the button says")
    payload: str = Field(description='What to send back, e.g. /choose_procedure{"procedure":"…"}')


class Link(BaseModel):
    """A link the bot attached to an answer (its source, an online form …)."""

    title: str
    url: str


class BotMessage(BaseModel):
    """One message from the assistant, in the gateway's single documented shape."""

    text: str | None = Field(default=None, description="Plain text; never markup")
    buttons: list[Button] = Field(default_factory=list)
    image: str | None = Field(default=None, description="URL of an image, if any")
    links: list[Link] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.text or self.buttons or self.image or self.links)


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_message(raw: object) -> BotMessage | None:
    """One item of Rasa's answer as a :class:`BotMessage`; None for anything unusable.

    Rasa's REST channel answers ``{recipient_id, text?, buttons?, image?, custom?}``. Links
    come from ``custom.links`` (``[{"title", "url"}]``); ``custom.turn`` (the bot's facts about
    the turn, read by :func:`turn_facts`) is never shown; other custom content is dropped.
    """
    if not isinstance(raw, dict):
        return None
    buttons = [
        Button(title=title, payload=payload)
        for item in raw.get("buttons") or []
        if isinstance(item, dict)
        and (title := _string(item.get("title")))
        and (payload := _string(item.get("payload")))
    ]
    custom = raw.get("custom")
    links: list[Link] = []
    if isinstance(custom, dict):
        for item in custom.get("links") or []:
            if isinstance(item, dict) and (url := _string(item.get("url"))):
                links.append(Link(title=_string(item.get("title")) or url, url=url))
    message = BotMessage(
        text=_string(raw.get("text")),
        buttons=buttons,
        image=_string(raw.get("image")),
        links=links,
    )
    return None if message.is_empty() else message


def turn_facts(raw: list[Any]) -> TurnFacts:
    """What the bot said of the turn, for the analytics: every item's ``custom.turn`` in order.

    The actions of one turn each send theirs (a form's validation, then the answer): a later
    value fills in or replaces an earlier one; an absent or null value changes nothing.
    """
    merged: dict[str, Any] = {}
    for item in raw:
        custom = item.get("custom") if isinstance(item, dict) else None
        facts = custom.get(TURN_KEY) if isinstance(custom, dict) else None
        if isinstance(facts, dict):
            merged.update((key, value) for key, value in facts.items() if value is not None)
    return TurnFacts.from_raw(merged)


def attach_links(messages: list[BotMessage]) -> list[BotMessage]:
    """Join a message that carries only links (an answer's source) to the message before it.

    Rasa sends an action's custom content apart from its text; the citizen reads one answer
    with its source under it.
    """
    joined: list[BotMessage] = []
    for message in messages:
        only_links = message.links and not (message.text or message.buttons or message.image)
        if only_links and joined:
            before = joined[-1]
            joined[-1] = before.model_copy(update={"links": [*before.links, *message.links]})
        else:
            joined.append(message)
    return joined


class Guard(Protocol):
    """What a conversation's messages go through on their way to and from Rasa."""

    async def inbound(self, conversation_id: str, text: str) -> str:
        """The text Rasa may see (second factors as tokens, personal numbers masked)."""
        ...

    async def outbound(self, conversation_id: str, raw: list[Any]) -> None:
        """Note what the bot's answer asks for next (e.g. a second factor)."""
        ...


class TurnSink(Protocol):
    """Where relayed turns go for the analytics (``store.analytics.TurnRecorder``)."""

    def record(self, event: TurnEvent) -> None:
        """Take a turn without waiting (it is written later, or dropped)."""
        ...


class RasaClient:
    """Sends a conversation's turns to Rasa, one at a time per conversation.

    Args:
        http: The shared client (its connection pool serves every conversation).
        base_url: Rasa's address, ``settings.rasa_url``.
        secret: Key for the conversation hashes written to the logs.
        token: The internal token Rasa's gateway channel requires
            (``settings.internal_token("rasa")``).
        max_chars: The longest message relayed; every channel gets the same cap here.
        guard: Applied to every message before Rasa sees it; None relays text unchanged
            (tests of the relay itself).
        timeout: Per-request timeout; Rasa waits on the action server, so allow some seconds.
        recorder: Receives every turn answered (its time, channel, the text as Rasa saw it,
            the bot's facts and the time the answer took); None records nothing.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        secret: str,
        token: str,
        max_chars: int = 1000,
        guard: Guard | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        recorder: TurnSink | None = None,
    ) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + GATEWAY_WEBHOOK
        self._secret = secret
        self._headers = {"Authorization": f"Bearer {token}"}
        self._max_chars = max_chars
        self._guard = guard
        self._timeout = timeout
        self._locks = KeyedLocks()
        self._recorder = recorder

    @classmethod
    def from_settings(cls, http: httpx.AsyncClient, settings: Settings, guard: Guard) -> RasaClient:
        """The relay as an install runs it: Rasa's address, token, cap and the guard."""
        return cls(
            http,
            settings.rasa_url,
            secret=settings.secret_key.get_secret_value(),
            token=settings.internal_token(RASA_TOKEN_PURPOSE),
            max_chars=settings.max_message_chars,
            guard=guard,
        )

    def with_recorder(self, recorder: TurnSink | None) -> Self:
        """Hand every turn answered from now on to ``recorder`` (the analytics)."""
        self._recorder = recorder
        return self

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        source: str | None = None,
        channel: str | None = None,
    ) -> list[BotMessage]:
        """Send one message (text or a ``/intent{...}`` payload) and return the bot's answers.

        Turns of the same conversation are relayed in arrival order. A turn answered is handed
        to the recorder (a relay that fails is not a turn: the logs have it).

        Args:
            conversation_id: The channel's conversation id, already in the channel's own
                namespace (``web-…``, ``tg-…``).
            text: What the citizen typed, or a button's payload.
            source: A keyed hash of who sends it (the web client's address, the Telegram
                user); failed record lookups are also counted against it.
            channel: The channel's name (``web``, ``telegram``, ``zalo``, ``messenger``),
                kept with the turn in Rasa's tracker for the analytics.

        Raises:
            MessageTooLong: Over ``max_chars``: never relayed.
            BotUnavailable: Rasa is down, timed out, or answered something unusable.
        """
        if len(text) > self._max_chars:
            raise MessageTooLong(len(text), self._max_chars)
        tag = conversation_tag(self._secret, conversation_id)
        async with self._locks.hold(conversation_id):
            arrived = datetime.now(UTC)
            relay_started = time.perf_counter()
            if self._guard is not None:
                text = await self._guard.inbound(conversation_id, text)
            body: dict[str, Any] = {"sender": conversation_id, "message": text}
            metadata = {"source": source, "channel": channel}
            if any(metadata.values()):
                body["metadata"] = {key: value for key, value in metadata.items() if value}
            started = time.perf_counter()
            try:
                response = await self._http.post(
                    self._url, json=body, headers=self._headers, timeout=self._timeout
                )
            except httpx.TimeoutException as exc:
                logger.error("rasa timed out: conversation=%s chars=%d", tag, len(text))
                raise BotUnavailable("timeout") from exc
            except httpx.HTTPError as exc:
                logger.error("rasa unreachable: conversation=%s (%s)", tag, type(exc).__name__)
                raise BotUnavailable("unreachable") from exc
            elapsed_ms = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                logger.error("rasa answered %d: conversation=%s", response.status_code, tag)
                raise BotUnavailable(f"status {response.status_code}")
            try:
                payload: Any = response.json()
            except ValueError as exc:
                logger.error("rasa answered invalid JSON: conversation=%s", tag)
                raise BotUnavailable("invalid answer") from exc
            if not isinstance(payload, list):
                logger.error(
                    "rasa answered a %s, not a list: conversation=%s", type(payload).__name__, tag
                )
                raise BotUnavailable("invalid answer")
            if self._guard is not None:
                await self._guard.outbound(conversation_id, payload)
            messages = attach_links([m for raw in payload if (m := parse_message(raw)) is not None])
            latency_ms = (time.perf_counter() - relay_started) * 1000
            turn = TurnEvent(arrived, conversation_id, channel, text, latency_ms)
            self._to_recorder(turn, payload)
            logger.info(
                "relayed: conversation=%s chars=%d messages=%d ms=%.0f",
                tag,
                len(text),
                len(messages),
                elapsed_ms,
            )
            return messages

    def _to_recorder(self, turn: TurnEvent, payload: list[Any]) -> None:
        """Hand a turn, with the bot's facts, to the recorder; whatever goes wrong there never
        reaches the citizen."""
        if self._recorder is None:
            return
        try:
            self._recorder.record(replace(turn, facts=turn_facts(payload)))
        except Exception as exc:
            logger.warning("analytics: a turn was not recorded (%s)", type(exc).__name__)
