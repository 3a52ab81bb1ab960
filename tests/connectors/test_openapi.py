"""The OpenAPI document tells the truth: every status a route answers is documented, with the
body it really has; and schemathesis, run in-process against the app, finds no server error
and no undocumented answer on the chat and procedure routes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from connectors.web.app import create_app
from helpdesk.settings import PROJECT_ROOT
from knowledge.catalogue import Catalogue, load_catalogue
from knowledge.search import Hit, SearchResult, check_query
from knowledge.service import Knowledge
from tests.connectors import fake_graph, fake_zalo
from tests.connectors.conftest import Upstream, make_settings
from tests.connectors.fake_telegram import FakeBotApi, text_update
from tests.connectors.servers import serve_in_thread

TOKEN = "123456:TEST-not-a-real-token"
SECRET = "webhook-Secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
CONVERSATION = "web-0123456789abcdef"
ZALO_APP, ZALO_SECRET, ZALO_USER = "1234567890", "oa-secret-for-the-schema-test", "8842000001"
GRAPH_SECRET, VERIFY, PSID = "app-secret-for-the-schema-test", "verify-token-0123", "6123000001"


class StubSearcher:
    """The catalogue's first procedures for any question the real searcher would accept.

    The question goes through the real ``check_query`` (empty, too long), so the route's
    refusals are the domain's own; no index or embedder is needed.
    """

    def __init__(self, catalogue: Catalogue) -> None:
        self._procedures = list(catalogue.procedures.values())

    def search(self, query: str, k: int = 5) -> SearchResult:
        text = check_query(query)
        hits = [Hit(p.code, p.name, p.name_en, 0.5) for p in self._procedures[:k]]
        return SearchResult(text, True, hits)


def stub_knowledge() -> Knowledge:
    catalogue = load_catalogue(PROJECT_ROOT / "knowledge" / "catalogue")
    return Knowledge(catalogue, StubSearcher(catalogue), Path("unused"))  # type: ignore[arg-type]


@dataclass
class Gateway:
    client: TestClient
    app: FastAPI
    upstream: Upstream
    spec: dict[str, Any]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """The whole gateway: catalogue, chat relay, and the Telegram webhook (fake Bot API)."""
    api = FakeBotApi(TOKEN)
    with serve_in_thread(api.app()) as bot_url:
        config = make_settings(
            tmp_path_factory.mktemp("openapi"),
            chat_rate_per_minute=3,
            ip_rate_per_minute=10_000,
            telegram_token=SecretStr(TOKEN),
            telegram_base_url=f"{bot_url}/bot",
            telegram_mode="webhook",
            telegram_webhook_secret=SecretStr(SECRET),
            # Zalo and Messenger answer through the mock transport (their sends go nowhere)
            zalo_app_id=ZALO_APP,
            zalo_oa_secret=SecretStr(ZALO_SECRET),
            zalo_app_secret=SecretStr("zalo-app-secret"),
            zalo_access_token=SecretStr("zalo-access"),
            zalo_refresh_token=SecretStr("zalo-refresh"),
            messenger_page_token=SecretStr("page-token"),
            messenger_app_secret=SecretStr(GRAPH_SECRET),
            messenger_verify_token=SecretStr(VERIFY),
        )
        upstream = Upstream(config.internal_token("rasa"))
        app = create_app(config, stub_knowledge(), http_transport=httpx.MockTransport(upstream))
        with TestClient(app, raise_server_exceptions=False) as client:
            assert app.state.telegram is not None
            assert app.state.zalo is not None and app.state.messenger is not None
            yield Gateway(client, app, upstream, client.get("/openapi.json").json())


Request = Callable[[Gateway], Any]


@dataclass(frozen=True)
class Call:
    """One request to an operation and the status it must get."""

    method: str
    path: str  # the OpenAPI path template
    status: int
    name: str
    send: Request


def _chat(body: object) -> Request:
    return lambda g: g.client.post("/api/chat", json=body)


def _raw_chat(raw: bytes) -> Request:
    headers = {"content-type": "application/json"}
    return lambda g: g.client.post("/api/chat", content=raw, headers=headers)


def _rate_limited(g: Gateway) -> httpx.Response:
    body = {"conversation_id": "web-rate-limited-conversation", "text": "xin chào"}
    for _ in range(3):
        assert g.client.post("/api/chat", json=body).status_code == 200
    return g.client.post("/api/chat", json=body)


def _with_rasa_down(g: Gateway) -> httpx.Response:
    g.upstream.rasa_failure = 500
    try:
        return g.client.post("/api/chat", json={"conversation_id": CONVERSATION, "text": "a"})
    finally:
        g.upstream.rasa_failure = None


def _with_actions_down(g: Gateway) -> httpx.Response:
    g.upstream.actions_up = False
    try:
        return g.client.get("/readyz")
    finally:
        g.upstream.actions_up = True


def _without(attribute: str, request: Request) -> Request:
    """``request`` while ``app.state.<attribute>`` is None (index or bot not running)."""

    def send(g: Gateway) -> httpx.Response:
        kept = getattr(g.app.state, attribute)
        setattr(g.app.state, attribute, None)
        try:
            return request(g)
        finally:
            setattr(g.app.state, attribute, kept)

    return send


def _search(**params: object) -> Request:
    return lambda g: g.client.get("/api/procedures/search", params=params)


def _webhook(body: bytes, secret: str | None = SECRET) -> Request:
    headers = {"content-type": "application/json", **({HEADER: secret} if secret else {})}
    return lambda g: g.client.post("/telegram/webhook", content=body, headers=headers)


def _zalo(
    change: dict[str, object] | None = None, *, signed: bool = True, body: bytes | None = None
) -> Request:
    """A Zalo event made when sent (its timestamp must be fresh), changed by ``change``."""

    def send(g: Gateway) -> httpx.Response:
        event = {**fake_zalo.text_event(ZALO_APP, ZALO_USER, "lệ phí khai sinh"), **(change or {})}
        raw = body if body is not None else json.dumps(event).encode()
        stamp = str(event["timestamp"])
        mac = fake_zalo.signature(ZALO_APP, raw, stamp, ZALO_SECRET if signed else "wrong")
        headers = {"content-type": "application/json", "X-ZEvent-Signature": mac}
        return g.client.post("/zalo/webhook", content=raw, headers=headers)

    return send


def _zalo_unsigned(g: Gateway) -> httpx.Response:
    body = json.dumps(fake_zalo.text_event(ZALO_APP, ZALO_USER, "xin chào")).encode()
    return g.client.post("/zalo/webhook", content=body)


def _graph(body: bytes, secret: str | None = GRAPH_SECRET) -> Request:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = fake_graph.signature(body, secret)
    return lambda g: g.client.post("/messenger/webhook", content=body, headers=headers)


def _handshake(token: str, challenge: str = "1158201444") -> Request:
    params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": challenge}
    return lambda g: g.client.get("/messenger/webhook", params=params)


UPDATE = json.dumps(text_update(777001, "/help")).encode()
PAGE_CALL = json.dumps(fake_graph.page_call(fake_graph.text_event(PSID, "xin chào"))).encode()
HUGE = b'{"conversation_id": "' + b"x" * 20_000 + b'"}'

CALLS = [
    Call("GET", "/healthz", 200, "up", lambda g: g.client.get("/healthz")),
    Call("GET", "/readyz", 200, "ready", lambda g: g.client.get("/readyz")),
    Call("GET", "/readyz", 503, "actions-down", _with_actions_down),
    Call("GET", "/api/widget/config", 200, "config", lambda g: g.client.get("/api/widget/config")),
    Call("GET", "/api/procedures/search", 200, "found", _search(q="khai sinh", k=3)),
    Call("GET", "/api/procedures/search", 200, "500-chars", _search(q="a" * 500)),
    Call("GET", "/api/procedures/search", 422, "no-q", _search()),
    Call("GET", "/api/procedures/search", 422, "empty-q", _search(q="")),
    Call("GET", "/api/procedures/search", 422, "blank-q", _search(q="   ")),
    Call("GET", "/api/procedures/search", 422, "501-chars", _search(q="a" * 501)),
    Call("GET", "/api/procedures/search", 422, "k-0", _search(q="khai sinh", k=0)),
    Call("GET", "/api/procedures/search", 422, "k-text", _search(q="khai sinh", k="x")),
    Call("GET", "/api/procedures/search", 503, "no-index", _without("knowledge", _search(q="a"))),
    Call(
        "GET",
        "/api/procedures/{code}",
        200,
        "found",
        lambda g: g.client.get("/api/procedures/1.004873", params={"province": "96"}),
    ),
    Call(
        "GET",
        "/api/procedures/{code}",
        404,
        "unknown",
        lambda g: g.client.get("/api/procedures/9.9"),
    ),
    Call(
        "GET",
        "/api/procedures/{code}",
        422,
        "bad-province",
        lambda g: g.client.get("/api/procedures/1.004873", params={"province": "96\n"}),
    ),
    Call(
        "GET",
        "/api/procedures/{code}",
        503,
        "no-index",
        _without("knowledge", lambda g: g.client.get("/api/procedures/1.004873")),
    ),
    Call("POST", "/api/chat", 200, "text", _chat({"conversation_id": CONVERSATION, "text": "hi"})),
    Call("POST", "/api/chat", 413, "huge", _raw_chat(HUGE)),
    Call("POST", "/api/chat", 422, "bad-id", _chat({"conversation_id": "x", "text": "a"})),
    Call(
        "POST",
        "/api/chat",
        422,
        "both",
        _chat({"conversation_id": CONVERSATION, "text": "a", "payload": "/a"}),
    ),
    Call("POST", "/api/chat", 422, "not-json", _raw_chat(b"{")),
    Call("POST", "/api/chat", 422, "nan", _raw_chat(b'{"conversation_id": NaN, "text": "a"}')),
    Call(
        "POST",
        "/api/chat",
        422,
        "too-long",
        _chat({"conversation_id": CONVERSATION, "text": "a" * 1001}),
    ),
    Call("POST", "/api/chat", 429, "rate", _rate_limited),
    Call("POST", "/api/chat", 503, "rasa-down", _with_rasa_down),
    Call("POST", "/telegram/webhook", 200, "update", _webhook(UPDATE)),
    Call("POST", "/telegram/webhook", 400, "not-an-update", _webhook(b"[1, 2]")),
    Call("POST", "/telegram/webhook", 400, "nan", _webhook(b'{"update_id": NaN}')),
    Call("POST", "/telegram/webhook", 403, "no-secret", _webhook(UPDATE, secret=None)),
    Call("POST", "/telegram/webhook", 413, "huge", _webhook(b"[" + b"0," * 600_000 + b"0]")),
    Call("POST", "/telegram/webhook", 503, "no-bot", _without("telegram", _webhook(UPDATE))),
    Call("POST", "/zalo/webhook", 200, "event", _zalo()),
    Call("POST", "/zalo/webhook", 400, "not-an-event", _zalo({"sender": {"id": 5}})),
    Call("POST", "/zalo/webhook", 401, "unsigned", _zalo_unsigned),
    Call("POST", "/zalo/webhook", 403, "wrong-signature", _zalo(signed=False)),
    Call("POST", "/zalo/webhook", 413, "huge", _zalo(body=b"[" + b"0," * 600_000 + b"0]")),
    Call("POST", "/zalo/webhook", 503, "no-channel", _without("zalo", _zalo())),
    Call("GET", "/messenger/webhook", 200, "handshake", _handshake(VERIFY)),
    Call("GET", "/messenger/webhook", 400, "odd-challenge", _handshake(VERIFY, "<script>")),
    Call("GET", "/messenger/webhook", 403, "wrong-token", _handshake("not-the-token")),
    Call("POST", "/messenger/webhook", 200, "page-call", _graph(PAGE_CALL)),
    Call("POST", "/messenger/webhook", 400, "not-a-page-call", _graph(b"[1, 2]")),
    Call("POST", "/messenger/webhook", 401, "unsigned", _graph(PAGE_CALL, secret=None)),
    Call("POST", "/messenger/webhook", 403, "wrong-signature", _graph(PAGE_CALL, "other")),
    Call("POST", "/messenger/webhook", 413, "huge", _graph(b"[" + b"0," * 600_000 + b"0]")),
    Call("POST", "/messenger/webhook", 503, "no-channel", _without("messenger", _graph(PAGE_CALL))),
]


def operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in spec["paths"].items() for method in item}


def test_every_operation_and_every_documented_status_is_exercised(gateway: Gateway) -> None:
    """The table below covers the API both ways: no route and no documented status is left."""
    assert operations(gateway.spec) == {(c.method, c.path) for c in CALLS}
    for method, path in operations(gateway.spec):
        documented = set(gateway.spec["paths"][path][method.lower()]["responses"])
        exercised = {str(c.status) for c in CALLS if (c.method, c.path) == (method, path)}
        assert documented == exercised, (method, path)


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Validator:
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": spec["components"],
        **schema,
    }
    return jsonschema_rs.validator_for(root)


@pytest.mark.parametrize(
    "call", CALLS, ids=[f"{c.method} {c.path} {c.status} {c.name}" for c in CALLS]
)
def test_each_answer_is_documented_with_its_body(gateway: Gateway, call: Call) -> None:
    response = call.send(gateway)
    assert response.status_code == call.status, response.text
    responses = gateway.spec["paths"][call.path][call.method.lower()]["responses"]
    assert str(response.status_code) in responses, "undocumented status"
    content = responses[str(response.status_code)].get("content", {})
    if "application/json" not in content:  # the Messenger handshake echoes text
        assert [response.headers["content-type"].split(";")[0]] == list(content)
        return
    assert response.headers["content-type"].startswith("application/json")
    schema = content["application/json"]["schema"]
    errors = [str(e) for e in _validator(gateway.spec, schema).iter_errors(response.json())]
    assert errors == [], response.json()


def test_errors_have_one_shape(gateway: Gateway) -> None:
    """Validation errors, domain errors and the framework's own: the same ErrorBody."""
    domain = gateway.client.get("/api/procedures/search", params={"q": "   "}).json()
    validation = gateway.client.get("/api/procedures/search", params={"k": "x"}).json()
    framework = gateway.client.get("/api/nowhere").json()
    assert domain["error"] == "InvalidQuery" and "empty" in domain["detail"]
    assert validation["error"] == "InvalidRequest" and validation["problems"]
    assert framework == {"error": "NotFound", "detail": "Not Found"}
    error_body = _validator(gateway.spec, {"$ref": "#/components/schemas/ErrorBody"})
    for body in (domain, validation, framework):
        assert error_body.is_valid(body), body


def test_the_schema_says_what_the_server_enforces(gateway: Gateway) -> None:
    search = gateway.spec["paths"]["/api/procedures/search"]["get"]
    q = next(p for p in search["parameters"] if p["name"] == "q")["schema"]
    assert (q["minLength"], q["maxLength"]) == (1, 500)
    chat = gateway.spec["components"]["schemas"]["ChatRequest"]
    one_of = _validator(gateway.spec, {"$ref": "#/components/schemas/ChatRequest"})
    cases: list[tuple[dict[str, object], bool]] = [
        ({"text": "a"}, True),
        ({"payload": "/a"}, True),
        ({"text": "a", "payload": None}, True),
        ({"text": None, "payload": "/a"}, True),
        ({"text": "a", "payload": "/a"}, False),
        ({}, False),
        ({"text": None, "payload": None}, False),
        ({"text": " \n"}, False),
        ({"text": " \n", "payload": "/a"}, False),
        ({"payload": "a"}, False),
        ({"conversation_id": "web-one-of-case\n", "text": "a"}, False),
    ]
    for n, (fields, valid) in enumerate(cases):
        body = {"conversation_id": f"web-one-of-case-{n}", **fields}
        assert one_of.is_valid(body) == valid, body
        answered = gateway.client.post("/api/chat", json=body)
        assert (answered.status_code == 200) == valid, (body, answered.text)
    assert len(chat["oneOf"]) == 2


# ----------------------------------------------------------------------- schemathesis

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
FUZZED = [
    ("POST", "/api/chat"),
    ("GET", "/api/procedures/search"),
    ("GET", "/api/procedures/{code}"),
]


@pytest.fixture(scope="module")
def fuzzed_schema(tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    """The gateway in-process (ASGI): stub catalogue, scripted Rasa, no network at all."""
    config = make_settings(
        tmp_path_factory.mktemp("fuzz"), chat_rate_per_minute=10_000, ip_rate_per_minute=10_000
    )
    upstream = Upstream(config.internal_token("rasa"))
    app = create_app(config, stub_knowledge(), http_transport=httpx.MockTransport(upstream))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=str)
@pytest.mark.parametrize(("method", "path"), FUZZED, ids=[f"{m} {p}" for m, p in FUZZED])
def test_schemathesis_finds_nothing(
    fuzzed_schema: schemathesis.BaseSchema,
    method: str,
    path: str,
    mode: schemathesis.GenerationMode,
) -> None:
    operation = fuzzed_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    run()
