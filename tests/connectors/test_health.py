"""Liveness and readiness: Rasa, the action server and the database."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from connectors.web.app import create_app
from tests.connectors.conftest import Upstream, make_settings


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ready_when_everything_answers(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"rasa", "actions", "database"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["database"]["detail"] == "sqlite: SELECT 1 ok"


def test_rasa_down_is_not_ready(client: TestClient, upstream: Upstream) -> None:
    upstream.rasa_failure = httpx.ConnectError("refused")
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["rasa"] == {"ok": False, "detail": "ConnectError", "ms": checks["rasa"]["ms"]}
    assert checks["actions"]["ok"] and checks["database"]["ok"]


def test_rasa_answering_an_error_is_not_ready(client: TestClient, upstream: Upstream) -> None:
    upstream.rasa_failure = 500
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["rasa"]["detail"] == "answered 500"


def test_action_server_down_is_not_ready(client: TestClient, upstream: Upstream) -> None:
    upstream.actions_up = False
    response = client.get("/readyz")
    assert response.status_code == 503
    assert not response.json()["checks"]["actions"]["ok"]


def test_database_down_is_not_ready_and_leaks_nothing(tmp_path: Path, upstream: Upstream) -> None:
    settings = make_settings(
        tmp_path, database_url="postgresql+psycopg://helpdesk:pw-s3cret@127.0.0.1:1/helpdesk"
    )
    app = create_app(settings, load_knowledge=False, http_transport=httpx.MockTransport(upstream))
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    database = response.json()["checks"]["database"]
    assert not database["ok"]
    assert "pw-s3cret" not in response.text and "127.0.0.1" not in response.text
