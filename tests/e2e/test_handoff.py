"""A live handoff against the real assistant: Rasa with its trained model and the action
server, behind the gateway. The citizen asks for a person, an officer claims the
conversation (Rasa's tracker gets ``ConversationPaused`` and the bot stays silent while the
citizen writes), the officer replies, hands the conversation back, and the bot answers again.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from connectors.handoff.desk import HandoffDesk
from helpdesk.messages import text as message_text
from store.db import make_engine, make_session_factory
from store.handoff import active_live, live_messages, messages_after
from tests.e2e.conftest import Assistant, Gateway

pytestmark = pytest.mark.rasa


def tracker_events(assistant: Assistant, sender: str) -> list[str]:
    path = Path(assistant.settings.var_dir) / "rasa-tracker.db"
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()
    return [json.loads(data)["event"] for (data,) in rows]


def test_an_officer_takes_over_and_hands_back_to_the_bot(
    assistant: Assistant, gateway: Gateway, conversation: str
) -> None:
    sender = "web-" + conversation
    engine = make_engine(assistant.settings.database_url)
    sessions = make_session_factory(engine)
    desk: HandoffDesk = gateway.client.app.state.handoff  # type: ignore[attr-defined]
    portal = gateway.client.portal
    assert portal is not None
    try:
        assert "khai sinh" in gateway.text(conversation, "Làm giấy khai sinh cần gì?").lower()
        asked = gateway.text(conversation, "Cho tôi gặp cán bộ")
        assert "1800 1096" in asked and "cán bộ" in asked, asked
        live = active_live(sessions, sender)
        assert live is not None and live.state == "waiting"
        assert any(m.author == "citizen" for m in live_messages(sessions, live.id))

        outcome = portal.call(desk.claim, live.id, "lan", None)
        assert outcome.done, outcome
        assert tracker_events(assistant, sender)[-1] == "pause"

        # paused: Rasa keeps the message, the bot says nothing, the officer reads it
        assert gateway.say(conversation, "Tôi cần nộp ở phường nào?") == []
        events = tracker_events(assistant, sender)
        since_pause = events[len(events) - events[::-1].index("pause") :]
        assert "user" in since_pause, since_pause
        assert not {"bot", "action"} & set(since_pause), since_pause
        said = [m.text for m in live_messages(sessions, live.id) if m.author == "citizen"]
        assert said[-1] == "Tôi cần nộp ở phường nào?"

        done, reply = portal.call(
            desk.reply, live.id, "lan", "Anh nộp tại phường nơi cư trú.", None
        )
        assert done.done and reply is not None
        streamed = [m.text for m in messages_after(sessions, sender, 0)]
        assert streamed == [message_text("handoff.claimed", "vi"), "Anh nộp tại phường nơi cư trú."]

        back = portal.call(desk.end, live.id, "returned", "lan", None)
        assert back.done, back
        assert tracker_events(assistant, sender)[-1] == "resume"
        assert active_live(sessions, sender) is None
        again = gateway.text(conversation, "Làm giấy khai sinh cần gì?")
        assert "khai sinh" in again.lower(), again
    finally:
        engine.dispose()
