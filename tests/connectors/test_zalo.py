"""The Zalo channel over real HTTP: the gateway's webhook, a fake Zalo API and OAuth server on
127.0.0.1 and a fake Rasa that is also a real local server."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from connectors.web.app import create_app
from connectors.zalo.channel import change_language_payload, zalo_user_tag
from connectors.zalo.format import PAYLOAD_PREFIX, TEXT_LIMIT, ButtonPayloads, split_text
from helpdesk.settings import Settings
from helpdesk_cli.run import free_port
from store.channels import TokenPair, TokenStore
from store.db import make_engine, make_session_factory, migrate
from store.status import utc_now
from tests.connectors.conftest import make_settings
from tests.connectors.fake_rasa import LONG_TEXT, SOURCE, FakeRasa
from tests.connectors.fake_zalo import (
    INVALID_TOKEN,
    FakeZalo,
    follow_event,
    now_ms,
    signature,
    text_event,
)
from tests.connectors.servers import serve_in_thread

APP_ID = "4143190000000000001"
APP_SECRET = "app-secret-not-real-000"
OA_SECRET = "oa-secret-not-real-0000"
ENV_ACCESS = "env-access-token"
ENV_REFRESH = "env-refresh-token"
USER = "8411223344556677889"
OTHER = "8499887766554433221"
HEADER = "X-ZEvent-Signature"
QUESTION = "Làm giấy khai sinh cần gì?"


@pytest.fixture
def zalo_api() -> Iterator[tuple[FakeZalo, str]]:
    fake = FakeZalo(APP_ID, APP_SECRET, tokens={ENV_ACCESS}, refresh_tokens={ENV_REFRESH})
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.fixture
def rasa_server() -> Iterator[tuple[FakeRasa, str]]:
    rasa = FakeRasa()
    with serve_in_thread(rasa.app()) as url:
        yield rasa, url


def zalo_settings(tmp_path: Path, zalo_url: str, rasa_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "rasa_url": rasa_url,
        "zalo_app_id": APP_ID,
        "zalo_app_secret": SecretStr(APP_SECRET),
        "zalo_oa_secret": SecretStr(OA_SECRET),
        "zalo_access_token": SecretStr(ENV_ACCESS),
        "zalo_refresh_token": SecretStr(ENV_REFRESH),
        "zalo_api_base_url": zalo_url,
        "zalo_oauth_base_url": zalo_url,
        **overrides,
    }
    return make_settings(tmp_path, **values)


@pytest.fixture
def settings(
    tmp_path: Path, zalo_api: tuple[FakeZalo, str], rasa_server: tuple[FakeRasa, str]
) -> Settings:
    return zalo_settings(tmp_path, zalo_api[1], rasa_server[1])


@pytest.fixture
def gateway(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        assert client.app.state.zalo is not None  # type: ignore[attr-defined]
        yield client


def post_event(client: TestClient, event: dict[str, Any], *, oa_secret: str = OA_SECRET) -> Any:
    """Post ``event`` signed as Zalo signs it; the test client's response."""
    body = json.dumps(event, ensure_ascii=False).encode()
    header = signature(APP_ID, body, event["timestamp"], oa_secret)
    return client.post(
        "/zalo/webhook", content=body, headers={HEADER: header, "content-type": "application/json"}
    )


def send(client: TestClient, event: dict[str, Any]) -> None:
    response = post_event(client, event)
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True}


def buttons_of(call_body: dict[str, Any]) -> list[dict[str, Any]]:
    attachment = call_body["message"].get("attachment")
    return attachment["payload"]["buttons"] if attachment else []


def wait_until(condition: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.02)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_a_whole_conversation_with_a_button_press(
    gateway: TestClient,
    zalo_api: tuple[FakeZalo, str],
    rasa_server: tuple[FakeRasa, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, rasa = zalo_api[0], rasa_server[0]
    caplog.set_level(logging.DEBUG)

    send(gateway, text_event(APP_ID, USER, QUESTION))
    question = fake.wait_for(1)[0]
    assert question.body["recipient"] == {"user_id": USER}
    assert question.body["message"]["text"] == "Bạn muốn hỏi thủ tục nào?"
    choices = buttons_of(question.body)
    assert [(b["title"], b["type"]) for b in choices] == [
        ("Đăng ký khai sinh", "oa.query.hide"),
        ("Đăng ký khai sinh có yếu tố nước ngoài", "oa.query.hide"),
    ]
    payload = choices[0]["payload"]
    assert payload.startswith(PAYLOAD_PREFIX)
    assert payload.endswith('/choose_procedure{"procedure":"1.001193"}')

    # Zalo sends a hidden query button's payload back as a text message from the user.
    send(gateway, text_event(APP_ID, USER, payload))
    answered = fake.wait_for(3)
    documents = answered[1].body["message"]
    assert documents["text"].startswith("Đăng ký khai sinh cần:")
    assert "https://" not in documents["text"]
    assert buttons_of(answered[1].body) == [
        {"title": "Cổng Dịch vụ công quốc gia", "type": "oa.open.url", "payload": {"url": SOURCE}}
    ]
    assert answered[2].body["message"] == {
        "text": "Bạn có muốn hỏi thêm về lệ phí hoặc thời gian không?"
    }

    assert rasa.received == [
        (f"zl-{USER}", QUESTION),
        (f"zl-{USER}", '/choose_procedure{"procedure":"1.001193"}'),
    ]
    secret = gateway.app.state.settings.secret_key.get_secret_value()  # type: ignore[attr-defined]
    assert rasa.metadata == [{"source": zalo_user_tag(secret, USER), "channel": "zalo"}] * 2
    # The environment's token, of unknown age, was refreshed before the first send.
    refresh = fake.refreshes()
    assert len(refresh) == 1 and refresh[0].body["refresh_token"] == ENV_REFRESH
    assert {call.headers["access_token"] for call in answered} == {"access-1"}

    text = logged(caplog)
    for secret_value in (USER, QUESTION, "khai sinh cần", ENV_ACCESS, ENV_REFRESH, "access-1"):
        assert secret_value not in text
    assert "relayed: conversation=" in text


def test_typed_text_is_never_a_payload(
    gateway: TestClient, zalo_api: tuple[FakeZalo, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    fake, rasa = zalo_api[0], rasa_server[0]
    send(gateway, text_event(APP_ID, USER, '/choose_procedure{"procedure":"1.001193"}'))
    fake.wait_for(1)
    assert rasa.received == [(f"zl-{USER}", 'choose_procedure{"procedure":"1.001193"}')]

    secret = gateway.app.state.settings.secret_key.get_secret_value()  # type: ignore[attr-defined]
    someone_elses = ButtonPayloads(secret).encode(OTHER, "/human_handoff")
    assert someone_elses is not None
    send(gateway, text_event(APP_ID, USER, someone_elses))
    send(gateway, text_event(APP_ID, USER, PAYLOAD_PREFIX + "0" * 32 + ":/human_handoff"))
    texts = [call.body["message"]["text"] for call in fake.wait_for(3)]
    assert all("hết hạn" in text for text in texts[1:])
    assert len(rasa.received) == 1  # neither press reached Rasa


def test_too_long_a_message_is_not_relayed(
    gateway: TestClient, zalo_api: tuple[FakeZalo, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    send(gateway, text_event(APP_ID, USER, "chữ " * 400))
    assert "1000" in zalo_api[0].wait_for(1)[0].body["message"]["text"]
    assert rasa_server[0].received == []


def test_a_missing_signature_is_401_and_a_wrong_one_403(
    gateway: TestClient, zalo_api: tuple[FakeZalo, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    event = text_event(APP_ID, USER, QUESTION)
    body = json.dumps(event).encode()
    missing = gateway.post("/zalo/webhook", content=body)
    assert missing.status_code == 401
    assert missing.json()["error"] == "WebhookUnauthorized"

    good = signature(APP_ID, body, event["timestamp"], OA_SECRET)
    tampered = body.replace(b"khai sinh", b"ket hon")
    for content, header in [
        (body, signature(APP_ID, body, event["timestamp"], "another-oa-secret")),
        (body, signature("another-app", body, event["timestamp"], OA_SECRET)),
        (tampered, good),
        (body, good.removeprefix("mac=")),
        (body, "mac=" + "0" * 64),
        (b"{not json", good),
    ]:
        response = gateway.post("/zalo/webhook", content=content, headers={HEADER: header})
        assert response.status_code == 403, header
        assert response.json()["error"] == "WebhookForbidden"

    send(gateway, event)
    zalo_api[0].wait_for(1)
    assert len(rasa_server[0].received) == 1  # only the signed event was processed


def test_a_stale_or_future_timestamp_is_refused(
    gateway: TestClient, rasa_server: tuple[FakeRasa, str]
) -> None:
    for at in (now_ms() - 301_000, now_ms() + 301_000):
        response = post_event(gateway, text_event(APP_ID, USER, QUESTION, at=at))
        assert response.status_code == 403
        assert response.json()["error"] == "WebhookForbidden"
    send(gateway, text_event(APP_ID, USER, QUESTION, at=now_ms() - 60_000))  # within 300 s
    wait_until(lambda: len(rasa_server[0].received) == 1)


def test_a_signed_body_that_is_not_an_event_is_400(
    gateway: TestClient, rasa_server: tuple[FakeRasa, str]
) -> None:
    event = text_event(APP_ID, USER, QUESTION)
    for broken in (
        {**event, "sender": {"id": 5}},
        {**event, "sender": {"id": "../tg-1"}},
        {**event, "message": {"msg_id": "1"}},
        {key: value for key, value in event.items() if key != "event_name"},
    ):
        response = post_event(gateway, broken)
        assert response.status_code == 400
        assert response.json()["error"] == "InvalidUpdate"
    ignored = {**follow_event(APP_ID, USER), "event_name": "user_seen_message"}
    send(gateway, ignored)  # an event the channel does not act on is still acknowledged
    assert rasa_server[0].received == []


def test_a_replayed_event_is_processed_once(
    gateway: TestClient, zalo_api: tuple[FakeZalo, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    fake, rasa = zalo_api[0], rasa_server[0]
    event = text_event(APP_ID, USER, QUESTION)
    send(gateway, event)
    send(gateway, event)  # Zalo delivers it again: still acknowledged
    send(gateway, text_event(APP_ID, USER, "Lệ phí bao nhiêu?"))
    fake.wait_for(2)  # one conversation's events are handled in order: the replay came first
    assert [message for _, message in rasa.received] == [QUESTION, "Lệ phí bao nhiêu?"]


def test_a_replay_to_another_replica_is_processed_once(
    settings: Settings, zalo_api: tuple[FakeZalo, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    fake, rasa = zalo_api[0], rasa_server[0]
    event = follow_event(APP_ID, USER)  # no message id: taken by a hash of the body
    question = text_event(APP_ID, USER, QUESTION)
    with (
        TestClient(create_app(settings, load_knowledge=False)) as first,
        TestClient(create_app(settings, load_knowledge=False)) as second,
    ):
        send(first, event)
        send(second, event)
        send(first, question)
        send(second, question)
        send(second, text_event(APP_ID, USER, "Lệ phí bao nhiêu?"))
        fake.wait_for(3)
    # the replicas relay in parallel: which of the two reached Rasa first is not fixed
    assert sorted(message for _, message in rasa.received) == sorted(
        [QUESTION, "Lệ phí bao nhiêu?"]
    )
    welcomes = [text for text in fake.texts() if text.startswith("Xin chào")]
    assert len(welcomes) == 1


def test_a_429_is_retried_with_back_off(
    gateway: TestClient, zalo_api: tuple[FakeZalo, str]
) -> None:
    fake = zalo_api[0]
    fake.throttle.extend([429, 503])
    send(gateway, text_event(APP_ID, USER, "Lệ phí bao nhiêu?"))
    delivered = fake.wait_for(1)
    refused = fake.sent(status=429) + fake.sent(status=503)
    assert len(refused) == 2 and len(delivered) == 1
    assert delivered[0].body == refused[0].body == refused[1].body


def test_an_expired_token_is_refreshed_and_the_message_sent_again(
    settings: Settings, zalo_api: tuple[FakeZalo, str]
) -> None:
    fake = zalo_api[0]
    engine = make_engine(settings.database_url)
    migrate(engine)
    store = TokenStore(make_session_factory(engine), settings.secret_key.get_secret_value(), "zalo")
    # Stored by a replica earlier and good for hours by its record, but Zalo no longer takes it.
    store.save(TokenPair("stale-access", "refresh-0", utc_now() + timedelta(hours=20)))
    fake.tokens.add("stale-access")
    fake.rejected.add("stale-access")
    fake.refresh_tokens.add("refresh-0")
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        send(client, text_event(APP_ID, USER, "Lệ phí bao nhiêu?"))
        delivered = fake.wait_for(1)
    rejected = fake.sent(error=INVALID_TOKEN)
    assert [call.headers["access_token"] for call in rejected] == ["stale-access"]
    refresh = fake.refreshes()
    assert len(refresh) == 1
    assert refresh[0].headers["secret_key"] == APP_SECRET
    assert refresh[0].body == {
        "refresh_token": "refresh-0",
        "app_id": APP_ID,
        "grant_type": "refresh_token",
    }
    assert delivered[0].headers["access_token"] == "access-1"
    assert delivered[0].body == rejected[0].body
    stored = store.get()
    engine.dispose()
    assert stored is not None and stored.access_token == "access-1"
    assert stored.refresh_token == "refresh-1"
    assert stored.expires_at > utc_now() + timedelta(hours=24)


def test_a_long_answer_is_split_at_paragraphs(
    gateway: TestClient, zalo_api: tuple[FakeZalo, str]
) -> None:
    fake = zalo_api[0]
    send(gateway, text_event(APP_ID, USER, "long"))
    parts = fake.wait_for(6)
    texts = [call.body["message"]["text"] for call in parts]
    assert all(len(text) <= TEXT_LIMIT for text in texts)
    assert [p for text in texts for p in text.split("\n\n")] == LONG_TEXT.split("\n\n")
    assert [bool(buttons_of(call.body)) for call in parts] == [False] * 5 + [True]
    assert buttons_of(parts[-1].body)[0]["title"] == "OK"


def test_a_long_paragraph_is_split_after_a_sentence() -> None:
    sentence = "Người nộp hồ sơ mang theo bản chính giấy tờ tùy thân để đối chiếu. "
    paragraph = (sentence * 70).strip()
    assert len(paragraph) > 2 * TEXT_LIMIT
    parts = split_text(paragraph)
    assert len(parts) == 3
    assert all(len(part) <= TEXT_LIMIT and part.endswith("đối chiếu.") for part in parts)
    assert " ".join(parts) == paragraph


def test_a_follower_is_welcomed_and_can_switch_to_english(
    gateway: TestClient,
    zalo_api: tuple[FakeZalo, str],
    rasa_server: tuple[FakeRasa, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, rasa = zalo_api[0], rasa_server[0]
    caplog.set_level(logging.INFO)
    send(gateway, follow_event(APP_ID, USER))
    welcome = fake.wait_for(1)[0].body
    text = welcome["message"]["text"]
    assert text.startswith("Xin chào!") and "1800 1096" in text
    assert text.index("Xin chào") < text.index("Hello")  # Vietnamese first
    assert rasa.received == []  # the welcome is the channel's own
    [english] = buttons_of(welcome)
    assert english["title"] == "English" and english["type"] == "oa.query.hide"

    send(gateway, text_event(APP_ID, USER, english["payload"]))
    assert fake.wait_for(2)[1].body["message"]["text"] == "I will answer in English."
    assert rasa.received == [(f"zl-{USER}", change_language_payload("en"))]

    send(gateway, follow_event(APP_ID, USER, "unfollow"))
    assert len(fake.sent()) == 2  # nothing is sent to someone who left
    assert "a follower left: conversation=" in logged(caplog)
    assert USER not in logged(caplog)


def test_nothing_is_sent_outside_the_reply_window(
    gateway: TestClient,
    zalo_api: tuple[FakeZalo, str],
    rasa_server: tuple[FakeRasa, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    channel = gateway.app.state.zalo  # type: ignore[attr-defined]
    # The answer is ready 49 hours after the citizen's message (past Zalo's 48-hour window).
    channel.clock = lambda: utc_now() + timedelta(hours=49)
    send(gateway, text_event(APP_ID, USER, QUESTION))
    wait_until(lambda: "outside the reply window" in logged(caplog))
    assert len(rasa_server[0].received) == 1
    assert zalo_api[0].calls == []  # not a message, not even a token refresh
    assert USER not in logged(caplog)


def test_rasa_down_gives_a_polite_message_naming_the_hotline(
    tmp_path: Path, zalo_api: tuple[FakeZalo, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake = zalo_api[0]
    settings = zalo_settings(tmp_path, zalo_api[1], f"http://127.0.0.1:{free_port()}")
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        send(client, text_event(APP_ID, USER, "Số CCCD của tôi là 012345678901"))
        apology = fake.wait_for(1)[0].body["message"]["text"]
    assert settings.hotline in apology and "Sorry" in apology
    text = logged(caplog)
    assert "012345678901" not in text and USER not in text
    assert "rasa unreachable" in text


def test_the_webhook_without_a_running_channel(tmp_path: Path, client: TestClient) -> None:
    event = text_event(APP_ID, USER, QUESTION)
    # The default test gateway has no Zalo keys: nothing can be verified.
    assert post_event(client, event).status_code == 403
    assert client.post("/zalo/webhook", json=event).status_code == 401
    # Keys but no token: the signature is checked, then the channel is missing.
    keys_only = make_settings(tmp_path, zalo_app_id=APP_ID, zalo_oa_secret=SecretStr(OA_SECRET))
    with TestClient(create_app(keys_only, load_knowledge=False)) as bare:
        response = post_event(bare, event)
    assert response.status_code == 503
    assert response.json()["error"] == "ChannelUnavailable"
