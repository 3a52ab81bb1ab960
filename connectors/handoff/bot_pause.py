"""Pausing and resuming the bot in one conversation, the Rasa way: an event on its tracker.

Rasa runs without its HTTP API; its token-guarded ``gateway`` channel (``bot/channels.py``)
takes ``POST /webhooks/gateway/events`` with ``{"sender", "event": "pause"|"resume"}`` and
appends ``ConversationPaused``/``ConversationResumed`` under the conversation's lock. A
paused conversation still records what the citizen writes; the bot answers nothing until it
is resumed. Same address and token as :class:`connectors.rasa_client.RasaClient`.
"""

from __future__ import annotations

import logging
from typing import Literal

import httpx

from connectors.errors import BotUnavailable
from connectors.privacy import conversation_tag
from connectors.rasa_client import RASA_TOKEN_PURPOSE
from helpdesk.settings import Settings

logger = logging.getLogger(__name__)

GATEWAY_EVENTS = "/webhooks/gateway/events"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class BotPause:
    """Appends ``pause``/``resume`` to a conversation's tracker in Rasa.

    Args:
        http: The gateway's shared client.
        base_url: Rasa's address (``settings.rasa_url``).
        token: The internal token of Rasa's gateway channel.
        secret: Key of the conversation hashes in the logs.
    """

    def __init__(self, http: httpx.AsyncClient, base_url: str, *, token: str, secret: str) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + GATEWAY_EVENTS
        self._headers = {"Authorization": f"Bearer {token}"}
        self._secret = secret

    @classmethod
    def from_settings(cls, http: httpx.AsyncClient, settings: Settings) -> BotPause:
        return cls(
            http,
            settings.rasa_url,
            token=settings.internal_token(RASA_TOKEN_PURPOSE),
            secret=settings.secret_key.get_secret_value(),
        )

    async def pause(self, conversation_id: str) -> None:
        """Silence the bot in the conversation (a staff member answers).

        Raises:
            BotUnavailable: Rasa is unreachable or refused the event.
        """
        await self._append(conversation_id, "pause")

    async def resume(self, conversation_id: str) -> None:
        """Let the bot answer the conversation again.

        Raises:
            BotUnavailable: Rasa is unreachable or refused the event.
        """
        await self._append(conversation_id, "resume")

    async def _append(self, conversation_id: str, event: Literal["pause", "resume"]) -> None:
        tag = conversation_tag(self._secret, conversation_id)
        body = {"sender": conversation_id, "event": event}
        try:
            response = await self._http.post(
                self._url, json=body, headers=self._headers, timeout=TIMEOUT
            )
        except httpx.HTTPError as exc:
            logger.error("rasa %s failed: conversation=%s (%s)", event, tag, type(exc).__name__)
            raise BotUnavailable("unreachable") from exc
        if response.status_code != 200:
            logger.error("rasa %s answered %d: conversation=%s", event, response.status_code, tag)
            raise BotUnavailable(f"status {response.status_code}")
        logger.info("rasa %s: conversation=%s", event, tag)
