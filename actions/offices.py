"""The office finder: which new commune or ward serves an old address since July 2025."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import Events, HelpdeskAction, HelpdeskFormValidation, language, note_turn
from actions.services import Services, get_services
from helpdesk import messages
from helpdesk.language import Lang

if TYPE_CHECKING:
    from offices import CenterContact, Match, Resolution

MAX_PLACE_CHARS = 200


def _previous_place_text(tracker: Tracker) -> str | None:
    """The citizen's previous message while the form asked for the place (to combine with)."""
    texts = [
        e.get("text") or ""
        for e in tracker.events
        if e.get("event") == "user" and not (e.get("text") or "").startswith("/")
    ]
    return texts[-2] if len(texts) >= 2 else None


def _place_buttons(resolution: Resolution, lang: Lang) -> list[dict[str, str]]:
    buttons = []
    for place in resolution.candidates[:6]:
        label = ", ".join(p for p in (place.district, place.province) if p)
        text = f"{resolution.text}, {label}"
        payload = "/give_place" + json.dumps({"place": text}, ensure_ascii=False)
        buttons.append({"title": label, "payload": payload})
    return buttons


class ValidateOfficeForm(HelpdeskFormValidation):
    def name(self) -> str:
        return "validate_office_form"

    async def validate_place(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = language(tracker)
        text = str(value or "").strip()[:MAX_PLACE_CHARS]
        resolver = get_services().resolver
        resolution = await asyncio.to_thread(resolver.resolve, text)
        # the NLU may have taken just the ward's name out of a longer message that also
        # names the district; or this reply answers "which district?": try those texts too
        latest = str(tracker.latest_message.get("text") or "")[:MAX_PLACE_CHARS]
        previous = _previous_place_text(tracker)
        alternatives = [latest] if latest and latest != text else []
        if previous and previous.strip() != text:
            alternatives.append(f"{previous[:MAX_PLACE_CHARS]}, {text}")
        for alternative in alternatives:
            if resolution.matches and not resolution.ambiguous:
                break
            candidate = await asyncio.to_thread(resolver.resolve, alternative)
            if candidate.matches and not candidate.ambiguous:
                resolution, text = candidate, alternative
        if resolution.ambiguous:
            level = (
                resolution.ask_for if resolution.ask_for in ("district", "province") else "district"
            )
            ask = messages.text(f"place.level.{level}", lang)
            dispatcher.utter_message(
                text=messages.text("place.ambiguous", lang, place=text, ask=ask),
                buttons=_place_buttons(resolution, lang),
            )
            return {"place": None}
        if not resolution.matches:
            dispatcher.utter_message(text=messages.text("place.unknown", lang, place=text))
            return {"place": None}
        return {"place": text}


def describe_match(match: Match, lang: Lang) -> str:
    """Which new commune or ward the place is (or is part of) since July 2025."""
    if match.current:
        return messages.text(
            "office.match.current", lang, ward=match.new_ward, province=match.new_province
        )
    old = ", ".join(p for p in (match.old_ward, match.old_district, match.old_province) if p)
    if match.split:
        wards = ", ".join(w.name for w in match.new_wards)
        return messages.text(
            "office.match.split", lang, old=old, wards=wards, province=match.new_province
        )
    return messages.text(
        "office.match.merged", lang, old=old, ward=match.new_ward, province=match.new_province
    )


def describe_center(center: CenterContact, lang: Lang) -> str:
    """Where to go: the center's name, address, phone and hours, one line each."""
    lines = [messages.text("office.center.name", lang, name=center.name)]
    if center.address:
        lines.append(messages.text("office.center.address", lang, address=center.address))
    lines.append(messages.text("office.center.phone", lang, phone=center.phone))
    if center.opening_hours:
        lines.append(messages.text("office.center.hours", lang, hours=center.opening_hours))
    if center.sample:
        lines.append(messages.text("office.center.unverified", lang, hotline=center.hotline))
    return "\n".join(lines)


class ActionFindOffice(HelpdeskAction):
    def name(self) -> str:
        return "action_find_office"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        lang = language(tracker)
        text = str(tracker.get_slot("place") or "")[:MAX_PLACE_CHARS]
        resolution = await asyncio.to_thread(services.resolver.resolve, text)
        match = resolution.best
        if match is None:
            dispatcher.utter_message(text=messages.text("place.unknown", lang, place=text))
            note_turn(dispatcher, answered=False)
            return [SlotSet("place", None)]
        lines = [describe_match(match, lang)]
        ward = match.new_wards[0]
        center = services.centers.center_for(ward.code, ward.province_code)
        lines.append(describe_center(center, lang))
        dispatcher.utter_message(text="\n".join(lines))
        note_turn(dispatcher, answered=True)
        return [SlotSet("place", None)]
