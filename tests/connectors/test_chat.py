"""POST /api/chat: the relay, its one response shape, limits, CORS, errors, ordering."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from connectors.conversations import web_conversation
from connectors.privacy import address_tag
from connectors.web.app import create_app
from helpdesk.settings import Settings
from tests.connectors.conftest import WARD_SITE, Upstream, make_settings
from tests.connectors.fake_rasa import SOURCE

CONVERSATION = "web-0123456789abcdef"  # what the widget sends
SENDER = web_conversation(CONVERSATION)  # what Rasa sees


def chat(
    client: TestClient,
    text: str | None = None,
    payload: str | None = None,
    conversation: str = CONVERSATION,
    **headers: str,
) -> httpx.Response:
    body: dict[str, str] = {"conversation_id": conversation}
    if text is not None:
        body["text"] = text
    if payload is not None:
        body["payload"] = payload
    return client.post("/api/chat", json=body, headers=headers)


def limited_client(tmp_path: Path, upstream: Upstream, **overrides: object) -> TestClient:
    settings = make_settings(tmp_path, **overrides)
    app = create_app(settings, load_knowledge=False, http_transport=httpx.MockTransport(upstream))
    return TestClient(app)


def test_relays_text_and_returns_one_shape(client: TestClient, upstream: Upstream) -> None:
    response = chat(client, "Làm giấy khai sinh cần gì?")
    assert response.status_code == 200
    assert response.json() == {
        "conversation_id": CONVERSATION,
        "messages": [
            {
                "text": "Bạn muốn hỏi thủ tục nào?",
                "buttons": [
                    {
                        "title": "Đăng ký khai sinh",
                        "payload": '/choose_procedure{"procedure":"1.001193"}',
                    },
                    {
                        "title": "Đăng ký khai sinh có yếu tố nước ngoài",
                        "payload": '/choose_procedure{"procedure":"1.001695"}',
                    },
                ],
                "image": None,
                "links": [],
            }
        ],
        "handoff": None,  # not with the staff
    }
    assert upstream.rasa.received == [(SENDER, "Làm giấy khai sinh cần gì?")]


def test_relays_a_button_payload_and_links(client: TestClient, upstream: Upstream) -> None:
    answer = chat(client, payload='/choose_procedure{"procedure":"1.001193"}').json()
    assert [m["text"].splitlines()[0] for m in answer["messages"]] == [
        "Đăng ký khai sinh cần:",
        "Bạn có muốn hỏi thêm về lệ phí hoặc thời gian không?",
    ]
    # the source Rasa sent apart is joined to the answer it belongs to
    assert answer["messages"][0]["links"] == [
        {"title": "Cổng Dịch vụ công quốc gia", "url": SOURCE}
    ]
    fee = chat(client, "lệ phí bao nhiêu").json()["messages"][0]
    assert fee["links"] == [{"title": "Cổng Dịch vụ công", "url": SOURCE}]
    assert upstream.rasa.received[0] == (SENDER, '/choose_procedure{"procedure":"1.001193"}')


def test_text_is_trimmed(client: TestClient, upstream: Upstream) -> None:
    assert chat(client, "  lệ phí  \n").status_code == 200
    assert upstream.rasa.received == [(SENDER, "lệ phí")]


@pytest.mark.parametrize(
    "conversation",
    [
        "short",
        "x" * 65,
        "web 0123456789",
        "web-0123456789<script>",
        "wéb-0123456789",
        "web-0123456789\n",  # re.match(...$) let a trailing newline through
        "\nweb-0123456789",
    ],
)
def test_conversation_ids_are_validated(client: TestClient, conversation: str) -> None:
    response = chat(client, "xin chào", conversation=conversation)
    assert response.status_code == 422
    assert "8–64 characters" in str(response.json())


@pytest.mark.parametrize("conversation", ["a" * 8, "A_b-" * 16, "tg--1001234567"])
def test_valid_conversation_ids(client: TestClient, upstream: Upstream, conversation: str) -> None:
    response = chat(client, "xin chào", conversation=conversation)
    assert response.status_code == 200
    assert response.json()["conversation_id"] == conversation  # the client's own id back
    assert upstream.rasa.received == [("web-" + conversation, "xin chào")]


def test_a_web_client_cannot_write_into_a_telegram_conversation(
    client: TestClient, upstream: Upstream
) -> None:
    """A web id of the tg- form lands in the web namespace, not in the Telegram chat."""
    telegram_chat = 777001
    assert chat(client, "/check_record_status", conversation=f"tg-{telegram_chat}").status_code
    senders = {sender for sender, _ in upstream.rasa.received}
    assert senders == {f"web-tg-{telegram_chat}"}
    assert f"tg-{telegram_chat}" not in senders


def test_the_client_address_travels_as_a_keyed_source(
    client: TestClient, upstream: Upstream, gateway_settings: Settings
) -> None:
    assert chat(client, "xin chào").status_code == 200
    secret = gateway_settings.secret_key.get_secret_value()
    # TestClient's peer is "testclient"; Rasa gets its keyed hash, never the address
    assert upstream.rasa.metadata == [
        {"source": address_tag(secret, "testclient"), "channel": "web"}
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"conversation_id": CONVERSATION},
        {"conversation_id": CONVERSATION, "text": "   "},
        {"conversation_id": CONVERSATION, "text": "a", "payload": "/affirm"},
        {"conversation_id": CONVERSATION, "payload": "affirm"},
        {"conversation_id": CONVERSATION, "text": "a", "sender": "someone-else"},
        {"conversation_id": CONVERSATION, "text": "   ", "payload": "/affirm"},
        {"conversation_id": CONVERSATION, "text": None, "payload": None},
        {"conversation_id": CONVERSATION, "text": 5},
    ],
)
def test_exactly_one_of_text_or_payload(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/api/chat", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidRequest"


@pytest.mark.parametrize(
    "body",
    [
        {"conversation_id": CONVERSATION, "text": "a", "payload": None},
        {"conversation_id": CONVERSATION, "text": None, "payload": "/affirm"},
    ],
)
def test_a_null_counts_as_absent(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/api/chat", json=body).status_code == 200


def test_message_length_limit_names_the_limit(client: TestClient, upstream: Upstream) -> None:
    limit = 1000
    assert chat(client, "a" * limit).status_code == 200
    response = chat(client, "a" * (limit + 1))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "MessageTooLong" and body["limit"] == limit
    assert str(limit) in body["detail"] and str(limit) in body["messages"]["vi"]
    assert len(upstream.rasa.received) == 1


def test_body_size_is_checked_before_parsing(client: TestClient, upstream: Upstream) -> None:
    huge = b'{"conversation_id": "' + b"x" * 20_000 + b'"}'
    response = client.post("/api/chat", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "RequestTooLarge"
    assert response.json()["limit"] == 16_384
    # Without a Content-Length (chunked), the body is counted as it arrives.
    chunked = client.post(
        "/api/chat",
        content=iter([huge[:10_000], huge[10_000:]]),
        headers={"content-type": "application/json"},
    )
    assert chunked.status_code == 413
    assert upstream.rasa.received == []


def test_not_json_is_a_clear_422(client: TestClient) -> None:
    response = client.post(
        "/api/chat", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "InvalidRequest" and body["problems"][0].startswith("body: not valid")
    assert body["messages"]["vi"] and body["messages"]["en"]


def test_validation_errors_do_not_echo_what_was_sent(client: TestClient) -> None:
    digits = "0912345678"
    response = client.post(
        "/api/chat", json={"conversation_id": digits + " x", "text": "a", "phone": digits}
    )
    assert response.status_code == 422
    assert digits not in response.json()["detail"]
    assert "phone" in response.json()["detail"]  # names the field it refuses
    assert "0912345678 x" not in response.text


def test_rate_per_conversation(tmp_path: Path, upstream: Upstream) -> None:
    with limited_client(tmp_path, upstream, chat_rate_per_minute=3) as client:
        assert [chat(client, f"câu {n}").status_code for n in range(3)] == [200] * 3
        refused = chat(client, "câu 4")
        assert chat(client, "khác", conversation="web-other-conversation").status_code == 200
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    body = refused.json()
    assert body["error"] == "RateLimited" and body["retry_after"] == retry_after
    assert "conversation" in body["detail"] and "giây" in body["messages"]["vi"]
    assert len(upstream.rasa.received) == 4


def test_rate_per_address(tmp_path: Path, upstream: Upstream) -> None:
    with limited_client(tmp_path, upstream, ip_rate_per_minute=4) as client:
        codes = [
            chat(client, "hi", conversation=f"web-conversation-{n}").status_code for n in range(5)
        ]
        # Invalid requests count against the address too (the limit comes first).
        invalid = chat(client, "hi", conversation="bad")
    assert codes == [200, 200, 200, 200, 429]
    assert invalid.status_code == 429
    assert "address" in invalid.json()["detail"]


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), 500, 404],
    ids=["unreachable", "timeout", "status-500", "status-404"],
)
def test_rasa_failures_are_a_polite_503(
    client: TestClient,
    upstream: Upstream,
    failure: Exception | int,
    gateway_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    upstream.rasa_failure = failure
    caplog.set_level(logging.INFO)
    response = chat(client, "Số điện thoại của tôi là 0912345678")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "BotUnavailable"
    assert body["hotline"] == gateway_settings.hotline
    assert gateway_settings.hotline in body["messages"]["vi"]
    assert gateway_settings.hotline in body["messages"]["en"]
    assert body["detail"] == f"{body['messages']['vi']}\n{body['messages']['en']}"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "the failure is logged"


@pytest.mark.parametrize("raw", [{"error": "oops"}, "text", None], ids=["dict", "str", "null"])
def test_rasa_answer_that_is_not_a_list_is_a_503(
    client: TestClient, upstream: Upstream, raw: object
) -> None:
    upstream.rasa_raw = raw if raw is not None else []
    expected = 200 if raw is None else 503
    assert chat(client, "xin chào").status_code == expected


def test_logs_hold_no_text_and_no_raw_ids(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_text = "CCCD 079123456789 của Nguyễn Văn A"
    assert chat(client, secret_text).status_code == 200
    chat(client, "x" * 2000)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "relayed: conversation=" in logged
    for forbidden in ("079123456789", "Nguyễn", CONVERSATION, "xxxxxxxxxx"):
        assert forbidden not in logged


def test_cors_allows_only_listed_origins(client: TestClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    allowed = client.options("/api/chat", headers={"Origin": WARD_SITE, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == WARD_SITE
    refused = client.options("/api/chat", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers
    simple = chat(client, "xin chào", Origin=WARD_SITE)
    assert simple.headers["access-control-allow-origin"] == WARD_SITE
    assert (
        "access-control-allow-origin"
        not in chat(client, "hi", Origin="https://evil.example").headers
    )


def test_errors_carry_cors_headers(tmp_path: Path, upstream: Upstream) -> None:
    # The widget on a ward site must be able to read a 413 or a 429 to explain it.
    with limited_client(tmp_path, upstream, chat_rate_per_minute=1) as client:
        chat(client, "một", Origin=WARD_SITE)
        limited = chat(client, "hai", Origin=WARD_SITE)
        too_big = client.post(
            "/api/chat",
            content=b"x" * 20_000,
            headers={"Origin": WARD_SITE, "content-type": "application/json"},
        )
    assert limited.status_code == 429
    assert limited.headers["access-control-allow-origin"] == WARD_SITE
    assert "retry-after" in limited.headers["access-control-expose-headers"].lower()
    assert too_big.status_code == 413
    assert too_big.headers["access-control-allow-origin"] == WARD_SITE


def test_openapi_documents_the_chat_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/chat"]["post"]
    assert operation["summary"] and operation["description"].startswith("Send a message")
    assert {"200", "413", "422", "429", "503"} <= set(operation["responses"])
    schemas = spec["components"]["schemas"]
    assert {"ChatRequest", "ChatReply", "BotMessage", "Button", "Link", "ErrorBody"} <= set(schemas)
    assert "HTTPValidationError" not in schemas  # a 422 has the ErrorBody shape too
    assert schemas["ChatRequest"]["properties"]["conversation_id"]["pattern"]
    assert len(schemas["ChatRequest"]["oneOf"]) == 2
    assert client.get("/docs").status_code == 200


def test_procedure_api_without_the_index_is_a_503(client: TestClient) -> None:
    response = client.get("/api/procedures/search", params={"q": "khai sinh"})
    assert response.status_code == 503
    assert response.json()["error"] == "IndexUnavailable"


async def test_one_conversation_is_relayed_in_order(
    gateway_settings: Settings, upstream: Upstream
) -> None:
    """Two concurrent requests of one conversation: the second waits for the first."""
    upstream.delays["first"] = 0.3
    app = create_app(
        gateway_settings, load_knowledge=False, http_transport=httpx.MockTransport(upstream)
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            first = asyncio.create_task(
                client.post("/api/chat", json={"conversation_id": CONVERSATION, "text": "first"})
            )
            while "start first" not in upstream.events:
                await asyncio.sleep(0.01)
            second = asyncio.create_task(
                client.post("/api/chat", json={"conversation_id": CONVERSATION, "text": "second"})
            )
            other = asyncio.create_task(
                client.post(
                    "/api/chat", json={"conversation_id": "web-someone-else", "text": "other"}
                )
            )
            responses = await asyncio.gather(first, second, other)
    assert [r.status_code for r in responses] == [200, 200, 200]
    # Another conversation is not held up; this one's turns never overlap.
    assert upstream.events.index("end other") < upstream.events.index("end first")
    assert upstream.events.index("end first") < upstream.events.index("start second")
    assert [m for s, m in upstream.rasa.received if s == SENDER] == ["first", "second"]
