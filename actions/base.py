"""What every action shares: the conversation's language and a polite failure.

Every action and every form validation derives from :class:`PoliteAction`: whatever fails
inside it (a part of the back end that is down, a bug), the citizen gets the ``unavailable``
answer with the hotline, never a silent bot, and the log gets the action's name and the
traceback, never the message.

Every run also tells the gateway's analytics what the turn was (``store/analytics.py``): a
custom item ``{"turn": {...}}`` in the answer, which no channel shows. It carries the
message's intent, the NLU's confidence and the conversation's language; an action adds the
procedure it settled on and whether it answered (:func:`note_turn`).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.services import Services, get_services
from helpdesk import messages
from helpdesk.language import Lang
from knowledge.search import MAX_QUERY_CHARS

logger = logging.getLogger(__name__)

Events = list[dict[str, Any]]

TURN_KEY = "turn"
# the message was not understood as a question the bot can answer, unless the action says so
NOT_UNDERSTOOD = frozenset({"nlu_fallback", "out_of_scope"})
FEEDBACK_INTENT = "feedback"
HANDOFF_ACTION = "action_handoff"  # the action that hands a conversation to staff


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


def note_turn(dispatcher: CollectingDispatcher, *, answered: bool) -> None:
    """Tell the analytics whether this turn's question was answered (the bot's own answer, from
    the catalogue or the back end) or not (no procedure found, a choice offered, a refusal).

    :meth:`PoliteAction.run` completes the item with the message's facts and the procedure
    the action settled on (its ``procedure`` slot event).
    """
    dispatcher.utter_message(json_message={TURN_KEY: {"answered": answered}})


def message_facts(tracker: Tracker) -> dict[str, Any]:
    """What the latest message was: intent, confidence, language, and a rating if it gave one."""
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    confidence = intent.get("confidence") if isinstance(intent, dict) else None
    facts: dict[str, Any] = {
        "intent": name if isinstance(name, str) else None,
        "confidence": float(confidence) if isinstance(confidence, int | float) else None,
        "language": language(tracker),
    }
    if name in NOT_UNDERSTOOD:
        facts["answered"] = False
    if name == FEEDBACK_INTENT:
        facts["feedback"] = entity(tracker, "rating")
    return facts


def _slot_value(events: Events, slot: str) -> Any:
    values = [e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == slot]
    return values[-1] if values else None


def say_unavailable(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The polite "cannot answer right now" with the hotline, in the conversation's language."""
    lang = language(tracker)
    values = get_services().settings.hotline_values(lang)
    dispatcher.utter_message(text=messages.text("chat.busy", lang, **values))


class PoliteAction(Action, ABC):
    """An action whose every failure becomes the polite ``unavailable`` answer."""

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        """What the action does; may fail (see :meth:`run`)."""

    def events_after_failure(self, tracker: Tracker) -> Events:
        """The events returned after a failure (none: the conversation goes on unchanged)."""
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        failed = False
        try:
            events = await self.answer(dispatcher, tracker, domain)
        except Exception:
            # no message text in the log: it may hold personal data
            logger.exception("action %s failed", self.name())
            say_unavailable(dispatcher, tracker)
            events = self.events_after_failure(tracker)
            failed = True
        self._tell_analytics(dispatcher, tracker, events, failed)
        return events

    def _tell_analytics(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, events: Events, failed: bool
    ) -> None:
        """Complete the turn's item (:func:`note_turn`) or add one; never fails the answer."""
        try:
            facts = message_facts(tracker)
            procedure = _slot_value(events, "procedure")
            if isinstance(procedure, str):
                facts["procedure"] = procedure
            if self.name() == HANDOFF_ACTION:
                facts["handoff"] = True
            if failed:
                facts["answered"] = False
            noted = [
                custom[TURN_KEY]
                for message in dispatcher.messages
                if isinstance(custom := message.get("custom"), dict)
                and isinstance(custom.get(TURN_KEY), dict)
            ]
            known = {key: value for key, value in facts.items() if value is not None}
            if not noted:
                dispatcher.utter_message(json_message={TURN_KEY: known})
                return
            item = noted[-1]  # what the action noted wins, but after a failure it did not answer
            item.update({key: value for key, value in known.items() if key not in item})
            if failed:
                item["answered"] = False
        except Exception:
            logger.exception("action %s: the turn's facts were not added", self.name())


class HelpdeskAction(PoliteAction):
    """An action that answers from the back end's parts (:class:`Services`)."""

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events: ...

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        return await self.act(dispatcher, tracker, get_services())


class HelpdeskFormValidation(PoliteAction, FormValidationAction):
    """A form's slot validation (rasa-sdk's ``validate_<slot>`` methods), failing politely.

    After a failure the slots under validation are cleared, so that the form asks for them
    again instead of accepting what it could not check.
    """

    @abstractmethod
    def name(self) -> str: ...

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        events: Events = await FormValidationAction.run(self, dispatcher, tracker, domain)
        return events

    def events_after_failure(self, tracker: Tracker) -> Events:
        return [SlotSet(slot, None) for slot in tracker.slots_to_validate()]
