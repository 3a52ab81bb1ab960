"""The internal doors stay shut: Rasa and the action server answer only the install's tokens.

Three layers: the gateway channel alone (bot/channels.py in a bare Sanic app with a stand-in
agent, Rasa's environment, no model); the command and endpoints ``helpdesk run`` starts Rasa
with; and the real Rasa and action server as ``helpdesk run`` starts them (the ``assistant``
fixture), probed as another local user would.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from helpdesk.settings import PROJECT_ROOT, Settings
from helpdesk_cli.run import (
    ACTIONS_TOKEN_ENV,
    GATEWAY_HEALTH,
    GATEWAY_WEBHOOK,
    RASA_PYTHON,
    RASA_TOKEN_ENV,
    free_port,
    rasa_service,
    render_endpoints,
)
from tests.connectors.servers import wait_until_up
from tests.e2e.conftest import Assistant

pytestmark = pytest.mark.skipif(
    not RASA_PYTHON.exists(), reason="no Rasa environment (.venv-rasa; make setup creates it)"
)

TOKEN = "5e" * 32
CAP = 50
SERVER = PROJECT_ROOT / "tests" / "e2e" / "gateway_channel_server.py"
MARKER = "do-not-echo-4b1d"


def rasa_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    return {**env, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false", **extra}


@dataclass
class Channel:
    url: str
    health_before_ready: int

    @property
    def webhook(self) -> str:
        return f"{self.url}{GATEWAY_WEBHOOK}"

    def handled(self) -> int:
        return int(httpx.get(f"{self.url}/_handled").json()["handled"])

    def post(self, content: bytes) -> httpx.Response:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        return httpx.post(self.webhook, content=content, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Channel]:
    """The gateway channel with token ``TOKEN`` and a cap of ``CAP`` characters."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("channel") / "server.log"
    env = rasa_environment(**{RASA_TOKEN_ENV: TOKEN, "HELPDESK_MAX_MESSAGE_CHARS": str(CAP)})
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(RASA_PYTHON), str(SERVER), str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            wait_until_up(f"{url}/", process, timeout=240)
        except RuntimeError:
            raise RuntimeError(log.read_text()[-3000:]) from None
        health = httpx.get(f"{url}{GATEWAY_HEALTH}").status_code
        httpx.post(f"{url}/_ready")
        yield Channel(url, health)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def body(message: str = "xin chào", **extra: object) -> bytes:
    return json.dumps({"sender": "web-doors-1", "message": message, **extra}).encode()


def test_channel_health_is_503_until_the_model_is_loaded(channel: Channel) -> None:
    assert channel.health_before_ready == 503
    assert httpx.get(f"{channel.url}{GATEWAY_HEALTH}").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        TOKEN,  # without "Bearer "
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}0",
        f"bearer {TOKEN}",
        f"Basic {TOKEN}",
        "Bearer " + "0" * 64,
    ],
)
def test_channel_refuses_without_the_token(channel: Channel, authorization: str | None) -> None:
    before = channel.handled()
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.post(channel.webhook, content=body(), headers=headers)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}
    assert channel.handled() == before


@pytest.mark.parametrize(
    "content",
    [
        f"not json {MARKER}".encode(),
        b"\xff\xfe",
        b"",
        json.dumps([MARKER]).encode(),
        json.dumps({"message": MARKER}).encode(),
        json.dumps({"sender": 7, "message": MARKER}).encode(),
        json.dumps({"sender": "", "message": MARKER}).encode(),
        json.dumps({"sender": "s" * 200, "message": MARKER}).encode(),
        json.dumps({"sender": "web-doors-1"}).encode(),
        json.dumps({"sender": "web-doors-1", "message": ["x"]}).encode(),
        body(metadata=[MARKER]),
        body(metadata=MARKER),
        b"[" * 60_000,
    ],
    ids=[
        "not-json",
        "not-utf8",
        "empty",
        "a-list",
        "no-sender",
        "sender-not-string",
        "sender-empty",
        "sender-too-long",
        "no-message",
        "message-not-string",
        "metadata-a-list",
        "metadata-a-string",
        "deeply-nested",
    ],
)
def test_channel_refuses_what_is_not_a_message(channel: Channel, content: bytes) -> None:
    before = channel.handled()
    response = channel.post(content)
    assert response.status_code == 400
    assert MARKER not in response.text
    assert channel.handled() == before


def test_channel_refuses_a_message_over_the_cap_without_running_the_bot(channel: Channel) -> None:
    before = channel.handled()
    assert channel.post(body("x" * (CAP + 1))).status_code == 413
    assert channel.post(body("x" * 20_000)).status_code == 413
    assert channel.handled() == before
    assert channel.post(body("x" * CAP)).status_code == 200
    assert channel.handled() == before + 1


def test_channel_refuses_a_large_body_before_reading_it_all(channel: Channel) -> None:
    response = channel.post(body("x", padding="y" * 500_000))
    assert response.status_code == 413


def test_channel_passes_the_metadata_and_names_itself(channel: Channel) -> None:
    response = channel.post(body("lệ phí", metadata={"source": "a1b2c3"}, input_channel="rest"))
    assert response.status_code == 200
    [answer] = response.json()
    assert answer["custom"] == {
        "text": "lệ phí",
        "metadata": {"source": "a1b2c3"},
        "input_channel": "gateway",
    }
    without = channel.post(body("lệ phí")).json()
    assert without[0]["custom"]["metadata"] is None


GATEWAY_EVENTS = "/webhooks/gateway/events"


def tracker_event(url: str, body: object, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{url}{GATEWAY_EVENTS}", json=body, headers=headers, timeout=30)


def test_channel_pauses_and_resumes_a_conversation_only_with_the_token(channel: Channel) -> None:
    sender = "web-doors-pause"

    def paused() -> bool:
        return bool(httpx.get(f"{channel.url}/_paused/{sender}", timeout=30).json()["paused"])

    pause = {"sender": sender, "event": "pause"}
    for token in (None, "0" * 64, TOKEN[:-1]):
        assert tracker_event(channel.url, pause, token).status_code == 401
    for bad in (
        {"sender": sender},
        {"sender": "", "event": "pause"},
        ["pause"],
        {**pause, "event": "restart"},
    ):
        assert tracker_event(channel.url, bad, TOKEN).status_code == 400
    assert not paused()
    answer = tracker_event(channel.url, pause, TOKEN)
    assert answer.status_code == 200 and answer.json() == {"event": "pause", "paused": True}
    assert paused()
    resumed = tracker_event(channel.url, {"sender": sender, "event": "resume"}, TOKEN)
    assert resumed.json() == {"event": "resume", "paused": False} and not paused()


def test_channel_has_no_open_rest_route(channel: Channel) -> None:
    rest = httpx.post(f"{channel.url}/webhooks/rest/webhook", content=body())
    assert rest.status_code in (404, 405)


def test_channel_refuses_to_start_without_its_token(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), str(SERVER), str(free_port())],
        cwd=PROJECT_ROOT,
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert RASA_TOKEN_ENV in result.stdout + result.stderr


# --- how `helpdesk run` starts Rasa ------------------------------------------------------


def test_rasa_runs_without_its_api_and_the_tokens_are_not_on_the_command_line(
    tmp_path: Path,
) -> None:
    settings = Settings(environment="test", var_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    service = rasa_service(
        tmp_path / "model.tar.gz", tmp_path / "endpoints.yml", "http://127.0.0.1:5005", settings
    )
    assert "--enable-api" not in service.command
    assert not any("token" in arg.lower() for arg in service.command)
    for token in (settings.internal_token("rasa"), settings.internal_token("actions")):
        assert not any(token in arg for arg in service.command)
    assert service.env[RASA_TOKEN_ENV] == settings.internal_token("rasa")
    assert service.env[ACTIONS_TOKEN_ENV] == settings.internal_token("actions")
    assert service.health == f"http://127.0.0.1:5005{GATEWAY_HEALTH}"
    credentials = yaml.safe_load((PROJECT_ROOT / "bot" / "credentials.yml").read_text())
    assert list(credentials) == ["bot.channels.GatewayInput"]


def test_rasa_sends_the_action_server_token_from_its_environment(tmp_path: Path) -> None:
    """The rendered endpoints name the variable, not the token; Rasa's own reader expands it
    (and refuses the file when the variable is missing). The file is readable by its owner
    only."""
    settings = Settings(environment="test", var_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    path = render_endpoints(settings)
    token = settings.internal_token("actions")
    assert token not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    read = (
        "import sys; from rasa.utils.endpoints import read_endpoint_config; "
        "print(read_endpoint_config(sys.argv[1], 'action_endpoint').headers['Authorization'])"
    )
    command = [str(RASA_PYTHON), "-c", read, str(path)]
    ok = subprocess.run(
        command,
        env=rasa_environment(**{ACTIONS_TOKEN_ENV: token}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert ok.stdout.strip().splitlines()[-1] == f"Bearer {token}"
    missing = subprocess.run(
        command, env=rasa_environment(), capture_output=True, text=True, timeout=300, check=False
    )
    assert missing.returncode != 0
    assert ACTIONS_TOKEN_ENV in missing.stderr


# --- the real Rasa and action server, started as `helpdesk run` starts them ---------------


def test_rasa_answers_only_the_gateway_token(assistant: Assistant, sender: str) -> None:
    message = {"sender": sender, "message": "xin chào"}
    assert httpx.post(assistant.webhook, json=message, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer " + "0" * 64}
    assert httpx.post(assistant.webhook, json=message, headers=wrong, timeout=30).status_code == 401
    # with the token, a question that needs the action server: Rasa sends that token too
    assert "1.000894" in assistant.text(sender, "đăng ký kết hôn lệ phí bao nhiêu")


def test_rasa_has_no_rest_channel_and_no_http_api(assistant: Assistant, sender: str) -> None:
    assistant.say(sender, "xin chào")  # the conversation exists
    rest = httpx.post(
        f"{assistant.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": "xin chào"},
        timeout=30,
    )
    assert rest.status_code in (404, 405)
    tracker = httpx.get(f"{assistant.rasa_url}/conversations/{sender}/tracker", timeout=30)
    assert tracker.status_code == 404
    assert "events" not in tracker.text and "slots" not in tracker.text  # no tracker at all
    injected = httpx.post(
        f"{assistant.rasa_url}/conversations/{sender}/tracker/events",
        json={"event": "slot", "name": "language", "value": "en"},
        timeout=30,
    )
    assert injected.status_code in (404, 405)
    assert httpx.put(f"{assistant.rasa_url}/model", json={}, timeout=30).status_code in (404, 405)
    assert httpx.get(f"{assistant.rasa_url}/status", timeout=30).status_code == 404
    assert httpx.get(f"{assistant.rasa_url}{GATEWAY_HEALTH}", timeout=30).status_code == 200


def tracker_rows(assistant: Assistant, sender: str) -> list[tuple[str, str]]:
    with sqlite3.connect(assistant.settings.var_dir / "rasa-tracker.db") as db:
        return db.execute(
            "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()


def test_rasa_refuses_a_huge_message_without_running_the_bot(assistant: Assistant) -> None:
    sender = f"e2e-huge-{uuid.uuid4().hex[:8]}"
    response = httpx.post(
        assistant.webhook,
        json={"sender": sender, "message": "đăng ký khai sinh " * 1200},  # 21,600 characters
        headers=assistant.rasa_headers(),
        timeout=30,
    )
    assert response.status_code in (413, 422)
    assert tracker_rows(assistant, sender) == []


def test_the_message_source_reaches_the_tracker(assistant: Assistant, sender: str) -> None:
    assistant.say(sender, "xin chào", source="src-5f2e")
    users = [json.loads(data) for kind, data in tracker_rows(assistant, sender) if kind == "user"]
    assert users[-1]["metadata"]["source"] == "src-5f2e"
    assert users[-1]["input_channel"] == "gateway"


def test_a_paused_conversation_is_recorded_but_not_answered(
    assistant: Assistant, sender: str
) -> None:
    question = "đăng ký kết hôn lệ phí bao nhiêu"
    pause = {"sender": sender, "event": "pause"}
    assert tracker_event(assistant.rasa_url, pause, None).status_code == 401
    token = assistant.rasa_headers()["Authorization"].removeprefix("Bearer ")
    assert tracker_event(assistant.rasa_url, pause, token).json()["paused"] is True
    assert assistant.say(sender, question) == []  # a staff member answers instead
    kinds = [kind for kind, _ in tracker_rows(assistant, sender)]
    assert "pause" in kinds and kinds[-1] != "bot"
    users = [json.loads(d)["text"] for k, d in tracker_rows(assistant, sender) if k == "user"]
    assert users[-1] == question  # recorded all the same
    resume = {"sender": sender, "event": "resume"}
    assert tracker_event(assistant.rasa_url, resume, token).json()["paused"] is False
    assert "1.000894" in assistant.text(sender, question)


def test_action_server_answers_only_rasa(assistant: Assistant) -> None:
    from tests.actions.test_webhook import rasa_call

    url = assistant.actions_url
    call = rasa_call(
        "action_answer_fee", "lệ phí", intent="ask_fee", slots={"procedure": "1.001193"}
    )
    assert httpx.post(f"{url}/webhook", json=call, timeout=30).status_code == 401
    assert httpx.get(f"{url}/actions", timeout=30).status_code == 401
    assert httpx.get(f"{url}/health", timeout=30).status_code == 200
    auth = assistant.actions_headers()
    for content in (b"{}", f"not json {MARKER}".encode()):
        refused = httpx.post(f"{url}/webhook", content=content, headers=auth, timeout=30)
        assert refused.status_code == 400
        assert refused.json() == {"error": "invalid action call"}
    gzip = httpx.post(
        f"{url}/webhook",
        content=b"\x1f\x8b" + MARKER.encode(),
        headers={**auth, "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert gzip.status_code == 415
    assert MARKER not in gzip.text
    ran = httpx.post(f"{url}/webhook", json=call, headers=auth, timeout=30)
    assert ran.status_code == 200
    assert "1.001193" in ran.json()["responses"][0]["text"]
