"""The action server over HTTP, with payloads shaped as Rasa 3.6 sends them.

Only Rasa may call it: every request but ``/health`` carries the install's internal token for
the action server (``settings.internal_token("actions")``), as Rasa sends it.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpdesk.settings import Settings
from helpdesk_cli.run import actions_service, free_port, launch, stop

MARKER = "do-not-echo-7f3a9c"


@dataclass(frozen=True)
class ActionServer:
    url: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def call(self, body: dict) -> httpx.Response:
        return httpx.post(f"{self.url}/webhook", json=body, headers=self.auth, timeout=30)


@pytest.fixture(scope="module")
def action_server(knowledge_var: Path, real_knowledge, tmp_path_factory) -> Iterator[ActionServer]:
    """A real action server process on 127.0.0.1, stopped by its process id."""
    work = tmp_path_factory.mktemp("webhook")
    settings = Settings(
        environment="test",
        var_dir=knowledge_var,
        actions_url=f"http://127.0.0.1:{free_port()}",
        _env_file=None,  # type: ignore[call-arg]
    )
    env = dict(
        os.environ,
        HELPDESK_VAR_DIR=str(knowledge_var),
        HELPDESK_INDEX_DIR=str(knowledge_var / "index"),
        HELPDESK_DATABASE_URL=f"sqlite:///{work / 'helpdesk.db'}",
    )
    server = launch(actions_service(settings, env), 120, work / "actions.log")
    try:
        yield ActionServer(settings.actions_url, settings.internal_token("actions"))
    finally:
        stop([server])


def rasa_call(
    action: str,
    text: str,
    *,
    intent: str,
    slots: dict | None = None,
    entities: list | None = None,
    sender: str = "web-abc123",
) -> dict:
    """The JSON body Rasa 3.6.21 POSTs to the action endpoint."""
    parse = {
        "intent": {"name": intent, "confidence": 0.97},
        "entities": entities or [],
        "text": text,
        "message_id": "6d1c",
        "metadata": {},
        "intent_ranking": [{"name": intent, "confidence": 0.97}],
    }
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {"language": "vi", "procedure": None, "topic": None, **(slots or {})},
            "latest_message": parse,
            "latest_event_time": 1764000000.0,
            "followup_action": None,
            "paused": False,
            "events": [
                {"event": "action", "timestamp": 1764000000.0, "name": "action_session_start"},
                {"event": "session_started", "timestamp": 1764000000.0},
                {"event": "action", "timestamp": 1764000000.0, "name": "action_listen"},
                {
                    "event": "user",
                    "timestamp": 1764000001.0,
                    "text": text,
                    "parse_data": parse,
                    "input_channel": "rest",
                },
            ],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
        "domain": {
            "version": "3.1",
            "intents": [intent],
            "entities": [],
            "slots": {},
            "responses": {},
            "actions": [action],
            "forms": {},
        },
        "version": "3.6.21",
    }


def test_lists_every_action(action_server: ActionServer) -> None:
    listed = httpx.get(f"{action_server.url}/actions", headers=action_server.auth).json()
    names = {a["name"] if isinstance(a, dict) else a for a in listed}
    assert {
        "action_answer_documents",
        "action_answer_fee",
        "action_answer_time",
        "action_answer_where",
        "action_answer_online",
        "action_answer_procedure",
        "action_choose_procedure",
        "action_check_record_status",
        "validate_record_status_form",
        "validate_office_form",
        "action_find_office",
        "action_handoff",
        "action_feedback",
        "action_set_language",
        "action_fallback_search",
    } <= names


def test_fee_question_over_the_webhook(action_server: ActionServer) -> None:
    body = rasa_call(
        "action_answer_fee",
        "chứng thực bản sao 5 trang bao nhiêu tiền",
        intent="ask_fee",
        entities=[{"entity": "page_count", "value": "5", "start": 20, "end": 21}],
    )
    response = action_server.call(body)
    assert response.status_code == 200
    data = response.json()
    assert "tổng cộng 7.000 đồng" in data["responses"][0]["text"]
    assert {"event": "slot", "timestamp": None, "name": "procedure", "value": "2.000815"} in data[
        "events"
    ]


def test_follow_up_over_the_webhook_in_english(action_server: ActionServer) -> None:
    body = rasa_call(
        "action_answer_where",
        "and where do I go?",
        intent="ask_where",
        slots={"language": "en", "procedure": "1.014064"},
    )
    data = action_server.call(body).json()
    assert data["responses"][0]["text"].startswith("Where to apply:")
    assert "procedure 1.014064" in data["responses"][0]["text"]


def test_form_validation_over_the_webhook(action_server: ActionServer) -> None:
    body = rasa_call(
        "validate_record_status_form",
        "000.00.12.h12 250701 0001",
        intent="give_record_code",
        slots={"requested_slot": "record_code", "record_code": "000.00.12.h12 250701 0001"},
    )
    body["tracker"]["active_loop"] = {"name": "record_status_form"}
    # Rasa appends the slot candidates extracted by the form after the user's message
    body["tracker"]["events"].append(
        {
            "event": "slot",
            "timestamp": 1764000001.5,
            "name": "record_code",
            "value": "000.00.12.h12 250701 0001",
        }
    )
    body["domain"]["forms"] = {
        "record_status_form": {"required_slots": ["record_code", "verification"]}
    }
    body["domain"]["slots"] = {"record_code": {"type": "text"}, "verification": {"type": "text"}}
    data = action_server.call(body).json()
    slots = {e["name"]: e["value"] for e in data["events"] if e["event"] == "slot"}
    assert slots["record_code"] == "000.00.12.H12-250701-0001"


def test_answer_without_domain_as_rasa_sends_with_selective_domain(
    action_server: ActionServer,
) -> None:
    body = rasa_call(
        "action_answer_fee", "lệ phí bao nhiêu", intent="ask_fee", slots={"procedure": "1.001193"}
    )
    del body["domain"]
    response = action_server.call(body)
    assert response.status_code == 200
    assert "1.001193" in response.json()["responses"][0]["text"]


def test_actions_that_read_the_domain_are_sent_it(tmp_path: Path) -> None:
    """Every form validation (rasa-sdk reads the form's slots from the domain) is marked
    send_domain in bot/domain.yml, and the endpoints enable the selective domain."""
    import importlib
    import inspect
    import pkgutil

    import yaml
    from rasa_sdk import FormValidationAction
    from rasa_sdk.utils import all_subclasses

    import actions
    from helpdesk_cli.run import render_endpoints

    for module in pkgutil.iter_modules(actions.__path__):
        importlib.import_module(f"actions.{module.name}")
    validations = {
        cls().name()
        for cls in all_subclasses(FormValidationAction)
        if cls.__module__.startswith("actions.") and not inspect.isabstract(cls)
    }
    assert len(validations) == 2
    root = Path(__file__).resolve().parents[2]
    domain = yaml.safe_load((root / "bot" / "domain.yml").read_text())
    marked = {
        name
        for entry in domain["actions"]
        if isinstance(entry, dict)
        for name, options in entry.items()
        if options.get("send_domain")
    }
    assert marked == validations
    for endpoints in (
        yaml.safe_load((root / "bot" / "endpoints.yml").read_text()),
        yaml.safe_load(render_endpoints(Settings(var_dir=tmp_path, _env_file=None)).read_text()),  # type: ignore[call-arg]
    ):
        assert endpoints["action_endpoint"]["enable_selective_domain"] is True


def test_unknown_action_is_a_404(action_server: ActionServer) -> None:
    body = rasa_call("action_does_not_exist", "hi", intent="greet")
    assert action_server.call(body).status_code == 404


def test_only_rasa_token_runs_actions(action_server: ActionServer) -> None:
    body = rasa_call(
        "action_answer_fee", "lệ phí", intent="ask_fee", slots={"procedure": "1.001193"}
    )
    for headers in (
        {},
        {"Authorization": "Bearer " + "0" * 64},
        {"Authorization": action_server.token},  # without "Bearer "
        {"Authorization": f"Bearer {action_server.token}x"},
        {"Authorization": f"Basic {action_server.token}"},
    ):
        webhook = httpx.post(f"{action_server.url}/webhook", json=body, headers=headers)
        assert webhook.status_code == 401, headers
        assert webhook.json() == {"error": "unauthorized"}
        assert webhook.headers["www-authenticate"] == "Bearer"
        assert httpx.get(f"{action_server.url}/actions", headers=headers).status_code == 401
    assert httpx.get(f"{action_server.url}/health").status_code == 200  # stays open
    assert action_server.call(body).status_code == 200


@pytest.mark.parametrize(
    "content",
    [
        b"{}",
        b"",
        f"not json {MARKER}".encode(),
        b"\xff\xfe" + MARKER.encode(),
        json.dumps([MARKER]).encode(),
        json.dumps({"next_action": "action_answer_fee", "note": MARKER}).encode(),
        json.dumps({"next_action": "action_answer_fee", "tracker": MARKER}).encode(),
        json.dumps({"next_action": 7, "tracker": {"sender_id": MARKER}}).encode(),
        json.dumps({"tracker": {"sender_id": MARKER}}).encode(),
        json.dumps(
            {"next_action": "action_answer_fee", "tracker": {"sender_id": "x", "events": MARKER}}
        ).encode(),
        b"[" * 100_000,
    ],
    ids=[
        "empty-object",
        "empty-body",
        "not-json",
        "not-utf8",
        "a-list",
        "no-tracker",
        "tracker-not-object",
        "next-action-not-string",
        "no-next-action",
        "events-not-list",
        "deeply-nested",
    ],
)
def test_a_body_that_is_not_an_action_call_is_a_400(
    action_server: ActionServer, content: bytes
) -> None:
    response = httpx.post(
        f"{action_server.url}/webhook",
        content=content,
        headers={**action_server.auth, "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid action call"}


@pytest.mark.parametrize(
    ("encoding", "content"),
    [
        ("gzip", b"\x1f\x8b garbage " + MARKER.encode()),
        # rasa-sdk would inflate this itself: a small body can inflate to gigabytes
        (
            "deflate",
            zlib.compress(json.dumps(rasa_call("action_handoff", "hi", intent="x")).encode()),
        ),
        ("br", b"garbage"),
    ],
)
def test_compressed_bodies_are_refused(
    action_server: ActionServer, encoding: str, content: bytes
) -> None:
    response = httpx.post(
        f"{action_server.url}/webhook",
        content=content,
        headers={**action_server.auth, "Content-Encoding": encoding},
        timeout=30,
    )
    assert response.status_code == 415
    assert MARKER not in response.text


def test_an_action_that_fails_answers_without_the_request(action_server: ActionServer) -> None:
    """rasa-sdk's own error answer repeats the whole request (the citizen's text): not here."""
    body = rasa_call(
        "validate_record_status_form",
        MARKER,
        intent="give_record_code",
        slots={"requested_slot": "record_code"},
    )
    body["tracker"]["active_loop"] = {"name": "record_status_form"}
    body["tracker"]["events"].append(MARKER)  # not an event: rasa-sdk's form code fails on it
    body["domain"]["forms"] = {
        "record_status_form": {"required_slots": ["record_code", "verification"]}
    }
    body["domain"]["slots"] = {"record_code": {"type": "text"}, "verification": {"type": "text"}}
    response = action_server.call(body)
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}
    assert MARKER not in response.text
