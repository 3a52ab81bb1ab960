"""Fixtures of the channel tests: settings, a scripted upstream (Rasa, action server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from connectors.web.app import create_app
from helpdesk.settings import Settings
from tests.connectors.fake_rasa import (
    GATEWAY_EVENTS,
    GATEWAY_HEALTH,
    GATEWAY_WEBHOOK,
    FakeRasa,
    authorized,
    check_body,
)

RASA = "http://rasa.test"
ACTIONS = "http://actions.test"
WARD_SITE = "https://phuong-anxuyen.example.vn"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "var_dir": tmp_path / "var",
        "index_dir": tmp_path / "var" / "index",
        "rasa_url": RASA,
        "actions_url": ACTIONS,
        "cors_origins": [WARD_SITE],
        "telegram_token": None,
        "redis_url": None,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Upstream:
    """Rasa and the action server behind ``httpx.MockTransport``, scripted by :class:`FakeRasa`.

    Rasa answers only its gateway channel with ``token`` (401 otherwise), as the real one.
    ``rasa_failure`` (an exception or a status code), ``rasa_raw`` (an odd answer) and
    ``actions_up`` break them on demand;
    ``delays`` holds seconds to wait before answering a given message.
    """

    def __init__(self, token: str) -> None:
        self.rasa = FakeRasa(token)
        self.rasa_failure: Exception | int | None = None
        self.rasa_raw: object | None = None  # answer this JSON instead of the script's
        self.actions_up = True
        self.delays: dict[str, float] = {}
        self.events: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "actions.test":
            if not self.actions_up:
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(200, json={"status": "ok"})
        assert request.url.host == "rasa.test", request.url
        if isinstance(self.rasa_failure, Exception):
            raise self.rasa_failure
        if isinstance(self.rasa_failure, int):
            return httpx.Response(self.rasa_failure, text="boom")
        if request.method == "GET" and request.url.path == "/":
            return httpx.Response(200, text="Hello from Rasa: 3.6.21")
        if request.method == "GET" and request.url.path == GATEWAY_HEALTH:
            return httpx.Response(200, json={"status": "ok"})
        if request.method == "POST" and request.url.path == GATEWAY_EVENTS:
            if not authorized(request.headers.get("authorization"), self.rasa.token):
                self.rasa.refused.append(401)
                return httpx.Response(401, json={"error": "unauthorized"})
            status, answer = self.rasa.event(json.loads(request.content or b"null"))
            return httpx.Response(status, json=answer)
        if request.method != "POST" or request.url.path != GATEWAY_WEBHOOK:
            return httpx.Response(404, json={"error": "not found"})
        if not authorized(request.headers.get("authorization"), self.rasa.token):
            self.rasa.refused.append(401)
            return httpx.Response(401, json={"error": "unauthorized"})
        status, body = check_body(request.content)
        if status != 200:
            self.rasa.refused.append(status)
            return httpx.Response(status, json=body)
        if self.rasa_raw is not None:
            return httpx.Response(200, json=self.rasa_raw)
        message = body["message"]
        self.rasa.metadata.append(body.get("metadata"))
        self.events.append(f"start {message}")
        await asyncio.sleep(self.delays.get(message, 0))
        self.rasa.received.append((body["sender"], message))
        answers = await self.rasa.answer(body["sender"], message)
        self.events.append(f"end {message}")
        return httpx.Response(
            200, json=[{"recipient_id": body["sender"], **answer} for answer in answers]
        )


@pytest.fixture
def upstream(gateway_settings: Settings) -> Upstream:
    return Upstream(gateway_settings.internal_token("rasa"))


@pytest.fixture
def gateway_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def client(gateway_settings: Settings, upstream: Upstream) -> Iterator[TestClient]:
    app = create_app(
        gateway_settings, load_knowledge=False, http_transport=httpx.MockTransport(upstream)
    )
    with TestClient(app) as test_client:
        yield test_client
