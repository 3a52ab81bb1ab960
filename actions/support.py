"""Handoff to staff, feedback, language switch and the two-stage fallback.

Handoff: during the center's office hours (the province's contact data, else the hotline's
hours in the settings: ``offices/hours.py``) the conversation enters the staff inbox with
its transcript, the procedure it is about, and the citizen is told roughly how long the
wait is (``store.handoff.expected_wait``); outside them the bot says when staff are back and
offers to take the question, which the gateway then takes turn by turn (``asking``: the
question, yes/no on being contacted, the contact only after a yes) for the next morning's
inbox. A note for the officers is kept in both cases, as before; if the inbox cannot be
reached the citizen still gets the hotline.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import datetime

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, HelpdeskAction, entity, language, latest_text
from actions.procedures import choice_buttons, say_answer
from actions.services import Services
from helpdesk import messages
from helpdesk.errors import FeedbackInvalid
from knowledge.answers import Topic, render
from offices.hours import OfficeHours, office_hours
from store.feedback import normalise_rating, record_feedback
from store.handoff import CONSENT_NO, CONSENT_YES, expected_wait, open_handoff, open_live
from store.status import utc_now

logger = logging.getLogger(__name__)

FALLBACK_ACTION = "action_fallback_search"
STAFF_PAYLOAD = "/human_handoff"
CHANNELS = {"web-": "web", "tg-": "telegram", "zl-": "zalo", "fb-": "messenger"}

clock: Callable[[], datetime] = utc_now
"""The time handoff reads office hours against (tests set it)."""


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


def transcript(tracker: Tracker) -> list[tuple[str, str]]:
    """The conversation so far as staff read it: the citizen's typed messages (never button
    payloads) and the bot's texts, in order; cleaned when stored."""
    said: list[tuple[str, str]] = []
    for event in tracker.events:
        text = event.get("text") or ""
        if event.get("event") == "user" and text and not text.startswith("/"):
            said.append(("citizen", text))
        elif event.get("event") == "bot" and text:
            said.append(("bot", text))
    return said


def channel_of(sender_id: str) -> str:
    """The channel a conversation id comes from (its prefix), ``web`` when unknown."""
    return next((name for prefix, name in CHANNELS.items() if sender_id.startswith(prefix)), "web")


def staff_hours(services: Services) -> OfficeHours:
    """The center's office hours: the install's ``staff_hours`` setting if set, else the
    province center's when the install names a province whose hours can be read, else the
    hotline's (settings)."""
    settings = services.settings
    province_hours = None
    if settings.province:
        try:
            file = services.centers.provinces.get(settings.province)
        except Exception:
            file = None
        if file is not None:
            province_hours = file.center.opening_hours or file.defaults.opening_hours
    return office_hours(
        settings.hotline_opens, settings.hotline_closes, province_hours, settings.staff_hours
    )


def consent_buttons(lang: str) -> list[dict[str, str]]:
    return [
        {"title": messages.text("handoff.button.consent_yes", lang), "payload": CONSENT_YES},
        {"title": messages.text("handoff.button.consent_no", lang), "payload": CONSENT_NO},
    ]


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
        try:
            self._live(dispatcher, tracker, services, lang, topic)
        except Exception:
            logger.exception("the conversation could not enter the staff inbox")
            dispatcher.utter_message(
                text=messages.text("chat.handoff", lang, **services.settings.hotline_values(lang))
            )
        return []

    @staticmethod
    def _live(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        services: Services,
        lang: str,
        topic: str | None,
    ) -> None:
        settings, now = services.settings, clock()
        hours = staff_hours(services)
        common = {
            "conversation_id": tracker.sender_id,
            "channel": channel_of(tracker.sender_id),
            "language": lang,
            "transcript": transcript(tracker),
            "procedure_code": topic,
            "now": now,
        }
        if hours.is_open(now):
            wait = expected_wait(services.sessions, now)
            open_live(services.sessions, state="waiting", **common)
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            dispatcher.utter_message(
                text=messages.text(
                    "handoff.waiting", lang, minutes=minutes, hotline=settings.hotline
                )
            )
            return
        view, _ = open_live(services.sessions, state="asking", step="question", **common)
        opening = hours.next_opening(now)
        back = messages.text(
            "handoff.back_at",
            lang,
            time=f"{opening.hour}:{opening.minute:02d}",
            date=opening.strftime("%d/%m/%Y"),
        )
        told = messages.text(
            "handoff.after_hours", lang, back=back, **settings.hotline_values(lang)
        )
        if view.state == "asking" and view.step == "consent":
            dispatcher.utter_message(
                text=told + "\n\n" + messages.text("handoff.ask_consent", lang),
                buttons=consent_buttons(lang),
            )
        elif view.state == "asking":
            dispatcher.utter_message(
                text=told + "\n\n" + messages.text("handoff.ask_question", lang)
            )
        else:  # already with the staff, or a question already left for them
            dispatcher.utter_message(text=told)


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
        if rating in ("down", "1", "2"):
            # an answer that did not help: offer a person
            dispatcher.utter_message(
                text=messages.text("chat.offer_staff_after_rating", lang),
                buttons=[
                    {"title": messages.text("chat.button.staff", lang), "payload": STAFF_PAYLOAD}
                ],
            )
            return []
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
                        "payload": STAFF_PAYLOAD,
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
