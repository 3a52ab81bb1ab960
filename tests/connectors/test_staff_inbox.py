"""Live handoff in the gateway: the staff inbox pages, claims across replicas, the bot paused
and resumed through Rasa's gateway channel (faked), the widget's stream with resumption,
questions taken outside office hours, and a whole handoff on Telegram (fake Bot API)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text as sql_text

from connectors.web.app import create_app
from connectors.web.routes import chat as chat_route
from helpdesk.messages import text as message_text
from knowledge.answers import Topic, render
from knowledge.service import Knowledge
from store import accounts
from store import handoff as handoff_store
from store.audit import newest
from store.handoff import (
    CONSENT_YES,
    claim_live,
    conversation_subject,
    live_inbox,
    live_messages,
    open_live,
    staff_reply,
)
from tests.connectors.conftest import Upstream
from tests.connectors.fake_rasa import FakeRasa
from tests.connectors.fake_telegram import FakeBotApi, text_update
from tests.connectors.servers import serve_in_thread
from tests.connectors.staff_site import HTML, StaffSite, form_token, signed_in
from tests.connectors.test_openapi import stub_knowledge

CLIENT = "widgetclient0001"
WEB = "web-" + CLIENT
RECORD = "000.00.12.H12-250701-0001"
TOKEN = "123456:TEST-not-a-real-token"
SECRET = "webhook-Secret_0123456789"
CHAT = 777002


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture(autouse=True)
def quick_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    # the test client reads a stream once it has ended: end it soon
    monkeypatch.setattr(chat_route, "STREAM_POLL_SECONDS", 0.05)
    monkeypatch.setattr(chat_route, "STREAM_MAX_SECONDS", 0.3)


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return stub_knowledge()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[StaffSite]:
    site = StaffSite.on(tmp_path)
    site.add_user("lan")
    site.add_user("minh")
    yield site
    site.close()


@pytest.fixture
def upstream(site: StaffSite) -> Upstream:
    return Upstream(site.settings.internal_token("rasa"))


@contextmanager
def replica(
    site: StaffSite, upstream: Upstream, knowledge: Knowledge | None = None
) -> Iterator[TestClient]:
    """A gateway replica of its own on the shared database and the shared fake Rasa."""
    app = create_app(
        site.settings,
        knowledge,
        load_knowledge=False,
        watch_catalogue=False,
        http_transport=httpx.MockTransport(upstream),
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def waiting(site: StaffSite, conversation: str = WEB, channel: str = "web") -> int:
    """What action_handoff does during office hours: the conversation enters the inbox."""
    view, _ = open_live(
        site.sessions,
        conversation_id=conversation,
        channel=channel,
        language="vi",
        state="waiting",
        transcript=[
            ("citizen", f"Hồ sơ {RECORD} của tôi sao rồi? Số tôi 0912345678"),
            ("bot", "Tôi đã chuyển cuộc trò chuyện tới cán bộ."),
        ],
        procedure_code="1.001193",
    )
    return view.id


def post(client: TestClient, path: str, token: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": token, **data}, headers=HTML)


def chat(client: TestClient, **body: str) -> dict[str, Any]:
    response = client.post("/api/chat", json={"conversation_id": CLIENT, **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def stream(client: TestClient, **headers: str) -> tuple[list[dict[str, Any]], bool]:
    """The widget's stream: its message events and whether it said ``end``."""
    response = client.get(f"/api/chat/stream?conversation_id={CLIENT}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events, ended = [], False
    for block in response.text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if fields.get("event") == "message":
            data = json.loads(fields["data"])
            assert str(data["id"]) == fields["id"]
            events.append(data)
        ended = ended or fields.get("event") == "end"
    return events, ended


def test_the_inbox_is_for_signed_in_staff(site: StaffSite, upstream: Upstream) -> None:
    handoff = waiting(site)
    with replica(site, upstream) as client:
        assert client.get("/staff/inbox", headers=HTML).status_code == 303
        assert client.get(f"/staff/inbox/{handoff}").status_code == 401
        token = signed_in(client, "lan")
        refused = client.post(f"/staff/inbox/{handoff}/claim", headers=HTML)
        assert refused.status_code == 403  # no anti-forgery token
        assert upstream.rasa.tracker_events == []
        page = client.get("/staff/inbox", headers=HTML)
        assert page.status_code == 200 and "Đang chờ" in page.text and "phút" in page.text
        assert "1.001193" in page.text and "Hộp thư" in page.text
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
        one = client.get(f"/staff/inbox/{handoff}", headers=HTML)
        assert "000.00.12.H12-250701-" in one.text
        assert RECORD not in one.text and "0912345678" not in one.text
        assert post(client, f"/staff/inbox/{handoff}/claim", token).status_code == 303


def test_two_replicas_one_claim_and_the_bot_paused_once(
    site: StaffSite, upstream: Upstream
) -> None:
    handoff = waiting(site)
    with replica(site, upstream) as first, replica(site, upstream) as second:
        lan, minh = signed_in(first, "lan"), signed_in(second, "minh")
        won = post(first, f"/staff/inbox/{handoff}/claim", lan)
        lost = post(second, f"/staff/inbox/{handoff}/claim", minh)
        assert won.headers["location"] == f"/staff/inbox/{handoff}"
        assert lost.headers["location"] == f"/staff/inbox/{handoff}?problem=taken"
        assert upstream.rasa.tracker_events == [(WEB, "pause")]
        (view,) = live_inbox(site.sessions)
        assert (view.state, view.claimed_by) == ("claimed", "lan")
        # only the officer who claimed it answers
        refused = post(second, f"/staff/inbox/{handoff}/reply", minh, text="Chào anh")
        assert refused.headers["location"].endswith("problem=not_yours")
        page = second.get(f"/staff/inbox/{handoff}", headers=HTML)
        assert "Đã nhận (lan)" in page.text and 'id="send-reply"' not in page.text
        # the citizen's stream on the other replica (or after a restart) has the claim
        post(first, f"/staff/inbox/{handoff}/reply", lan, text="Chào anh")
        events, _ = stream(second)
        assert [(e["kind"], e["text"]) for e in events][1:] == [("text", "Chào anh")]


def test_a_bot_that_cannot_be_paused_leaves_the_conversation_waiting(
    site: StaffSite, upstream: Upstream
) -> None:
    handoff = waiting(site)
    with replica(site, upstream) as client:
        token = signed_in(client, "lan")
        upstream.rasa_failure = 503
        refused = post(client, f"/staff/inbox/{handoff}/claim", token)
        assert refused.headers["location"].endswith("problem=bot")
        assert [v.state for v in live_inbox(site.sessions)] == ["waiting"]
        upstream.rasa_failure = None
        assert post(client, f"/staff/inbox/{handoff}/claim", token).status_code == 303
        assert [v.state for v in live_inbox(site.sessions)] == ["claimed"]


def test_a_whole_handoff_in_the_widget(
    site: StaffSite, upstream: Upstream, knowledge: Knowledge
) -> None:
    handoff = waiting(site)
    with replica(site, upstream, knowledge) as client:
        token = signed_in(client, "lan")
        assert chat(client, text="Còn ai không?")["handoff"] == "waiting"
        assert stream(client) == ([], False)  # in line: nothing from the staff yet
        post(client, f"/staff/inbox/{handoff}/claim", token)

        # while claimed: the citizen's message reaches Rasa (paused: no answer) and the inbox
        said = chat(client, text="Tôi cần hỏi lệ phí khai sinh")
        assert said == {"conversation_id": CLIENT, "messages": [], "handoff": "claimed"}
        assert upstream.rasa.received[-1] == (WEB, "Tôi cần hỏi lệ phí khai sinh")
        page = client.get(f"/staff/inbox/{handoff}", headers=HTML)
        assert "Tôi cần hỏi lệ phí khai sinh" in page.text

        post(
            client,
            f"/staff/inbox/{handoff}/reply",
            token,
            text="Chào chị, đăng ký đúng hạn được miễn lệ phí.",
        )
        post(client, f"/staff/inbox/{handoff}/card", token, code="1.001193", kind="checklist")
        events, ended = stream(client)
        assert [e["kind"] for e in events] == ["claimed", "text", "text"] and not ended
        assert events[0]["text"] == message_text("handoff.claimed", "vi")
        assert events[1] == {
            "id": events[1]["id"],
            "author": "staff",
            "kind": "text",
            "text": "Chào chị, đăng ký đúng hạn được miễn lệ phí.",
        }
        checklist = render(Topic.DOCUMENTS, knowledge.catalogue.get("1.001193"), "vi").text
        assert events[2]["text"].splitlines()[0] == checklist.splitlines()[0]

        # a reconnecting widget gets only what it has not seen
        again, _ = stream(client, **{"Last-Event-ID": str(events[1]["id"])})
        assert [e["id"] for e in again] == [events[2]["id"]]
        resumed, _ = stream(client)  # ?after= works as well (the widget reconnects by itself)
        assert len(resumed) == 3
        after = client.get(
            f"/api/chat/stream?conversation_id={CLIENT}&after={events[2]['id']}"
        ).text
        assert "event: message" not in after

        back = post(client, f"/staff/inbox/{handoff}/return", token)
        assert back.headers["location"] == f"/staff/inbox/{handoff}"
        assert upstream.rasa.tracker_events == [(WEB, "pause"), (WEB, "resume")]
        last, ended = stream(client, **{"Last-Event-ID": str(events[2]["id"])})
        assert [e["kind"] for e in last] == ["returned"] and ended
        # the bot answers again; the conversation is no longer with the staff
        answered = chat(client, text="Làm giấy khai sinh cần gì?")
        assert answered["messages"][0]["text"] == "Bạn muốn hỏi thủ tục nào?"
        assert answered["handoff"] is None
        assert stream(client) == ([], True)

    subject = conversation_subject(site.settings.secret_key.get_secret_value(), WEB)
    steps = [(e.actor, e.action, e.subject) for e in reversed(newest(site.sessions).events)]
    assert [s for s in steps if s[1].startswith("handoff")] == [
        ("lan", "handoff_claim", subject),
        ("lan", "handoff_reply", subject),
        ("lan", "handoff_reply", subject),
        ("lan", "handoff_return", subject),
    ]
    authors = [m.author for m in live_messages(site.sessions, handoff)]
    # the transcript, the turn while in line (the bot still answers), the claim, the turn
    # while claimed (no answer), the replies, the hand-back
    assert authors == [
        *("citizen", "bot", "citizen", "bot", "system"),
        *("citizen", "staff", "staff", "system"),
    ]


def test_closing_a_waiting_conversation_needs_no_resume(
    site: StaffSite, upstream: Upstream
) -> None:
    handoff = waiting(site)
    with replica(site, upstream) as client:
        token = signed_in(client, "minh")
        assert post(client, f"/staff/inbox/{handoff}/close", token).status_code == 303
        assert upstream.rasa.tracker_events == []
        assert live_inbox(site.sessions) == []
        again = post(client, f"/staff/inbox/{handoff}/close", token)
        assert again.headers["location"].endswith("problem=ended")
        events, ended = stream(client, **{"Last-Event-ID": "1"})
        assert [e["kind"] for e in events] == ["closed"] and ended


def test_outside_hours_the_question_and_a_contact_given_with_consent(
    site: StaffSite, upstream: Upstream
) -> None:
    open_live(
        site.sessions,
        conversation_id=WEB,
        channel="web",
        language="vi",
        state="asking",
        step="question",
    )
    with replica(site, upstream) as client:
        asked = chat(client, text="Tôi muốn hỏi về hồ sơ đất đai")
        assert asked["messages"][0]["text"] == message_text("handoff.ask_consent", "vi")
        assert asked["messages"][0]["buttons"][0]["payload"] == CONSENT_YES
        contact = chat(client, payload=CONSENT_YES)
        assert contact["messages"][0]["text"] == message_text("handoff.ask_contact", "vi")
        done = chat(client, text="0912 345 678")
        assert done["messages"][0]["text"] == message_text("handoff.taken_with_contact", "vi")
        assert done["handoff"] == "pending"
        assert upstream.rasa.received == []  # none of it reached the bot
        token = signed_in(client, "lan")
        listed = client.get("/staff/inbox", headers=HTML)
        assert "Câu hỏi ngoài giờ" in listed.text and "…678" in listed.text
        assert "0912 345 678" not in listed.text
        (view,) = live_inbox(site.sessions)
        page = client.get(f"/staff/inbox/{view.id}", headers=HTML)
        assert "0912 345 678" in page.text and "hồ sơ đất đai" in page.text
        assert form_token(page) == token


def test_outside_hours_without_consent_no_contact_is_kept(
    site: StaffSite, upstream: Upstream
) -> None:
    open_live(
        site.sessions,
        conversation_id=WEB,
        channel="web",
        language="en",
        state="asking",
        step="question",
    )
    with replica(site, upstream) as client:
        chat(client, text="Where do I register a birth?")
        done = chat(client, text="no")
        assert done["messages"][0]["text"] == message_text("handoff.taken", "en")
        (view,) = live_inbox(site.sessions)
        assert (view.state, view.contact, view.question) == (
            "pending",
            None,
            "Where do I register a birth?",
        )


# --- Telegram --------------------------------------------------------------------------------


def test_a_whole_handoff_on_telegram(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    site = StaffSite.on(tmp_path)
    site.add_user("lan")
    conversation = f"tg-{CHAT}"

    async def handoff(sender: str) -> list[dict[str, Any]]:
        # what action_handoff does during office hours
        open_live(
            site.sessions,
            conversation_id=sender,
            channel="telegram",
            language="vi",
            state="waiting",
        )
        return [{"text": message_text("handoff.waiting", "vi", minutes=5, hotline="1800 1096")}]

    rasa = FakeRasa(on_handoff=handoff)
    with serve_in_thread(api.app()) as bot_url, serve_in_thread(rasa.app()) as rasa_url:
        settings = site.settings.model_copy(
            update={
                "rasa_url": rasa_url,
                "telegram_token": SecretStr(TOKEN),
                "telegram_base_url": f"{bot_url}/bot",
                "telegram_mode": "webhook",
                "telegram_webhook_secret": SecretStr(SECRET),
            }
        )
        with TestClient(
            create_app(settings, load_knowledge=False), follow_redirects=False
        ) as client:

            def update(text: str) -> None:
                sent = client.post(
                    "/telegram/webhook",
                    json=text_update(CHAT, text),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                assert sent.status_code == 200

            def texts(count: int) -> list[str]:
                return [c.params["text"] for c in api.wait_for(count)]

            update("Cho tôi gặp cán bộ")
            assert texts(1)[0].startswith("Tôi đã chuyển cuộc trò chuyện tới cán bộ")
            (view,) = live_inbox(site.sessions)
            token = signed_in(client, "lan")
            post(client, f"/staff/inbox/{view.id}/claim", token)
            assert rasa.tracker_events == [(conversation, "pause")]
            assert texts(2)[1] == message_text("handoff.claimed", "vi")

            update("Cho hỏi làm khai sinh ở đâu?")  # paused: the bot stays silent
            reply = "Chị làm tại UBND phường nhé. Cần thì gọi 1800 1096, đừng gửi 0912 345 678."
            post(client, f"/staff/inbox/{view.id}/reply", token, text=reply)
            # the hotline is public and stays; a personal number is hidden even from staff
            assert texts(3)[2] == (
                "Chị làm tại UBND phường nhé. Cần thì gọi 1800 1096, đừng gửi ***."
            )
            assert all(c.params["chat_id"] == str(CHAT) for c in api.sent())
            transcript = [m.text for m in live_messages(site.sessions, view.id)]
            assert "Cho hỏi làm khai sinh ở đâu?" in transcript

            post(client, f"/staff/inbox/{view.id}/return", token)
            assert rasa.tracker_events[-1] == (conversation, "resume")
            assert texts(4)[3] == message_text("handoff.returned", "vi")
            update("Làm giấy khai sinh cần gì?")
            assert texts(5)[4] == "Bạn muốn hỏi thủ tục nào?"
            assert (conversation, "Cho hỏi làm khai sinh ở đâu?") in rasa.received
    site.close()


# --- Zalo ------------------------------------------------------------------------------------


def test_staff_messages_reach_a_zalo_user(tmp_path: Path) -> None:
    from tests.connectors.fake_zalo import FakeZalo, text_event
    from tests.connectors.test_zalo import (
        APP_ID,
        APP_SECRET,
        ENV_ACCESS,
        ENV_REFRESH,
        USER,
        send,
        zalo_settings,
    )

    fake = FakeZalo(APP_ID, APP_SECRET, tokens={ENV_ACCESS}, refresh_tokens={ENV_REFRESH})
    site = StaffSite.on(tmp_path)
    site.add_user("lan")
    rasa = FakeRasa()
    with serve_in_thread(fake.app()) as zalo_url, serve_in_thread(rasa.app()) as rasa_url:
        settings = zalo_settings(tmp_path, zalo_url, rasa_url)
        with TestClient(
            create_app(settings, load_knowledge=False), follow_redirects=False
        ) as client:
            send(client, text_event(APP_ID, USER, "Làm giấy khai sinh cần gì?"))
            fake.wait_for(1)  # answered: the user is inside the reply window
            view, _ = open_live(
                site.sessions,
                conversation_id=f"zl-{USER}",
                channel="zalo",
                language="vi",
                state="waiting",
            )
            token = signed_in(client, "lan")
            post(client, f"/staff/inbox/{view.id}/claim", token)
            post(
                client,
                f"/staff/inbox/{view.id}/reply",
                token,
                text="Chào anh, tôi là cán bộ phường.",
            )
            sent = fake.wait_for(3)
            assert [c.body["message"]["text"] for c in sent[1:]] == [
                message_text("handoff.claimed", "vi"),
                "Chào anh, tôi là cán bộ phường.",
            ]
            assert all(c.body["recipient"] == {"user_id": USER} for c in sent)
            assert rasa.tracker_events == [(f"zl-{USER}", "pause")]
    site.close()


def test_a_reply_a_stopped_gateway_left_unsent_is_sent_after_the_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handoff_store, "DELIVERY_GRACE", timedelta(0))
    api = FakeBotApi(TOKEN)
    site = StaffSite.on(tmp_path, handoff_redelivery_seconds=0.1)
    site.add_user("lan")
    view, _ = open_live(
        site.sessions,
        conversation_id=f"tg-{CHAT}",
        channel="telegram",
        language="vi",
        state="waiting",
    )
    secret = site.settings.secret_key.get_secret_value()
    # the gateway stored the claim and a reply, then stopped before sending them
    claim_live(site.sessions, view.id, actor="lan", secret=secret, notice="Cán bộ đã nhận.")
    staff_reply(site.sessions, view.id, actor="lan", secret=secret, text="Chào chị.")
    with serve_in_thread(api.app()) as bot_url:
        settings = site.settings.model_copy(
            update={"telegram_token": SecretStr(TOKEN), "telegram_base_url": f"{bot_url}/bot"}
        )
        with TestClient(create_app(settings, load_knowledge=False, watch_catalogue=False)):
            sent = [c.params["text"] for c in api.wait_for(2)]

            def states() -> list[tuple[str, int]]:
                with site.engine.connect() as connection:
                    rows = connection.execute(
                        sql_text("SELECT delivery, tries FROM handoff_messages ORDER BY id")
                    ).all()
                return [(row[0], row[1]) for row in rows]

            deadline = time.monotonic() + 10
            while states() != [("sent", 1), ("sent", 1)] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert states() == [("sent", 1), ("sent", 1)]
    assert sent == ["Cán bộ đã nhận.", "Chào chị."]
    assert api.sent()[0].params["chat_id"] == str(CHAT)
    site.close()


# --- Messenger -------------------------------------------------------------------------------


def test_staff_messages_reach_a_messenger_user_with_the_human_agent_tag(tmp_path: Path) -> None:
    from tests.connectors.fake_graph import FakeGraph, text_event
    from tests.connectors.test_messenger import APP_SECRET, PSID, deliver, messenger_settings
    from tests.connectors.test_messenger import TOKEN as PAGE_TOKEN

    graph = FakeGraph(PAGE_TOKEN, APP_SECRET)
    site = StaffSite.on(tmp_path)
    site.add_user("lan")
    rasa = FakeRasa()
    with serve_in_thread(graph.app()) as graph_url, serve_in_thread(rasa.app()) as rasa_url:
        settings = messenger_settings(tmp_path, graph_url, rasa_url)
        with TestClient(
            create_app(settings, load_knowledge=False), follow_redirects=False
        ) as client:
            deliver(client, text_event(PSID, "Làm giấy khai sinh cần gì?"))
            graph.wait_for(1)
            view, _ = open_live(
                site.sessions,
                conversation_id=f"fb-{PSID}",
                channel="messenger",
                language="vi",
                state="waiting",
            )
            token = signed_in(client, "lan")
            post(client, f"/staff/inbox/{view.id}/claim", token)
            post(client, f"/staff/inbox/{view.id}/reply", token, text="Chào anh.")
            post(client, f"/staff/inbox/{view.id}/return", token)
            sent = graph.wait_for(4)
    staff = [call.body for call in sent[1:]]
    assert [body["message"]["text"] for body in staff] == [
        message_text("handoff.claimed", "vi"),
        "Chào anh.",
        message_text("handoff.returned", "vi"),
    ]
    assert all(body["recipient"] == {"id": PSID} for body in staff)
    assert all(body.get("tag") == "HUMAN_AGENT" for body in staff)
    assert rasa.tracker_events == [(f"fb-{PSID}", "pause"), (f"fb-{PSID}", "resume")]
    site.close()
