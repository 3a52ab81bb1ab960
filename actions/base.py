"""What every action shares: the conversation's language and a polite failure."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.services import Services, get_services
from actions.texts import Lang, say
from knowledge.search import MAX_QUERY_CHARS

logger = logging.getLogger(__name__)

Events = list[dict[str, Any]]


def language(tracker: Tracker) -> Lang:
    """The conversation's language (slot ``language``); Vietnamese by default."""
    return "en" if tracker.get_slot("language") == "en" else "vi"


def latest_text(tracker: Tracker) -> str:
    """The citizen's latest message, or "" for a button payload.

    At most the search's limit (``MAX_QUERY_CHARS``), cut at a word: a long message (the
    gateway allows twice as much) is searched by its beginning instead of being refused.
    """
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/"):
        return ""
    if len(text) <= MAX_QUERY_CHARS:
        return text
    head = text[:MAX_QUERY_CHARS]
    cut = head.rsplit(None, 1)[0] if " " in head.strip() else head
    return cut.strip() or head


def entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def hotline_values(services: Services) -> dict[str, str]:
    return {"hotline": services.settings.hotline, "hours": services.settings.hotline_hours}


class HelpdeskAction(Action, ABC):
    """An action that never shows a stack trace: failures become a polite answer."""

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        services = get_services()
        try:
            return await self.act(dispatcher, tracker, services)
        except Exception:
            # no message text in the log: it may hold personal data
            logger.exception("action %s failed", self.name())
            dispatcher.utter_message(
                text=say("unavailable", language(tracker), **hotline_values(services))
            )
            return []
