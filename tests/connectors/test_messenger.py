"""The Messenger channel over real HTTP: the gateway's webhook, signed like Graph signs it, and
the Send API as a fake Graph server on 127.0.0.1, relaying to a fake Rasa that is also a real
local server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from connectors.messenger import graph as graph_module
from connectors.messenger.channel import Delivery, MessengerChannel, messenger_user_tag
from connectors.messenger.cli import messenger_app
from connectors.messenger.format import (
    TEXT_LIMIT,
    PayloadCodec,
    outgoing,
    split_text,
)
from connectors.rasa_client import BotMessage, Button, Link
from connectors.web.app import create_app
from helpdesk.settings import Settings, get_settings
from helpdesk_cli.run import free_port
from store.status import utc_now
from tests.connectors.conftest import make_settings
from tests.connectors.fake_graph import (
    APP_LIMIT,
    INVALID_TOKEN,
    OUTSIDE_WINDOW,
    RATE_LIMITED,
    FakeGraph,
    echo_event,
    now_ms,
    page_call,
    postback_event,
    quick_reply_event,
    receipt_events,
    signature,
    text_event,
)
from tests.connectors.fake_rasa import LONG_TEXT, RECORD, SOURCE, FakeRasa
from tests.connectors.servers import serve_in_thread

TOKEN = "EAAGtestPageToken0123456789"
APP_SECRET = "app-secret-0123456789abcdef"
VERIFY = "verify-Token_0123456789"
PSID = "2411000000000001"
OTHER = "2411000000000002"
HEADER = "X-Hub-Signature-256"


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    fake = FakeGraph(TOKEN, APP_SECRET)
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.fixture
def rasa_server() -> Iterator[tuple[FakeRasa, str]]:
    rasa = FakeRasa()
    with serve_in_thread(rasa.app()) as url:
        yield rasa, url


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_module, "RETRY_BASE_SECONDS", 0.01)


def messenger_settings(tmp_path: Path, graph_url: str, rasa_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "rasa_url": rasa_url,
        "messenger_page_token": SecretStr(TOKEN),
        "messenger_app_secret": SecretStr(APP_SECRET),
        "messenger_verify_token": SecretStr(VERIFY),
        "messenger_graph_base_url": graph_url,
        **overrides,
    }
    return make_settings(tmp_path, **values)


@pytest.fixture
def settings(
    tmp_path: Path, graph: tuple[FakeGraph, str], rasa_server: tuple[FakeRasa, str]
) -> Settings:
    return messenger_settings(tmp_path, graph[1], rasa_server[1])


@pytest.fixture
def webhook(settings: Settings) -> Iterator[TestClient]:
    """The gateway with the Messenger channel, talking to the fake Graph and the fake Rasa."""
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        assert client.app.state.messenger is not None  # type: ignore[attr-defined]
        yield client


def channel_of(client: TestClient) -> MessengerChannel:
    channel: MessengerChannel = client.app.state.messenger  # type: ignore[attr-defined]
    return channel


def post_events(client: TestClient, *events: dict[str, Any], secret: str = APP_SECRET) -> Any:
    body = json.dumps(page_call(*events)).encode()
    return client.post(
        "/messenger/webhook",
        content=body,
        headers={HEADER: signature(body, secret), "Content-Type": "application/json"},
    )


def deliver(client: TestClient, *events: dict[str, Any]) -> None:
    response = post_events(client, *events)
    assert response.status_code == 200, response.text


def signed(client: TestClient, payload: str) -> str:
    data = channel_of(client).payloads.encode(payload)
    assert data is not None
    return data


def texts(api: FakeGraph) -> list[str]:
    return [m.get("text") or m["attachment"]["payload"]["text"] for m in api.messages()]


def test_the_subscribe_handshake(webhook: TestClient) -> None:
    def handshake(mode: str, token: str) -> Any:
        params = {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444"}
        return webhook.get("/messenger/webhook", params=params)

    answer = handshake("subscribe", VERIFY)
    assert answer.status_code == 200
    assert answer.text == "1158201444"
    assert answer.headers["content-type"].startswith("text/plain")
    wrong = handshake("subscribe", VERIFY + "x")
    assert wrong.status_code == 403 and wrong.json()["error"] == "WebhookForbidden"
    assert handshake("unsubscribe", VERIFY).status_code == 403
    assert webhook.get("/messenger/webhook").status_code == 403
    odd = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "<b>x</b>"}
    assert webhook.get("/messenger/webhook", params=odd).status_code == 400


def test_a_whole_conversation(
    webhook: TestClient,
    graph: tuple[FakeGraph, str],
    rasa_server: tuple[FakeRasa, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, rasa = graph[0], rasa_server[0]
    caplog.set_level(logging.DEBUG)

    deliver(webhook, text_event(PSID, "Làm giấy khai sinh cần gì?"))
    question = api.wait_for(1)[0].body
    assert question["recipient"] == {"id": PSID} and question["messaging_type"] == "RESPONSE"
    # a title over 20 characters: the choices are numbered, their full titles in the text
    assert question["message"]["text"] == (
        "Bạn muốn hỏi thủ tục nào?\n\n1. Đăng ký khai sinh\n"
        "2. Đăng ký khai sinh có yếu tố nước ngoài"
    )
    replies = question["message"]["quick_replies"]
    assert [r["title"] for r in replies] == ["1. Đăng ký khai sinh", "2. Đăng ký khai…"]
    assert all(len(r["title"]) <= 20 and r["content_type"] == "text" for r in replies)
    payload = replies[0]["payload"]
    assert payload.endswith('/choose_procedure{"procedure":"1.001193"}') and payload != (
        '/choose_procedure{"procedure":"1.001193"}'
    )

    deliver(webhook, quick_reply_event(PSID, replies[0]["title"], payload))
    answer, follow_up = (call.body["message"] for call in api.wait_for(3)[1:])
    template = answer["attachment"]["payload"]
    assert template["template_type"] == "button"
    assert template["text"].startswith("Đăng ký khai sinh cần:")
    # the source opens from a button; Messenger shows 20 characters of its title
    assert template["buttons"] == [
        {"type": "web_url", "url": SOURCE, "title": "Cổng Dịch vụ công…"}
    ]
    assert follow_up == {"text": "Bạn có muốn hỏi thêm về lệ phí hoặc thời gian không?"}

    # the persistent menu's "Tra cứu hồ sơ" is a postback
    deliver(webhook, postback_event(PSID, "Tra cứu hồ sơ", signed(webhook, "/check_record_status")))
    assert "mã hồ sơ" in api.wait_for(4)[3].body["message"]["text"]
    deliver(webhook, text_event(PSID, RECORD))
    assert "4 số cuối" in api.wait_for(5)[4].body["message"]["text"]
    deliver(webhook, text_event(PSID, "1234"))
    assert "đang được giải quyết" in api.wait_for(6)[5].body["message"]["text"]

    conversation = f"fb-{PSID}"
    assert rasa.received == [
        (conversation, "Làm giấy khai sinh cần gì?"),
        (conversation, '/choose_procedure{"procedure":"1.001193"}'),
        (conversation, "/check_record_status"),
        (conversation, RECORD),
        (conversation, "1234"),
    ]
    secret = webhook.app.state.settings.secret_key.get_secret_value()  # type: ignore[attr-defined]
    source = messenger_user_tag(secret, PSID)
    assert rasa.metadata == [{"source": source, "channel": "messenger"}] * 5
    # the token is a header, never in a URL; each call proves the app secret
    call = api.of()[0]
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in json.dumps(call.query) and "appsecret_proof" in call.query
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for private in (PSID, "khai sinh", RECORD, TOKEN, APP_SECRET):
        assert private not in logged


def test_a_typing_indicator_comes_before_the_answer(
    webhook: TestClient, graph: tuple[FakeGraph, str]
) -> None:
    api = graph[0]
    deliver(webhook, text_event(PSID, "Xin chào"))
    api.wait_for(1)
    typing = api.of("sender_action")
    assert [call.body for call in typing] == [
        {"recipient": {"id": PSID}, "sender_action": "typing_on"}
    ]
    assert api.calls.index(typing[0]) < api.calls.index(api.of()[0])


def test_echoes_and_receipts_are_left_alone(
    webhook: TestClient, graph: tuple[FakeGraph, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    api = graph[0]
    deliver(webhook, echo_event(PSID, "Xin chào"), *receipt_events(PSID))
    deliver(webhook, text_event(PSID, "Xin chào"))  # answered after the ones before it
    api.wait_for(1)
    assert len(api.of()) == 1 and len(rasa_server[0].received) == 1


def test_a_signature_is_required_on_every_call(
    webhook: TestClient, graph: tuple[FakeGraph, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    body = json.dumps(page_call(text_event(PSID, "Xin chào"))).encode()
    missing = webhook.post("/messenger/webhook", content=body)
    assert missing.status_code == 401 and missing.json()["error"] == "WebhookUnauthorized"
    wrong = post_events(webhook, text_event(PSID, "Xin chào"), secret=APP_SECRET + "x")
    assert wrong.status_code == 403 and wrong.json()["error"] == "WebhookForbidden"
    not_hex = webhook.post("/messenger/webhook", content=body, headers={HEADER: "sha1=abc"})
    assert not_hex.status_code == 403
    # a body changed after signing
    tampered = webhook.post(
        "/messenger/webhook",
        content=body.replace(b"Xin", b"Xim"),
        headers={HEADER: signature(body, APP_SECRET)},
    )
    assert tampered.status_code == 403
    deliver(webhook, text_event(PSID, "Xin chào"))
    graph[0].wait_for(1)
    assert rasa_server[0].received == [(f"fb-{PSID}", "Xin chào")]  # only the signed call


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"object": "user", "entry": []}', b"{"])
def test_a_body_that_is_not_a_page_call_is_refused(webhook: TestClient, body: bytes) -> None:
    response = webhook.post(
        "/messenger/webhook", content=body, headers={HEADER: signature(body, APP_SECRET)}
    )
    assert response.status_code == 400 and response.json()["error"] == "InvalidUpdate"


def test_without_the_channel_a_signed_call_is_a_503(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, messenger_app_secret=SecretStr(APP_SECRET))
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        assert client.app.state.messenger is None  # type: ignore[attr-defined]
        response = post_events(client, text_event(PSID, "Xin chào"))
    assert response.status_code == 503 and response.json()["error"] == "ChannelUnavailable"


def test_a_replayed_event_is_answered_once_even_across_gateways(
    settings: Settings, graph: tuple[FakeGraph, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    api, rasa = graph[0], rasa_server[0]
    event = text_event(PSID, "Xin chào")
    # two gateways (replicas) on one database
    with (
        TestClient(create_app(settings, load_knowledge=False)) as first,
        TestClient(create_app(settings, load_knowledge=False)) as second,
    ):
        deliver(first, event)
        deliver(first, event)  # Graph delivers again when an answer is slow
        deliver(second, event)  # ... and may reach another replica
        # a later message of the conversation is handled after the ones before it
        deliver(first, text_event(PSID, "lần hai"))
        deliver(second, text_event(PSID, "lần ba"))
        api.wait_for(3)
    assert sorted(message for _, message in rasa.received) == ["Xin chào", "lần ba", "lần hai"]
    assert len(api.of()) == 3


def test_a_rate_limited_send_is_retried(webhook: TestClient, graph: tuple[FakeGraph, str]) -> None:
    api = graph[0]
    api.failures["message"] = [RATE_LIMITED, APP_LIMIT]
    deliver(webhook, text_event(PSID, "Xin chào"))
    delivered = api.wait_for(1)
    refused = [c for c in api.calls if c.kind == "message" and c.status != 200]
    assert [c.status for c in refused] == [429, 400]
    assert refused[0].body == refused[1].body == delivered[0].body


@pytest.mark.parametrize(
    ("failure", "logged"),
    [
        (INVALID_TOKEN, "renew HELPDESK_MESSENGER_PAGE_TOKEN"),
        (OUTSIDE_WINDOW, "the window is closed"),
    ],
)
def test_a_refusal_that_waiting_cannot_cure_is_not_retried(
    webhook: TestClient,
    graph: tuple[FakeGraph, str],
    caplog: pytest.LogCaptureFixture,
    failure: tuple[int, dict[str, Any]],
    logged: str,
) -> None:
    api = graph[0]
    api.failures["message"] = [failure]
    deliver(webhook, text_event(PSID, "Xin chào"))
    deliver(webhook, text_event(PSID, "Xin chào lần nữa"))  # handled after the first
    api.wait_for(1)
    assert len([c for c in api.calls if c.kind == "message"]) == 2  # one try each
    assert logged in caplog.text and TOKEN not in caplog.text


def test_a_long_answer_is_split(webhook: TestClient, graph: tuple[FakeGraph, str]) -> None:
    api = graph[0]
    deliver(webhook, text_event(PSID, "long"))
    deliver(webhook, text_event(PSID, "Xin chào"))  # answered after every part
    sent = api.wait_for(7)
    parts = [call.body["message"] for call in sent[:6]]
    assert all(len(part["text"]) <= TEXT_LIMIT for part in parts)
    paragraphs = [p for part in parts for p in part["text"].split("\n\n")]
    assert paragraphs == LONG_TEXT.split("\n\n")  # every cut fell between paragraphs
    assert ["quick_replies" in part for part in parts] == [False] * 5 + [True]
    assert parts[-1]["quick_replies"][0]["title"] == "OK"


def test_a_paragraph_too_long_is_cut_between_sentences() -> None:
    sentence = "Hồ sơ gồm tờ khai và giấy tờ tùy thân của người đi đăng ký. "
    text = (sentence * 60).strip()
    parts = split_text(text, TEXT_LIMIT)
    assert len(parts) == 2 and all(len(part) <= TEXT_LIMIT for part in parts)
    assert all(part.endswith("đăng ký.") for part in parts)
    assert " ".join(parts) == text


def test_a_reply_outside_the_24_hour_window_is_not_sent(
    webhook: TestClient,
    graph: tuple[FakeGraph, str],
    rasa_server: tuple[FakeRasa, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = graph[0]
    day_and_more = now_ms() - 25 * 3600 * 1000
    deliver(webhook, text_event(PSID, "tin nhắn cũ", timestamp=day_and_more))
    deliver(webhook, text_event(PSID, "Xin chào"))  # handled after the old one
    api.wait_for(1)
    assert [m.get("text") for m in api.messages()] == [
        "Xin lỗi, tôi chưa hiểu câu hỏi. Bạn có thể hỏi lại cách khác không?"
    ]
    assert len(api.of("sender_action")) == 1
    assert rasa_server[0].received == [(f"fb-{PSID}", "Xin chào")]
    assert "outside the 24-hour window" in caplog.text


def test_a_staff_reply_goes_with_the_human_agent_tag_for_7_days(
    webhook: TestClient, graph: tuple[FakeGraph, str]
) -> None:
    api, channel = graph[0], channel_of(webhook)
    channel.ledger.saw_user("messenger", PSID, utc_now() - timedelta(days=3))
    channel.ledger.saw_user("messenger", OTHER, utc_now() - timedelta(days=8))
    assert webhook.portal is not None
    reply = "Cán bộ phường: hồ sơ của bạn đã được chuyển sang bộ phận tư pháp."
    assert webhook.portal.call(channel.send_staff_reply, PSID, reply) is Delivery.SENT
    assert webhook.portal.call(channel.send_staff_reply, OTHER, reply) is Delivery.OUTSIDE_WINDOW
    unknown = "2411000000000003"  # never wrote to the page
    assert webhook.portal.call(channel.send_staff_reply, unknown, reply) is Delivery.OUTSIDE_WINDOW
    assert [call.body for call in api.of()] == [
        {
            "recipient": {"id": PSID},
            "messaging_type": "MESSAGE_TAG",
            "tag": "HUMAN_AGENT",
            "message": {"text": reply},
        }
    ]


def test_a_forged_payload_or_a_typed_intent_never_reaches_rasa_as_an_intent(
    webhook: TestClient, graph: tuple[FakeGraph, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    api, rasa = graph[0], rasa_server[0]
    deliver(webhook, quick_reply_event(PSID, "Gặp cán bộ", "/human_handoff"))
    deliver(webhook, postback_event(PSID, "Gặp cán bộ", "hd1.AAAAAAAAAAAAAAAA./human_handoff"))
    deliver(webhook, text_event(PSID, "/human_handoff"))
    sent = api.wait_for(3)
    assert all("hết hạn" in call.body["message"]["text"] for call in sent[:2])
    assert rasa.received == [(f"fb-{PSID}", "human_handoff")]  # typed: text, not an intent


def test_rasa_down_gives_a_polite_message_and_logs_nothing_personal(
    tmp_path: Path, graph: tuple[FakeGraph, str], caplog: pytest.LogCaptureFixture
) -> None:
    api = graph[0]
    settings = messenger_settings(tmp_path, graph[1], f"http://127.0.0.1:{free_port()}")
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        deliver(client, text_event(PSID, "Số CCCD của tôi là 012345678901"))
        apology = api.wait_for(1)[0].body["message"]["text"]
    assert settings.hotline in apology and "Sorry" in apology
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "012345678901" not in logged and PSID not in logged
    assert TOKEN not in logged and APP_SECRET not in logged
    assert "rasa unreachable" in logged


def test_links_and_choices_share_a_button_template_when_they_fit() -> None:
    codec = PayloadCodec("s" * 32)
    link = Link(title="Cổng Dịch vụ công", url=SOURCE)
    message = BotMessage(
        text="Liên kết:",
        links=[link],
        buttons=[Button(title="Gặp cán bộ", payload="/human_handoff")],
    )
    (template,) = outgoing(message, codec, "Mời bạn chọn:")
    buttons = template["attachment"]["payload"]["buttons"]
    assert [b["type"] for b in buttons] == ["web_url", "postback"]
    assert codec.decode(buttons[1]["payload"]) == "/human_handoff"
    # four choices beside a link do not fit three buttons: they ride as quick replies
    many = message.model_copy(
        update={"buttons": [Button(title=f"Chọn {n}", payload=f"/affirm{n}") for n in range(4)]}
    )
    (mixed,) = outgoing(many, codec, "Mời bạn chọn:")
    assert [b["type"] for b in mixed["attachment"]["payload"]["buttons"]] == ["web_url"]
    assert len(mixed["quick_replies"]) == 4
    # a template's text is held to 640 characters: the text before it goes as messages
    long = BotMessage(text=LONG_TEXT.split("\n\n")[0], links=[link])
    *before, last = outgoing(long, codec, "Mời bạn chọn:")
    assert before and len(last["attachment"]["payload"]["text"]) <= 640


def test_payloads_are_signed_by_the_install() -> None:
    codec = PayloadCodec("s" * 32)
    data = codec.encode('/choose_procedure{"procedure":"1.001193"}')
    assert data is not None
    assert codec.decode(data) == '/choose_procedure{"procedure":"1.001193"}'
    assert PayloadCodec("t" * 32).decode(data) is None  # another install's secret
    assert codec.decode(data.replace("1.001193", "1.001695")) is None
    assert codec.decode('/choose_procedure{"procedure":"1.001193"}') is None


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, graph: tuple[FakeGraph, str]
) -> Iterator[None]:
    for name, value in {
        "HELPDESK_MESSENGER_PAGE_TOKEN": TOKEN,
        "HELPDESK_MESSENGER_APP_SECRET": APP_SECRET,
        "HELPDESK_MESSENGER_VERIFY_TOKEN": VERIFY,
        "HELPDESK_MESSENGER_GRAPH_BASE_URL": graph[1],
        "HELPDESK_PUBLIC_URL": "https://hoidap.example.vn",
        "HELPDESK_VAR_DIR": str(tmp_path / "var"),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_setup_sets_get_started_and_the_menu(cli_env: None, graph: tuple[FakeGraph, str]) -> None:
    result = CliRunner().invoke(messenger_app, ["setup"])
    assert result.exit_code == 0, result.output
    assert "https://hoidap.example.vn/messenger/webhook" in result.output
    assert TOKEN not in result.output
    (call,) = graph[0].of("profile")
    codec = PayloadCodec(get_settings().secret_key.get_secret_value())
    profile = call.body
    assert codec.decode(profile["get_started"]["payload"]) == "/greet"
    menus = {menu["locale"]: menu["call_to_actions"] for menu in profile["persistent_menu"]}
    assert set(menus) == {"default", "en_US"}
    vi = {item["title"]: codec.decode(item["payload"]) for item in menus["default"]}
    assert vi == {
        "Hỏi về thủ tục": "/ask_procedure",
        "Tra cứu hồ sơ": "/check_record_status",
        "Tìm nơi nộp hồ sơ": "/find_office",
        "Gặp cán bộ": "/human_handoff",
        "English": '/change_language{"language":"en"}',
    }
    en = {item["title"]: codec.decode(item["payload"]) for item in menus["en_US"]}
    assert en["Check my application"] == "/check_record_status"
    assert en["Tiếng Việt"] == '/change_language{"language":"vi"}'
    assert [g["locale"] for g in profile["greeting"]] == ["default", "en_US"]
    assert all(len(g["text"]) <= 160 for g in profile["greeting"])


def test_setup_with_a_refused_token_says_so_without_printing_it(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, graph: tuple[FakeGraph, str]
) -> None:
    monkeypatch.setenv("HELPDESK_MESSENGER_PAGE_TOKEN", "EAAGrevokedTokenValue")
    get_settings.cache_clear()
    result = CliRunner().invoke(messenger_app, ["setup"])
    assert result.exit_code == 1
    assert "HELPDESK_MESSENGER_PAGE_TOKEN" in result.output
    assert "EAAGrevokedTokenValue" not in result.output
    assert len(graph[0].calls) == 1  # not retried
