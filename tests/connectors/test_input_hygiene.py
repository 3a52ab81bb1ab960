"""Bodies no JSON encoder can send back: lone surrogates, NaN, Infinity, overflowing numbers.

Each used to end in a 500 without CORS headers (the widget then says "offline"); now each is
a 422 in the gateway's one error shape, with CORS headers, and nothing reaches Rasa.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from connectors.conversations import (
    TELEGRAM_PREFIX,
    WEB_PREFIX,
    is_client_id,
    telegram_conversation,
    web_conversation,
)
from connectors.web.app import create_app
from connectors.web.strict_json import StrictJsonRoute, parse_json
from helpdesk.settings import Settings
from tests.connectors.conftest import WARD_SITE, Upstream


def with_id(fields: str) -> str:
    """A chat body with a valid conversation id and ``fields`` (raw JSON) after it."""
    return '{"conversation_id": "web-0123456789abcdef", ' + fields + "}"


# Raw JSON bodies, written by hand: Python's json.dumps would refuse to produce most of them.
BAD_BODIES = {
    "surrogate-in-text": with_id('"text": "a\\ud800"'),
    "trailing-surrogate-in-text": with_id('"text": "a\\udc00b"'),
    "surrogate-in-payload": with_id('"payload": "/a\\ud800"'),
    "surrogate-in-id": '{"conversation_id": "web-0123456789\\ud800", "text": "a"}',
    "surrogate-in-a-key": with_id('"text": "a", "x\\ud800": 1'),
    "nan-text": with_id('"text": NaN'),
    "infinity-text": with_id('"text": Infinity'),
    "minus-infinity-id": '{"conversation_id": -Infinity, "text": "a"}',
    "overflow-to-infinity": with_id('"text": 1e999'),
    "nan-in-an-extra-field": with_id('"text": "a", "n": NaN'),
    "huge-integer": with_id('"text": ' + "9" * 5000),
    "deep-nesting": with_id('"text": ' + "[" * 3000 + "]" * 3000),
}
BAD_BYTES = {
    "utf8-encoded-surrogate": with_id('"text": "a').encode() + b'\xed\xa0\x80"}',
    "not-utf8": with_id('"text": "').encode() + b'\xff\xfe"}',
}


@pytest.fixture
def lenient_client(gateway_settings: Settings, upstream: Upstream) -> Iterator[TestClient]:
    """The gateway, answering a server error with a 500 rather than raising it in the test."""
    app = create_app(
        gateway_settings, load_knowledge=False, http_transport=httpx.MockTransport(upstream)
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def post_raw(client: TestClient, body: bytes) -> httpx.Response:
    headers = {"content-type": "application/json", "Origin": WARD_SITE}
    return client.post("/api/chat", content=body, headers=headers)


@pytest.mark.parametrize(
    "body",
    [text.encode("utf-8") for text in BAD_BODIES.values()] + list(BAD_BYTES.values()),
    ids=[*BAD_BODIES, *BAD_BYTES],
)
def test_unencodable_json_is_a_422_with_cors(
    lenient_client: TestClient, upstream: Upstream, body: bytes
) -> None:
    response = post_raw(lenient_client, body)
    assert response.status_code == 422, response.text
    assert response.headers["access-control-allow-origin"] == WARD_SITE
    answer = response.json()
    assert answer["error"] == "InvalidRequest"
    assert answer["messages"]["vi"] and answer["messages"]["en"]
    assert upstream.rasa.received == []


def test_a_well_formed_surrogate_pair_is_fine(
    lenient_client: TestClient, upstream: Upstream
) -> None:
    body = with_id('"text": "xin chào \\ud83d\\ude00"')
    assert post_raw(lenient_client, body.encode()).status_code == 200
    assert upstream.rasa.received[0][1] == "xin chào 😀"


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": NaN}',
        b'{"a": "\\ud800"}',
        b'{"a": 1e400}',
        b'{"a": -1e400}',
        b'"\xed\xa0\x80"',
        b"[" * 1000 + b"]" * 1000,
    ],
)
def test_parse_json_refuses_what_cannot_be_encoded_again(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_json(body)


def test_parse_json_keeps_ordinary_json() -> None:
    assert parse_json(b'{"a": [1, 2.5, -3e10, "\\u0111\\u00e2u", null, true]}') == {
        "a": [1, 2.5, -3e10, "đâu", None, True]
    }


def test_every_route_with_a_body_parses_it_strictly(client: TestClient) -> None:
    app_routes = client.app.routes  # type: ignore[attr-defined]
    routes = [c.original_route for c in iter_route_contexts(app_routes)]
    with_body = [r for r in routes if isinstance(r, APIRoute) and r.body_field is not None]
    assert with_body, "the chat route has a body"
    assert all(isinstance(r, StrictJsonRoute) for r in with_body), [r.path for r in with_body]


# ------------------------------------------------------------- conversation namespaces


def test_web_and_telegram_ids_live_in_separate_namespaces() -> None:
    assert web_conversation("tg-777001") == "web-tg-777001"
    assert telegram_conversation(777001) == "tg-777001"
    assert telegram_conversation(-1001234567) == "tg--1001234567"
    assert web_conversation("web-0123456789abcdef").startswith(WEB_PREFIX)
    assert telegram_conversation(1).startswith(TELEGRAM_PREFIX)
    assert not WEB_PREFIX.startswith(TELEGRAM_PREFIX) and not TELEGRAM_PREFIX.startswith(WEB_PREFIX)


@pytest.mark.parametrize("bad", ["short", "x" * 65, "abcdefgh\n", "abc defgh", "", "abcdéfgh"])
def test_web_ids_must_be_client_ids(bad: str) -> None:
    assert not is_client_id(bad)
    with pytest.raises(ValueError):
        web_conversation(bad)


def test_telegram_ids_are_integers() -> None:
    with pytest.raises(TypeError):
        telegram_conversation("777001")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        telegram_conversation(True)
