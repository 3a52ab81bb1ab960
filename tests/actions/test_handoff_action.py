"""action_handoff with live handoff: the staff inbox during office hours, the question taken
outside them (with the hours said), the province's hours before the settings'; and a 👎
offering a person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from actions import support
from actions.services import Services, set_services
from actions.support import ActionFeedback, ActionHandoff
from helpdesk.messages import text
from store.handoff import CONSENT_YES, active_live, live_inbox, live_messages
from tests.actions.conftest import back_end_settings, run_action
from tests.factories import make_tracker

THURSDAY_10 = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
THURSDAY_NOON = datetime(2025, 7, 3, 5, 0, tzinfo=UTC)  # 12:00, lunch at the province center
SATURDAY = datetime(2025, 7, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """The back end without the catalogue's index: handing off never searches."""
    built = Services(back_end_settings(tmp_path), overrides={"knowledge": None})
    set_services(built)
    yield built
    set_services(None)


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(support, "clock", lambda: moment)


def _tracker(sender: str = "tg-5501") -> object:
    return make_tracker(
        "cho tôi gặp cán bộ",
        intent="human_handoff",
        sender_id=sender,
        history=[("hồ sơ 000.00.12.H12-250701-0001 của tôi, số 0912 345 678", "ask_procedure")],
        slots={"procedure": "1.001193"},
    )


async def test_during_office_hours_the_conversation_enters_the_inbox(
    services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _at(monkeypatch, THURSDAY_10)
    said, _ = await run_action(ActionHandoff(), _tracker())
    assert said[0]["text"] == text("handoff.waiting", "vi", minutes=5, hotline="1800 1096")
    (view,) = live_inbox(services.sessions)
    assert (view.conversation_id, view.channel, view.state, view.procedure_code) == (
        "tg-5501",
        "telegram",
        "waiting",
        "1.001193",
    )
    transcript = [m.text for m in live_messages(services.sessions, view.id)]
    assert transcript[0].startswith("hồ sơ 000.00.12.H12-250701-")
    assert "0001" not in transcript[0] and "0912" not in transcript[0]
    assert transcript[-1] == "cho tôi gặp cán bộ"
    # asking again does not queue it twice
    await run_action(ActionHandoff(), _tracker())
    assert len(live_inbox(services.sessions)) == 1


async def test_outside_office_hours_the_question_is_asked_for(
    services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _at(monkeypatch, SATURDAY)
    said, _ = await run_action(ActionHandoff(), _tracker("web-abcdefgh1234"))
    assert "7:30 ngày 07/07/2025" in said[0]["text"]  # Monday, the hotline's hours
    assert said[0]["text"].endswith(text("handoff.ask_question", "vi"))
    view = active_live(services.sessions, "web-abcdefgh1234")
    assert view is not None and (view.state, view.step, view.after_hours) == (
        "asking",
        "question",
        True,
    )
    assert live_inbox(services.sessions) == []  # in the inbox once the question is taken


async def test_the_province_center_hours_come_first(
    services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.settings.province = "96"  # 7:00–11:30 and 13:30–17:00
    _at(monkeypatch, THURSDAY_NOON)
    said, _ = await run_action(ActionHandoff(), _tracker())
    assert "13:30 ngày 03/07/2025" in said[0]["text"]


async def test_a_thumbs_down_offers_a_person(services) -> None:
    tracker = make_tracker(
        '/feedback{"rating":"down"}',
        intent="feedback",
        entities=[{"entity": "rating", "value": "down"}],
    )
    said, _ = await run_action(ActionFeedback(), tracker)
    assert said[0]["text"] == text("chat.offer_staff_after_rating", "vi")
    assert said[0]["buttons"][0]["payload"] == "/human_handoff"
    assert CONSENT_YES not in str(said)
