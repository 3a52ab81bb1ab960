"""Where is my application? The record-status form and its lookup.

The code is parsed tolerantly; nothing is revealed without the second factor. The factor never
reaches Rasa: the gateway swaps the citizen's digits for a one-time token
(``connectors/guard.py``) and only this action redeems it (``store/factors.py``). An unknown
code and a wrong factor get the same neutral answer; failed attempts are throttled in the
database per code and asker. After a wrong factor the code is kept, so that the citizen can
type the digits again; the token slot is cleared once used.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import Events, HelpdeskAction, HelpdeskFormValidation, language, note_turn
from actions.services import PartUnavailable, Services
from helpdesk import messages
from helpdesk.errors import (
    LookupRefused,
    ProcedureNotFound,
    RecordCodeDefect,
    RecordCodeInvalid,
)
from store.codes import parse_record_code
from store.factors import is_token
from store.outcomes import LookupOutcome
from store.replies import refused_text, result_text

MAX_INPUT = 200
# sent with every question for a second factor: the gateway then takes the next reply's
# digits out of the message (connectors/guard.py)
EXPECT_FACTOR = {"expect": "verification"}


def message_source(tracker: Tracker) -> str | None:
    """Who sent the latest message (a keyed hash the gateway adds), if the channel said so."""
    metadata = tracker.latest_message.get("metadata") or {}
    source = metadata.get("source") if isinstance(metadata, dict) else None
    return source if isinstance(source, str) and 0 < len(source) <= 128 else None


def ask_factor_again(dispatcher: CollectingDispatcher, text: str) -> None:
    """Say ``text`` and let the gateway protect the digits of the reply."""
    dispatcher.utter_message(text=text, json_message=EXPECT_FACTOR)


class ValidateRecordStatusForm(HelpdeskFormValidation):
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
            reason = RecordCodeDefect.of(exc).text(lang)
            dispatcher.utter_message(text=messages.text("record.code_bad", lang, reason=reason))
            return {"record_code": None}
        return {"record_code": code}

    def validate_verification(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # Only a token can fill the slot: the digits themselves never reach Rasa. Anything
        # else typed here (words, a masked near-miss) is asked again; the form's question
        # carries the marker that protects the next reply.
        if is_token(value):
            return {"verification": value}
        dispatcher.utter_message(text=messages.text("record.digits_bad", language(tracker)))
        return {"verification": None}


def procedure_name(services: Services, code: str, lang: str) -> str | None:
    """The name of a record's procedure, or None when the catalogue cannot say it now (the
    answer then gives the code alone rather than failing)."""
    try:
        procedure = services.knowledge.catalogue.get(code, services.settings.province)
    except (PartUnavailable, ProcedureNotFound):
        return None
    return procedure.name if lang == "vi" else procedure.name_en


class ActionCheckRecordStatus(HelpdeskAction):
    def name(self) -> str:
        return "action_check_record_status"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services
    ) -> Events:
        lang = language(tracker)
        clear = [SlotSet("record_code", None), SlotSet("verification", None)]
        keep_code = [SlotSet("verification", None)]
        code = tracker.get_slot("record_code")
        token = tracker.get_slot("verification")
        if not code:
            dispatcher.utter_message(text=messages.text("record.ask_code_again", lang))
            note_turn(dispatcher, answered=False)
            return clear
        digits = None
        if is_token(token):
            digits = await asyncio.to_thread(services.vault.redeem, str(token), tracker.sender_id)
        if digits is None:
            ask_factor_again(dispatcher, messages.text("record.factor_expired", lang))
            return keep_code
        try:
            result = await asyncio.to_thread(
                services.lookup.lookup,
                str(code),
                digits,
                tracker.sender_id,
                source=message_source(tracker),
            )
        except LookupRefused as exc:
            hotline = services.settings.hotline
            text = refused_text(exc.retry_after_seconds, exc.scope, lang, hotline)
            if exc.scope == "code_guarded":
                ask_factor_again(dispatcher, text)
                note_turn(dispatcher, answered=False)
                return keep_code
            dispatcher.utter_message(text=text)
            note_turn(dispatcher, answered=False)
            return clear
        settings = services.settings
        name = (
            procedure_name(services, result.record.procedure_code, lang) if result.record else None
        )
        text = result_text(result, lang, settings.hotline, settings.hotline_hours(lang), name)
        if result.outcome in (LookupOutcome.NOT_FOUND, LookupOutcome.INVALID_DIGITS):
            ask_factor_again(dispatcher, text + "\n" + messages.text("record.factor_retry", lang))
            note_turn(dispatcher, answered=True)  # told plainly that it is not found
            return keep_code
        dispatcher.utter_message(text=text)
        note_turn(dispatcher, answered=True)
        return clear
