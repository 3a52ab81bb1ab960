"""A real assistant for end-to-end tests: action server + Rasa on 127.0.0.1, started as
`helpdesk run` starts them (Rasa without its HTTP API, only the token-guarded gateway channel;
the action server answering only Rasa's token).

The model is the one `make run` uses (var/models), trained here first if config.yml or bot/
changed. Both servers are started by the fixture and stopped by their process ids.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from helpdesk.settings import PROJECT_ROOT, Settings
from helpdesk_cli.run import (
    GATEWAY_WEBHOOK,
    RASA,
    actions_service,
    free_port,
    launch,
    model_path,
    rasa_service,
    render_endpoints,
    stop,
    train_if_changed,
)

# staff at their desks whenever a test runs: a handoff always enters the inbox
ALWAYS_STAFFED = "0:00–24:00, thứ Hai đến Chủ nhật"


@dataclass
class Assistant:
    rasa_url: str
    actions_url: str
    settings: Settings
    demo: object

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}{GATEWAY_WEBHOOK}"

    def rasa_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.internal_token('rasa')}"}

    def actions_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.internal_token('actions')}"}

    def say(self, sender: str, text: str, source: str | None = None) -> list[dict]:
        """One message through the gateway channel, as the gateway sends it (token, source)."""
        source = source or hashlib.sha256(f"e2e-source:{sender}".encode()).hexdigest()[:16]
        body = {"sender": sender, "message": text, "metadata": {"source": source}}
        response = httpx.post(self.webhook, json=body, headers=self.rasa_headers(), timeout=60)
        response.raise_for_status()
        return response.json()

    def text(self, sender: str, message: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(sender, message))


@pytest.fixture(scope="session")
def assistant(knowledge_var: Path, real_knowledge, tmp_path_factory) -> Iterator[Assistant]:
    if not RASA.exists():
        pytest.skip(f"Rasa is not installed at {RASA} (make setup creates .venv-rasa)")
    shared = Settings(var_dir=PROJECT_ROOT / "var", _env_file=None)  # type: ignore[call-arg]
    train_if_changed(shared)  # the model `make run` uses
    work = tmp_path_factory.mktemp("assistant")
    actions_port, rasa_port = free_port(), free_port()
    settings = Settings(
        environment="test",
        var_dir=work,
        index_dir=knowledge_var / "index",
        database_url=f"sqlite:///{work / 'helpdesk.db'}",
        actions_url=f"http://127.0.0.1:{actions_port}",
        staff_hours=ALWAYS_STAFFED,
        _env_file=None,  # type: ignore[call-arg]
    )
    from store.db import make_engine, make_session_factory, migrate
    from store.demo import seed_demo

    engine = make_engine(settings.database_url)
    migrate(engine)
    demo = seed_demo(make_session_factory(engine), settings)
    engine.dispose()
    env = dict(
        os.environ,
        HELPDESK_VAR_DIR=str(work),
        HELPDESK_INDEX_DIR=str(knowledge_var / "index"),
        HELPDESK_DATABASE_URL=settings.database_url,
        HELPDESK_STAFF_HOURS=ALWAYS_STAFFED,
    )
    actions = launch(actions_service(settings, env), 240, work / "actions.log")
    try:
        rasa_url = f"http://127.0.0.1:{rasa_port}"
        rasa = launch(
            rasa_service(model_path(shared), render_endpoints(settings), rasa_url, settings),
            300,
            work / "rasa.log",
        )
        try:
            yield Assistant(rasa_url, settings.actions_url, settings, demo)
        finally:
            stop([rasa])
    finally:
        stop([actions])


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}"


@dataclass
class Gateway:
    """The real HTTP gateway (in process) in front of the running Rasa: what citizens use.

    Only through it are second factors taken out of messages and phone and ID numbers masked,
    so conversations that give a factor go through here, not to Rasa directly.
    """

    client: TestClient

    def say(self, conversation: str, text: str) -> list[dict]:
        body = {"conversation_id": conversation, "text": text}
        response = self.client.post("/api/chat", json=body)
        assert response.status_code == 200, response.text
        messages: list[dict] = response.json()["messages"]
        return messages

    def text(self, conversation: str, text: str) -> str:
        return "\n".join(m["text"] or "" for m in self.say(conversation, text))


@pytest.fixture(scope="session")
def gateway(assistant: Assistant) -> Iterator[Gateway]:
    from connectors.web.app import create_app

    settings = assistant.settings.model_copy(update={"rasa_url": assistant.rasa_url})
    with TestClient(create_app(settings, load_knowledge=False)) as client:
        yield Gateway(client)


@pytest.fixture
def conversation() -> str:
    """A web conversation id (the gateway's Rasa sender id is ``web-`` + this)."""
    return f"e2e{uuid.uuid4().hex[:12]}"
