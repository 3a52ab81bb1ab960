"""Answers about procedures: documents, fees, time, where, online, overview — from the catalogue.

Every answer ends with its source. Several plausible procedures become buttons; none above the
threshold is said plainly, with the hotline.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from typing import assert_never

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, HelpdeskAction, entity, language, latest_text, note_turn
from actions.services import Services
from actions.which_procedure import AskWhich, Choices, NotFound, ProcedureFound, find_procedure
from helpdesk import messages
from helpdesk.language import Lang
from knowledge.answers import Answer, Topic, render
from knowledge.search import Hit

PAGES = re.compile(r"(\d{1,4})")


def choose_payload(code: str) -> str:
    return "/choose_procedure" + json.dumps({"procedure": code}, separators=(",", ":"))


def choice_buttons(hits: Sequence[Hit], lang: Lang) -> list[dict[str, str]]:
    return [
        {"title": h.name_en if lang == "en" else h.name, "payload": choose_payload(h.code)}
        for h in hits
    ]


PAGE_COUNT_INTENT = "give_page_count"


def pending_topic(tracker: Tracker) -> Topic:
    """The question asked before the citizen chose a procedure (slot ``topic``); an absent
    or unknown value is a general question."""
    try:
        return Topic(str(tracker.get_slot("topic")))
    except ValueError:
        return Topic.OVERVIEW


def page_count(tracker: Tracker) -> int | None:
    """The number of pages named now (entity), or in a bare reply to "how many pages?", or
    earlier in the conversation (slot)."""
    raw = entity(tracker, "page_count")
    if (
        raw is None
        and (tracker.latest_message.get("intent") or {}).get("name") == PAGE_COUNT_INTENT
    ):
        raw = latest_text(tracker) or None
    if raw is None:
        raw = tracker.get_slot("page_count")
    if raw is None:
        return None
    match = PAGES.search(str(raw))
    pages = int(match.group(1)) if match else 0
    return pages if 0 < pages <= 5000 else None


def say_answer(dispatcher: CollectingDispatcher, reply: Answer, **extra: object) -> None:
    """Say an answer: its text, and its source as one titled link (channels render it).

    The turn counts as answered for the analytics."""
    link = {"title": reply.link.title, "url": reply.link.url}
    dispatcher.utter_message(text=reply.text, json_message={"links": [link]}, **extra)
    note_turn(dispatcher, answered=True)


def answer(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    services: Services,
    topic: Topic,
    code: str,
) -> Events:
    """Say the answer for ``topic`` about ``code`` and remember both in slots."""
    knowledge = services.knowledge
    province = services.settings.province
    procedure = knowledge.catalogue.get(code, province)
    reply = render(
        topic,
        procedure,
        language(tracker),
        province_name=knowledge.catalogue.province_name(province),
        pages=page_count(tracker),
    )
    say_answer(dispatcher, reply)
    return [SlotSet("procedure", code), SlotSet("topic", topic.value)]


async def answer_about(
    dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, topic: Topic
) -> Events:
    lang = language(tracker)
    knowledge = services.knowledge
    found = await asyncio.to_thread(
        find_procedure,
        knowledge.searcher,
        latest_text(tracker),
        entity(tracker, "procedure"),
        tracker.get_slot("procedure"),
        frozenset(knowledge.catalogue.procedures),
    )
    match found:
        case ProcedureFound(code):
            return answer(dispatcher, tracker, services, topic, code)
        case Choices(hits):
            dispatcher.utter_message(
                text=messages.text("procedure.choose", lang), buttons=choice_buttons(hits, lang)
            )
        case AskWhich():
            dispatcher.utter_message(text=messages.text("procedure.ask_which", lang))
        case NotFound():
            dispatcher.utter_message(
                text=messages.text(
                    "procedure.not_found", lang, **services.settings.hotline_values(lang)
                )
            )
        case unreachable:
            assert_never(unreachable)
    note_turn(dispatcher, answered=False)
    return [SlotSet("topic", topic.value)]


class ActionAnswerProcedure(HelpdeskAction):
    """A general question about a procedure: a short overview (the base of the others)."""

    topic: Topic = Topic.OVERVIEW

    def name(self) -> str:
        return f"action_answer_{'procedure' if self.topic is Topic.OVERVIEW else self.topic.value}"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        return await answer_about(dispatcher, tracker, services, self.topic)


class ActionAnswerDocuments(ActionAnswerProcedure):
    topic: Topic = Topic.DOCUMENTS


class ActionAnswerFee(ActionAnswerProcedure):
    topic: Topic = Topic.FEE


class ActionAnswerTime(ActionAnswerProcedure):
    topic: Topic = Topic.TIME


class ActionAnswerWhere(ActionAnswerProcedure):
    topic: Topic = Topic.WHERE


class ActionAnswerOnline(ActionAnswerProcedure):
    topic: Topic = Topic.ONLINE


class ActionAnswerPageCount(HelpdeskAction):
    """A number of pages on its own ("5", "5 trang", "5 pages"): the fee of the procedure
    under discussion, with the total for that many pages."""

    def name(self) -> str:
        return "action_answer_page_count"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        code = tracker.get_slot("procedure")
        if not code or code not in services.knowledge.catalogue:
            dispatcher.utter_message(text=messages.text("procedure.ask_which", language(tracker)))
            note_turn(dispatcher, answered=False)
            return [SlotSet("topic", Topic.FEE.value)]
        return answer(dispatcher, tracker, services, Topic.FEE, code)


class ActionChooseProcedure(HelpdeskAction):
    """After a button: answer the pending question about the chosen procedure."""

    def name(self) -> str:
        return "action_choose_procedure"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        code = entity(tracker, "procedure")
        if not code or code not in services.knowledge.catalogue:
            dispatcher.utter_message(text=messages.text("procedure.ask_which", language(tracker)))
            note_turn(dispatcher, answered=False)
            return []
        return answer(dispatcher, tracker, services, pending_topic(tracker), code)
