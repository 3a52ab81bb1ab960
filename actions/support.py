"""Handoff to staff, feedback, language switch and the two-stage fallback."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, HelpdeskAction, entity, language, latest_text
from actions.procedures import choice_buttons, say_answer
from actions.services import Services
from helpdesk import messages
from helpdesk.errors import FeedbackInvalid
from knowledge.answers import Topic, render
from store.feedback import normalise_rating, record_feedback
from store.handoff import open_handoff

logger = logging.getLogger(__name__)

FALLBACK_ACTION = "action_fallback_search"


# the messages that are questions; replies to a form (a code, digits, a place) never are
QUESTION_INTENTS = frozenset(
    {
        "ask_documents",
        "ask_fee",
        "ask_time",
        "ask_where",
        "ask_online",
        "ask_procedure",
        "out_of_scope",
        "nlu_fallback",
    }
)


def _last_question(tracker: Tracker) -> str:
    """The citizen's last question about a procedure, if any: the note staff read.

    Replies to the bot's own questions (record codes, digits, places) and button payloads are
    never taken; the note is cleaned again when stored (``store.handoff.sanitize_note``).
    """
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if text and not text.startswith("/") and intent in QUESTION_INTENTS:
            return text
    return ""


RATE_UP = '/feedback{"rating":"up"}'
RATE_DOWN = '/feedback{"rating":"down"}'


def _rating(value: str | None) -> str | None:
    """The rating as stored, or None when absent or not a rating (a hand-typed payload)."""
    if value is None:
        return None
    try:
        return normalise_rating(value)
    except FeedbackInvalid:
        return None


class ActionHandoff(HelpdeskAction):
    def name(self) -> str:
        return "action_handoff"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        lang = language(tracker)
        topic = tracker.get_slot("procedure")
        note = _last_question(tracker)[:500] or "Người dân muốn gặp cán bộ."
        try:
            await asyncio.to_thread(
                open_handoff,
                services.sessions,
                conversation_id=tracker.sender_id,
                note=note,
                topic=topic,
            )
        except Exception:
            # the citizen still gets the hotline; staff will see the gap in the logs
            logger.exception("handoff note could not be stored")
        dispatcher.utter_message(
            text=messages.text("chat.handoff", lang, **services.settings.hotline_values(lang))
        )
        return []


class ActionFeedback(HelpdeskAction):
    def name(self) -> str:
        return "action_feedback"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        lang = language(tracker)
        rating = _rating(entity(tracker, "rating"))
        if rating is None:
            dispatcher.utter_message(
                text=messages.text("chat.feedback_unclear", lang),
                buttons=[
                    {"title": messages.text("chat.button.helpful", lang), "payload": RATE_UP},
                    {"title": messages.text("chat.button.not_helpful", lang), "payload": RATE_DOWN},
                ],
            )
            return []
        procedure = tracker.get_slot("procedure")
        await asyncio.to_thread(
            record_feedback,
            services.sessions,
            conversation_id=tracker.sender_id,
            rating=rating,
            procedure_code=procedure,
        )
        dispatcher.utter_message(text=messages.text("chat.feedback_thanks", lang))
        return []


class ActionSetLanguage(HelpdeskAction):
    def name(self) -> str:
        return "action_set_language"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        wanted = entity(tracker, "language")
        new = wanted if wanted in ("vi", "en") else ("vi" if language(tracker) == "en" else "en")
        dispatcher.utter_message(
            text=messages.text("chat.language_set", "en" if new == "en" else "vi")
        )
        return [SlotSet("language", new)]


class ActionFallbackSearch(HelpdeskAction):
    """Stage 1: try the catalogue on the message; else ask to rephrase. Stage 2: offer staff."""

    def name(self) -> str:
        return FALLBACK_ACTION

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        lang = language(tracker)
        text = latest_text(tracker)
        knowledge = services.knowledge
        if text:
            result = await asyncio.to_thread(knowledge.searcher.search, text, 3)
            if result.answerable and result.hits:
                top = result.hits[0]
                procedure = knowledge.catalogue.get(top.code, services.settings.province)
                say_answer(
                    dispatcher,
                    render(Topic.OVERVIEW, procedure, lang),
                    buttons=choice_buttons(result.hits[1:], lang) if len(result.hits) > 1 else [],
                )
                return [SlotSet("procedure", top.code), SlotSet("topic", Topic.OVERVIEW.value)]
        if self._second_in_a_row(tracker):
            dispatcher.utter_message(
                text=messages.text("chat.offer_staff", lang),
                buttons=[
                    {
                        "title": messages.text("chat.button.staff", lang),
                        "payload": "/human_handoff",
                    },
                ],
            )
            return []
        dispatcher.utter_message(text=messages.text("chat.rephrase", lang))
        return []

    @staticmethod
    def _second_in_a_row(tracker: Tracker) -> bool:
        """Did the previous bot turn also end in this fallback?"""
        actions = [
            e.get("name")
            for e in tracker.events
            if e.get("event") == "action" and e.get("name") not in ("action_listen", None)
        ]
        return bool(actions) and actions[-1] == FALLBACK_ACTION
