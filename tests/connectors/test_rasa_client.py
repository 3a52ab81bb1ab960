"""The relay shared by the gateway and the Telegram bot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from connectors.errors import BotUnavailable
from connectors.locks import KeyedLocks
from connectors.rasa_client import (
    BotMessage,
    Button,
    Link,
    RasaClient,
    attach_links,
    parse_message,
)
from tests.connectors.conftest import make_settings
from tests.connectors.fake_rasa import FakeRasa
from tests.connectors.servers import serve_in_thread

TOKEN = "0123456789abcdef" * 4


def test_parse_message_keeps_text_buttons_image_and_links() -> None:
    raw = {
        "recipient_id": "web-12345678",
        "text": "Chọn một:",
        "buttons": [
            {"title": "Có", "payload": "/affirm"},
            {"title": "Thiếu payload"},
            "not a button",
        ],
        "image": "https://dichvucong.gov.vn/a.png",
        "custom": {
            "links": [
                {"title": "Nguồn", "url": "https://dichvucong.gov.vn/p/1"},
                {"url": "https://camau.gov.vn"},
                {"title": "no url"},
            ],
            "other": 1,
        },
    }
    assert parse_message(raw) == BotMessage(
        text="Chọn một:",
        buttons=[Button(title="Có", payload="/affirm")],
        image="https://dichvucong.gov.vn/a.png",
        links=[
            Link(title="Nguồn", url="https://dichvucong.gov.vn/p/1"),
            Link(title="https://camau.gov.vn", url="https://camau.gov.vn"),
        ],
    )


@pytest.mark.parametrize(
    "raw", [None, "text", [], {"recipient_id": "x"}, {"text": ""}, {"custom": {"unknown": True}}]
)
def test_parse_message_drops_what_cannot_be_shown(raw: object) -> None:
    assert parse_message(raw) is None


async def test_send_posts_to_the_gateway_channel_with_the_token() -> None:
    seen: list[tuple[str, str | None, dict[str, object]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append((str(request.url), request.headers.get("authorization"), body))
        return httpx.Response(
            200,
            json=[
                {"recipient_id": "web-12345678", "text": "Chào bạn"},
                {"recipient_id": "web-12345678"},
            ],
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        rasa = RasaClient(http, "http://rasa:5005/", secret="k", token=TOKEN)
        answers = await rasa.send("web-12345678", "xin chào")
        await rasa.send("web-12345678", "lệ phí", source="a1b2c3")
    assert answers == [BotMessage(text="Chào bạn")]
    assert seen == [
        (
            "http://rasa:5005/webhooks/gateway/webhook",
            f"Bearer {TOKEN}",
            {"sender": "web-12345678", "message": "xin chào"},
        ),
        (
            "http://rasa:5005/webhooks/gateway/webhook",
            f"Bearer {TOKEN}",
            {"sender": "web-12345678", "message": "lệ phí", "metadata": {"source": "a1b2c3"}},
        ),
    ]


async def test_the_fake_rasa_refuses_a_client_without_the_install_token(tmp_path: Path) -> None:
    """The fake checks the door as the real channel does: a relay with another install's
    token (or none) is refused and reported as unavailable; the right one gets through."""
    settings = make_settings(tmp_path)
    fake = FakeRasa(settings.internal_token("rasa"))
    with serve_in_thread(fake.app()) as url:
        async with httpx.AsyncClient() as http:
            for token in ("not-the-token", TOKEN):
                wrong = RasaClient(http, url, secret="k", token=token)
                with pytest.raises(BotUnavailable, match="status 401"):
                    await wrong.send("web-12345678", "xin chào")
            right = RasaClient(http, url, secret="k", token=settings.internal_token("rasa"))
            answers = await right.send("web-12345678", "lệ phí", source="a1b2c3")
            bare = await http.post(
                f"{url}/webhooks/gateway/webhook",
                json={"sender": "web-12345678", "message": "xin chào"},
            )
            raw = await http.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": "web-12345678", "message": "xin chào"},
                headers={"Authorization": f"Bearer {settings.internal_token('rasa')}"},
            )
    assert bare.status_code == 401
    assert fake.refused == [401, 401, 401]
    assert fake.received == [("web-12345678", "lệ phí")]
    assert fake.metadata == [{"source": "a1b2c3"}]
    assert "miễn lệ phí" in answers[0].text
    assert raw.status_code == 404  # the open REST channel is gone


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx.ConnectError("refused"), "unreachable"),
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.Response(502), "status 502"),
        (httpx.Response(200, content=b"<html>"), "invalid answer"),
        (httpx.Response(200, json={"a": 1}), "invalid answer"),
    ],
)
async def test_failures_raise_bot_unavailable(answer: object, reason: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(BotUnavailable, match=reason):
            await RasaClient(http, "http://rasa", secret="k", token=TOKEN).send(
                "web-12345678", "hi"
            )


async def test_turns_of_one_conversation_never_overlap() -> None:
    active: dict[str, int] = {}
    overlaps: list[str] = []
    order: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sender = body["sender"]
        active[sender] = active.get(sender, 0) + 1
        if active[sender] > 1:
            overlaps.append(sender)
        order.append(body["message"])
        await asyncio.sleep(0.02)
        active[sender] -= 1
        return httpx.Response(200, json=[])

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        rasa = RasaClient(http, "http://rasa", secret="k", token=TOKEN)
        await asyncio.gather(
            *(rasa.send("web-aaaaaaaa", f"a{n}") for n in range(5)),
            *(rasa.send("web-bbbbbbbb", f"b{n}") for n in range(5)),
        )
        assert len(rasa._locks) == 0  # locks are dropped once nobody needs them
    assert overlaps == []
    assert [m for m in order if m.startswith("a")] == [f"a{n}" for n in range(5)]
    assert [m for m in order if m.startswith("b")] == [f"b{n}" for n in range(5)]


async def test_keyed_locks_release_on_error() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            raise RuntimeError("boom")
    assert len(locks) == 0
    async with locks.hold("k"):
        assert len(locks) == 1


def test_a_source_link_sent_apart_joins_the_answer_before_it() -> None:
    """Rasa sends an action's custom content as its own message; the citizen reads one answer
    with its source under it (and a link with nothing before it stays on its own)."""
    link = Link(title="Cổng Dịch vụ công quốc gia", url="https://dichvucong.gov.vn/p/1")
    answer = BotMessage(text="Phí, lệ phí: …", buttons=[Button(title="Có", payload="/affirm")])
    joined = attach_links([answer, BotMessage(links=[link]), BotMessage(text="Còn gì nữa?")])
    assert joined == [
        answer.model_copy(update={"links": [link]}),
        BotMessage(text="Còn gì nữa?"),
    ]
    assert attach_links([BotMessage(links=[link])]) == [BotMessage(links=[link])]
