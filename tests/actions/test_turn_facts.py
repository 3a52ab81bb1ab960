"""What the actions tell the gateway's analytics about each turn (``{"custom": {"turn": …}}``):
the message's intent, confidence and language, the procedure settled on, answered or not, a
rating, a handoff; after the answer, so that the citizen's messages come first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import Events, PoliteAction, note_turn
from actions.procedures import ActionAnswerDocuments, ActionAnswerFee
from actions.services import Services, set_services
from connectors.rasa_client import turn_facts
from store.analytics import TurnFacts
from tests.actions.conftest import back_end_settings, run_action
from tests.factories import make_tracker


class Scripted(PoliteAction):
    """An action that says one thing and, if told, notes the turn, sets a procedure or fails."""

    def __init__(
        self,
        name: str = "action_scripted",
        *,
        answered: bool | None = None,
        procedure: str | None = None,
        fail: bool = False,
    ) -> None:
        self._name = name
        self.answered = answered
        self.procedure = procedure
        self.fail = fail

    def name(self) -> str:
        return self._name

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        if self.fail:
            raise RuntimeError("the catalogue is down")
        dispatcher.utter_message(text="Câu trả lời.")
        if self.answered is not None:
            note_turn(dispatcher, answered=self.answered)
        return [SlotSet("procedure", self.procedure)] if self.procedure else []


@pytest.fixture
def settings_only(tmp_path: Path) -> Any:
    """Services with settings alone (the polite failure needs the hotline, nothing else)."""
    set_services(Services(back_end_settings(tmp_path)))
    yield
    set_services(None)


def turn_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    items = [m["custom"]["turn"] for m in messages if (m.get("custom") or {}).get("turn")]
    assert len(items) == 1, messages
    assert messages[-1]["custom"].get("turn") is items[0]  # after everything said
    facts: dict[str, Any] = items[0]
    return facts


async def test_every_turn_carries_the_messages_facts() -> None:
    tracker = make_tracker("chào bạn", intent="greet", slots={"language": "en"})
    messages, _ = await run_action(Scripted(), tracker)
    assert messages[0]["text"] == "Câu trả lời."
    assert turn_of(messages) == {"intent": "greet", "confidence": 0.95, "language": "en"}


async def test_what_the_action_noted_and_the_procedure_it_settled_on() -> None:
    tracker = make_tracker("lệ phí khai sinh", intent="ask_fee")
    action = Scripted(answered=True, procedure="1.001193")
    messages, _ = await run_action(action, tracker)
    assert turn_of(messages) == {
        "answered": True,
        "intent": "ask_fee",
        "confidence": 0.95,
        "language": "vi",
        "procedure": "1.001193",
    }


async def test_a_message_not_understood_is_unanswered_unless_the_action_answered() -> None:
    tracker = make_tracker("asdf qwer", intent="nlu_fallback")
    messages, _ = await run_action(Scripted(), tracker)
    assert turn_of(messages)["answered"] is False
    messages, _ = await run_action(Scripted(answered=True, procedure="1.001193"), tracker)
    assert turn_of(messages)["answered"] is True  # the fallback's search found it


async def test_a_failed_action_did_not_answer(settings_only: None) -> None:
    tracker = make_tracker("lệ phí khai sinh", intent="ask_fee")
    messages, _ = await run_action(Scripted(fail=True), tracker)
    assert "hệ thống đang bận" in messages[0]["text"]
    assert turn_of(messages)["answered"] is False


async def test_a_rating_and_a_handoff() -> None:
    rating = [{"entity": "rating", "value": "up"}]
    tracker = make_tracker('/feedback{"rating":"up"}', intent="feedback", entities=rating)
    messages, _ = await run_action(Scripted("action_feedback"), tracker)
    assert turn_of(messages)["feedback"] == "up"
    tracker = make_tracker("/human_handoff", intent="human_handoff")
    messages, _ = await run_action(Scripted("action_handoff"), tracker)
    assert turn_of(messages)["handoff"] is True


async def test_the_gateway_reads_them_as_rasa_sends_them() -> None:
    tracker = make_tracker("lệ phí khai sinh", intent="ask_fee")
    messages, _ = await run_action(Scripted(answered=True, procedure="1.001193"), tracker)
    # Rasa's REST channel: the custom content of each message as an item of its own
    sent = [{"recipient_id": "c", "custom": m["custom"]} for m in messages if m["custom"]]
    assert turn_facts(sent) == TurnFacts("ask_fee", 0.95, "1.001193", True, "vi")


async def test_a_procedure_answer_and_a_question_without_one(services: Services) -> None:
    tracker = make_tracker("làm giấy khai sinh cần những giấy tờ gì", intent="ask_documents")
    messages, _ = await run_action(ActionAnswerDocuments(), tracker)
    assert "Tờ khai đăng ký khai sinh" in messages[0]["text"]
    facts = turn_of(messages)
    assert (facts["procedure"], facts["answered"], facts["intent"]) == (
        "1.001193",
        True,
        "ask_documents",
    )
    tracker = make_tracker("lệ phí nuôi chim cảnh trên sao hỏa", intent="ask_fee")
    messages, _ = await run_action(ActionAnswerFee(), tracker)
    facts = turn_of(messages)
    assert facts["answered"] is False and "procedure" not in facts
