"""The Telegram bot over real HTTP: python-telegram-bot against a fake Bot API server on
127.0.0.1, relaying to a fake Rasa that is also a real local server."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from connectors.guard import guard_for
from connectors.privacy import telegram_user_tag
from connectors.rasa_client import RasaClient
from connectors.telegram.channel import (
    TelegramChannel,
    build_application,
    change_language_payload,
)
from connectors.telegram.cli import telegram_app
from connectors.telegram.format import KEY_PREFIX, MESSAGE_LIMIT
from connectors.web.app import create_app
from helpdesk.settings import Settings, get_settings
from helpdesk_cli.run import free_port
from store.db import make_engine
from tests.connectors.conftest import make_settings
from tests.connectors.fake_rasa import LONG_TEXT, RECORD, SOURCE, FakeRasa
from tests.connectors.fake_telegram import FakeBotApi, callback_update, text_update
from tests.connectors.servers import serve_in_thread

TOKEN = "123456:TEST-not-a-real-token"
SECRET = "webhook-Secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHAT = 777001


@pytest.fixture
def bot_api() -> Iterator[tuple[FakeBotApi, str]]:
    api = FakeBotApi(TOKEN)
    with serve_in_thread(api.app()) as url:
        yield api, url


@pytest.fixture
def rasa_server() -> Iterator[tuple[FakeRasa, str]]:
    rasa = FakeRasa()
    with serve_in_thread(rasa.app()) as url:
        yield rasa, url


def telegram_settings(tmp_path: Path, bot_url: str, rasa_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "rasa_url": rasa_url,
        "telegram_token": SecretStr(TOKEN),
        "telegram_base_url": f"{bot_url}/bot",
        "telegram_mode": "webhook",
        "telegram_webhook_secret": SecretStr(SECRET),
        **overrides,
    }
    return make_settings(tmp_path, **values)


@pytest.fixture
def webhook(
    tmp_path: Path, bot_api: tuple[FakeBotApi, str], rasa_server: tuple[FakeRasa, str]
) -> Iterator[TestClient]:
    """The gateway with the bot in webhook mode, talking to both fake servers."""
    settings = telegram_settings(tmp_path, bot_api[1], rasa_server[1])
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        assert client.app.state.telegram is not None  # type: ignore[attr-defined]
        yield client


def post_update(client: TestClient, update: dict[str, Any]) -> None:
    response = client.post("/telegram/webhook", json=update, headers={HEADER: SECRET})
    assert response.status_code == 200, response.text


def texts(api: FakeBotApi) -> list[str]:
    return [call.params["text"] for call in api.sent()]


def test_a_whole_conversation(
    webhook: TestClient, bot_api: tuple[FakeBotApi, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    api, rasa = bot_api[0], rasa_server[0]

    post_update(webhook, text_update(CHAT, "/start"))
    welcome = api.wait_for(1)[0]
    assert welcome.params["chat_id"] == str(CHAT)
    assert "Xin chào" in welcome.params["text"] and "Hello" in welcome.params["text"]
    assert "/status" in welcome.params["text"]

    post_update(webhook, text_update(CHAT, "Làm giấy khai sinh cần gì?"))
    question = api.wait_for(2)[1]
    assert question.params["text"] == "Bạn muốn hỏi thủ tục nào?"
    keyboard = json.loads(question.params["reply_markup"])["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == [
        "Đăng ký khai sinh",
        "Đăng ký khai sinh có yếu tố nước ngoài",
    ]
    payload = keyboard[0][0]["callback_data"]
    assert payload == '/choose_procedure{"procedure":"1.001193"}'

    post_update(webhook, callback_update(CHAT, payload))
    answered = api.wait_for(4)
    assert api.wait_for(1, "answerCallbackQuery")
    assert answered[2].params["text"].startswith("Đăng ký khai sinh cần:")
    # the source is a button titled with the portal's name under the answer, not a raw address
    assert "https://" not in answered[2].params["text"]
    source = json.loads(answered[2].params["reply_markup"])["inline_keyboard"][0][0]
    assert source == {"text": "Cổng Dịch vụ công quốc gia", "url": SOURCE}
    assert answered[3].params["text"].startswith("Bạn có muốn hỏi thêm")

    post_update(webhook, text_update(CHAT, "Lệ phí bao nhiêu?"))
    fee_message = api.wait_for(5)[4].params
    fee = fee_message["text"]
    assert fee.startswith("Đăng ký khai sinh đúng hạn được miễn lệ phí.")
    assert "https://" not in fee
    link = json.loads(fee_message["reply_markup"])["inline_keyboard"][0][0]
    assert link == {"text": "Cổng Dịch vụ công", "url": SOURCE}

    assert rasa.received == [
        (f"tg-{CHAT}", "Làm giấy khai sinh cần gì?"),
        (f"tg-{CHAT}", '/choose_procedure{"procedure":"1.001193"}'),
        (f"tg-{CHAT}", "Lệ phí bao nhiêu?"),
    ]
    # Who asks travels as a keyed hash of the Telegram user, never the user id itself.
    secret = webhook.app.state.settings.secret_key.get_secret_value()  # type: ignore[attr-defined]
    assert rasa.metadata == [{"source": telegram_user_tag(secret, CHAT), "channel": "telegram"}] * 3
    assert all(str(CHAT) not in json.dumps(m) for m in rasa.metadata)
    # Plain text only: nothing the bot says is parsed as markup.
    assert all("parse_mode" not in call.params for call in api.sent())


def test_status_forwards_the_command_then_the_code(
    webhook: TestClient, bot_api: tuple[FakeBotApi, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    api, rasa = bot_api[0], rasa_server[0]
    post_update(webhook, text_update(CHAT, f"/status {RECORD}"))
    prompt = api.wait_for(1)[0].params["text"]
    assert "4 số cuối" in prompt  # the second factor is asked; the code prompt is skipped
    post_update(webhook, text_update(CHAT, "1234"))
    assert "đang được giải quyết" in api.wait_for(2)[1].params["text"]
    assert [message for _, message in rasa.received] == ["/check_record_status", RECORD, "1234"]


def test_lang_toggles_and_help(
    webhook: TestClient, bot_api: tuple[FakeBotApi, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    api, rasa = bot_api[0], rasa_server[0]
    post_update(webhook, text_update(CHAT, "/lang"))
    assert api.wait_for(1)[0].params["text"] == "I will answer in English."
    post_update(webhook, text_update(CHAT, "/lang"))
    assert api.wait_for(2)[1].params["text"] == "Tôi sẽ trả lời bằng tiếng Việt."
    assert [message for _, message in rasa.received] == [
        change_language_payload("en"),
        change_language_payload("vi"),
    ]
    post_update(webhook, text_update(CHAT, "/help"))
    assert "/status" in api.wait_for(3)[2].params["text"]


def test_too_long_a_message_is_not_relayed(
    webhook: TestClient, bot_api: tuple[FakeBotApi, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    post_update(webhook, text_update(CHAT, "chữ " * 400))
    assert "1000" in bot_api[0].wait_for(1)[0].params["text"]
    assert rasa_server[0].received == []


def test_webhook_secret_is_required(webhook: TestClient, bot_api: tuple[FakeBotApi, str]) -> None:
    update = text_update(CHAT, "/start")
    assert webhook.post("/telegram/webhook", json=update).status_code == 403
    wrong = webhook.post("/telegram/webhook", json=update, headers={HEADER: SECRET + "x"})
    assert wrong.status_code == 403
    assert wrong.json()["error"] == "WebhookForbidden"
    assert (
        webhook.post("/telegram/webhook", json=update, headers={HEADER: SECRET}).status_code == 200
    )
    assert len(bot_api[0].wait_for(1)) == 1  # only the authorised update was processed


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2",
        b"[1, 2]",
        b"null",
        b'"update"',
        b'{"update_id": NaN}',
        b'{"update_id": 1, "message": {"text": Infinity}}',
        b'{"update_id": 1e999}',
        b'{"update_id": 5, "message": {"message_id": 1, "date": 1, "text": "a\\ud800",'
        b' "chat": {"id": 1, "type": "private"}}}',
    ],
)
def test_webhook_refuses_a_body_that_is_not_an_update(
    webhook: TestClient, rasa_server: tuple[FakeRasa, str], body: bytes
) -> None:
    response = webhook.post("/telegram/webhook", content=body, headers={HEADER: SECRET})
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidUpdate"
    assert rasa_server[0].received == []


def test_webhook_without_a_running_bot(client: TestClient) -> None:
    # The default test gateway has no token: the secret still guards the route.
    assert client.post("/telegram/webhook", json={}, headers={HEADER: SECRET}).status_code == 403


def test_webhook_with_the_secret_but_no_bot(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, telegram_webhook_secret=SecretStr(SECRET))
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        response = client.post("/telegram/webhook", json={}, headers={HEADER: SECRET})
    assert response.status_code == 503
    assert response.json()["error"] == "TelegramUnavailable"


def test_long_answers_are_split_on_paragraphs(
    webhook: TestClient, bot_api: tuple[FakeBotApi, str]
) -> None:
    api = bot_api[0]
    post_update(webhook, text_update(CHAT, "long"))
    api.wait_for(3)
    time.sleep(1.5)  # long enough for a fourth part to show up, if one were sent
    parts = api.sent()
    assert len(parts) == 3
    assert all(len(part.params["text"]) <= MESSAGE_LIMIT for part in parts)
    paragraphs = [p for part in parts for p in part.params["text"].split("\n\n")]
    assert paragraphs == LONG_TEXT.split("\n\n")  # every cut fell between paragraphs
    assert ["reply_markup" in part.params for part in parts] == [False, False, True]


def test_long_button_payloads_travel_as_short_keys(
    webhook: TestClient, bot_api: tuple[FakeBotApi, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    api, rasa = bot_api[0], rasa_server[0]
    post_update(webhook, text_update(CHAT, "long button"))
    markup = json.loads(api.wait_for(1)[0].params["reply_markup"])
    data = markup["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith(KEY_PREFIX) and len(data.encode()) <= 64
    post_update(webhook, callback_update(CHAT, data))
    api.wait_for(3)  # the documents answer comes in two messages
    assert rasa.received[-1][1] == '/choose_procedure{"procedure":"' + "9" * 80 + '"}'

    post_update(webhook, callback_update(CHAT, KEY_PREFIX + "forgotten"))
    assert "hết hạn" in api.wait_for(4)[-1].params["text"]


# PTB's own RetryAfter reads its deprecated int attribute while being built.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_a_429_is_waited_out_and_retried_once(
    webhook: TestClient, bot_api: tuple[FakeBotApi, str]
) -> None:
    api = bot_api[0]
    api.throttle["sendMessage"] = [1]
    post_update(webhook, text_update(CHAT, "/help"))
    delivered = api.wait_for(1)
    refused = api.sent(status=429)
    assert len(refused) == 1 and len(delivered) == 1
    assert delivered[0].at - refused[0].at >= 1.0  # retry_after was respected
    assert delivered[0].params["text"] == refused[0].params["text"]


def test_rasa_down_gives_a_polite_message_naming_the_hotline(
    tmp_path: Path, bot_api: tuple[FakeBotApi, str], caplog: pytest.LogCaptureFixture
) -> None:
    api = bot_api[0]
    settings = telegram_settings(tmp_path, bot_api[1], f"http://127.0.0.1:{free_port()}")
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        post_update(client, text_update(CHAT, "Số CCCD của tôi là 012345678901"))
        apology = api.wait_for(1)[0].params["text"]
    assert settings.hotline in apology and "Sorry" in apology
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "012345678901" not in logged and str(CHAT) not in logged
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged
    assert "rasa unreachable" in logged


async def test_polling_mode_answers_updates(
    tmp_path: Path, bot_api: tuple[FakeBotApi, str], rasa_server: tuple[FakeRasa, str]
) -> None:
    api = bot_api[0]
    settings = telegram_settings(tmp_path, bot_api[1], rasa_server[1], telegram_mode="polling")
    engine = make_engine(settings.database_url)  # as `helpdesk telegram poll` runs it
    async with httpx.AsyncClient() as http:
        rasa = RasaClient.from_settings(http, settings, guard_for(settings, engine))
        application = build_application(settings, TelegramChannel(rasa, settings), webhook=False)
        api.updates.append(text_update(CHAT, "Làm giấy khai sinh cần gì?"))
        async with application:
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0.05)
            await application.start()
            try:
                sent = await asyncio.to_thread(api.wait_for, 1)
            finally:
                await application.updater.stop()
                await application.stop()
    engine.dispose()
    assert sent[0].params["text"] == "Bạn muốn hỏi thủ tục nào?"
    assert api.sent("deleteWebhook")  # polling takes over from any webhook
    assert rasa_server[0].received[0][0] == f"tg-{CHAT}"
    secret = settings.secret_key.get_secret_value()
    assert rasa_server[0].metadata == [
        {"source": telegram_user_tag(secret, CHAT), "channel": "telegram"}
    ]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bot_api: tuple[FakeBotApi, str]):
    for name, value in {
        "HELPDESK_TELEGRAM_TOKEN": TOKEN,
        "HELPDESK_TELEGRAM_BASE_URL": f"{bot_api[1]}/bot",
        "HELPDESK_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "HELPDESK_PUBLIC_URL": "https://helpdesk.example.vn/",
        "HELPDESK_VAR_DIR": str(tmp_path / "var"),
        "HELPDESK_TELEGRAM_MODE": "webhook",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_set_webhook_registers_the_public_url_with_the_secret(
    cli_env: None, bot_api: tuple[FakeBotApi, str]
) -> None:
    result = CliRunner().invoke(telegram_app, ["set-webhook"])
    assert result.exit_code == 0, result.output
    assert "https://helpdesk.example.vn/telegram/webhook" in result.output
    call = bot_api[0].wait_for(1, "setWebhook")[0]
    assert call.params["url"] == "https://helpdesk.example.vn/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert json.loads(call.params["allowed_updates"]) == ["message", "callback_query"]
    assert TOKEN not in result.output


def test_set_webhook_needs_a_secret(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, bot_api: tuple[FakeBotApi, str]
) -> None:
    monkeypatch.delenv("HELPDESK_TELEGRAM_WEBHOOK_SECRET")
    get_settings.cache_clear()
    result = CliRunner().invoke(telegram_app, ["set-webhook"])
    assert result.exit_code == 1
    assert "HELPDESK_TELEGRAM_WEBHOOK_SECRET" in result.output
    assert not bot_api[0].sent("setWebhook")


def test_a_rejected_token_is_not_printed(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, bot_api: tuple[FakeBotApi, str]
) -> None:
    monkeypatch.setenv("HELPDESK_TELEGRAM_TOKEN", "999:revoked-token-value")
    get_settings.cache_clear()
    result = CliRunner().invoke(telegram_app, ["set-webhook"])
    assert result.exit_code == 1
    assert "revoked-token-value" not in result.output
