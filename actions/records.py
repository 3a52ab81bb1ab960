"""Where is my application? The record-status form and its lookup.

The code is parsed tolerantly; nothing is revealed without the second factor; an unknown code
and a wrong factor get the same neutral answer; failed attempts are throttled in the database.
The code and digits are cleared from the slots once used.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import Events, HelpdeskAction, language
from actions.services import Services
from actions.texts import say
from helpdesk.errors import LookupRefused, RecordCodeDefect, RecordCodeInvalid
from store.answer import refused_texts
from store.codes import parse_record_code
from store.lookup import normalise_digits

MAX_INPUT = 200


class ValidateRecordStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_record_status_form"

    def validate_record_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = language(tracker)
        text = str(value or "")[: MAX_INPUT + 1]
        try:
            if len(text) > MAX_INPUT:
                raise RecordCodeInvalid("the text is far too long to be a record code")
            code = parse_record_code(text).canonical
        except RecordCodeInvalid as exc:
            if isinstance(exc, RecordCodeDefect):
                reason = exc.message if lang == "en" else exc.message_vi
            else:
                reason = str(exc) if lang == "en" else "Mã không đúng dạng."
            dispatcher.utter_message(text=say("record_code_bad", lang, reason=reason))
            return {"record_code": None}
        return {"record_code": code}

    def validate_verification(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        digits = normalise_digits(str(value or "")[:MAX_INPUT])
        if digits is None:
            dispatcher.utter_message(text=say("digits_bad", language(tracker)))
            return {"verification": None}
        return {"verification": digits}


class ActionCheckRecordStatus(HelpdeskAction):
    def name(self) -> str:
        return "action_check_record_status"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        lang = language(tracker)
        clear = [SlotSet("record_code", None), SlotSet("verification", None)]
        code = tracker.get_slot("record_code")
        digits = tracker.get_slot("verification")
        if not code or not digits:
            dispatcher.utter_message(text=say("digits_bad", lang))
            return clear
        try:
            result = await asyncio.to_thread(
                services.lookup.lookup, str(code), str(digits), tracker.sender_id
            )
        except LookupRefused as exc:
            vi, en = refused_texts(exc.retry_after_seconds, services.settings.hotline)
            dispatcher.utter_message(text=en if lang == "en" else vi)
            return clear
        dispatcher.utter_message(text=result.message_en if lang == "en" else result.message_vi)
        return clear
