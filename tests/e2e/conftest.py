"""A real assistant for end-to-end tests: action server + Rasa (REST channel) on 127.0.0.1.

The model is the one `make run` uses (var/models), trained here first if config.yml or bot/
changed. Both servers are started by the fixture and stopped by their process ids.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpdesk.run import (
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
from helpdesk.settings import PROJECT_ROOT, Settings


@dataclass
class Assistant:
    rest_url: str
    settings: Settings
    demo: object

    def say(self, sender: str, text: str) -> list[dict]:
        response = httpx.post(self.rest_url, json={"sender": sender, "message": text}, timeout=60)
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
    )
    actions = launch(actions_service(settings, env), 240, work / "actions.log")
    try:
        rasa_url = f"http://127.0.0.1:{rasa_port}"
        rasa = launch(
            rasa_service(model_path(shared), render_endpoints(settings), rasa_url),
            300,
            work / "rasa.log",
        )
        try:
            yield Assistant(f"{rasa_url}/webhooks/rest/webhook", settings, demo)
        finally:
            stop([rasa])
    finally:
        stop([actions])


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}"
