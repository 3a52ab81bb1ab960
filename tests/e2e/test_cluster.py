"""``helpdesk run-cluster`` for real: two gateway workers, two Rasa servers and two action
servers behind nginx, on PostgreSQL and Redis, all on 127.0.0.1, started as one command and
stopped by its process id.

Checked: conversations through nginx's public door; the internal doors open only what they
must and only with the token; a killed Rasa server, action server or gateway worker costs
no request that arrives afterwards (nginx sends it to the other replica) and is restarted;
a conversation keeps its state whichever Rasa server answers; and the command stops every
process it started.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpdesk.settings import PROJECT_ROOT, Settings
from helpdesk_cli.cluster import NGINX
from helpdesk_cli.run import RASA, free_port, model_path, train_if_changed
from tests.store.conftest import create_pg_database, drop_pg_database

pytestmark = [pytest.mark.rasa, pytest.mark.postgres, pytest.mark.redis]

REDIS_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HELPDESK = PROJECT_ROOT / ".venv" / "bin" / "helpdesk"
START_SECONDS = 600
PID_LINE = re.compile(r"^([a-z]+(?:-\d+)?): pid (\d+)$", re.MULTILINE)


@dataclass
class Cluster:
    process: subprocess.Popen[str]
    url: str
    rasa_door: str
    actions_door: str
    settings: Settings
    pids: dict[str, int]
    output: Path

    def chat(self, conversation: str, text: str) -> httpx.Response:
        return httpx.post(
            f"{self.url}/api/chat",
            json={"conversation_id": conversation, "text": text},
            timeout=60,
        )

    def refresh_pids(self) -> dict[str, int]:
        text = self.output.read_text(encoding="utf-8", errors="replace")
        for name, pid in PID_LINE.findall(text):
            self.pids[name] = int(pid)
        for name, pid in re.findall(r"supervisor: (\S+) restarted \(pid (\d+)\)", text):
            self.pids[name] = int(pid)
        return self.pids


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def cluster(
    knowledge_var: Path, real_knowledge: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    if not RASA.exists():
        pytest.skip(f"Rasa is not installed at {RASA} (make setup creates .venv-rasa)")
    if not NGINX.exists():
        pytest.skip(f"nginx is not installed at {NGINX} (apt install nginx-light)")
    if not _redis_reachable(REDIS_URL):
        pytest.skip(f"Redis not reachable at {REDIS_URL}; set HELPDESK_TEST_REDIS_URL")
    database = create_pg_database("helpdesk_cluster_test")
    shared = Settings(var_dir=PROJECT_ROOT / "var", _env_file=None)  # type: ignore[call-arg]
    train_if_changed(shared)  # the model `make run` uses
    work = tmp_path_factory.mktemp("cluster")
    model = model_path(Settings(var_dir=work, _env_file=None))  # type: ignore[call-arg]
    model.parent.mkdir(parents=True)
    shutil.copy(model_path(shared), model)
    shutil.copy(model_path(shared).with_suffix(".hash"), model.with_suffix(".hash"))
    ports = {name: free_port() for name in ("http", "rasa", "actions")}
    env = dict(
        os.environ,
        HELPDESK_ENVIRONMENT="test",
        HELPDESK_VAR_DIR=str(work),
        HELPDESK_INDEX_DIR=str(knowledge_var / "index"),
        HELPDESK_DATABASE_URL=database,
        HELPDESK_REDIS_URL=REDIS_URL,
        HELPDESK_HTTP_PORT=str(ports["http"]),
        HELPDESK_RASA_URL=f"http://127.0.0.1:{ports['rasa']}",
        HELPDESK_ACTIONS_URL=f"http://127.0.0.1:{ports['actions']}",
        HELPDESK_CHAT_RATE_PER_MINUTE="1000",
        HELPDESK_IP_RATE_PER_MINUTE="10000",
    )
    output = work / "run-cluster.out"
    with output.open("w") as out:
        process = subprocess.Popen(
            [str(HELPDESK), "run-cluster"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    settings = Settings(  # type: ignore[call-arg]
        var_dir=work, database_url=database, redis_url=REDIS_URL, _env_file=None
    )
    cluster = Cluster(
        process,
        f"http://127.0.0.1:{ports['http']}",
        f"http://127.0.0.1:{ports['rasa']}",
        f"http://127.0.0.1:{ports['actions']}",
        settings,
        {},
        output,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while "Ready:" not in output.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("run-cluster did not start:\n" + output.read_text(errors="replace"))
            time.sleep(1)
        cluster.refresh_pids()
        yield cluster
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        drop_pg_database(database)


def _answered(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    texts = [m["text"] or "" for m in response.json()["messages"]]
    assert texts, response.text
    return "\n".join(texts)


def test_every_part_runs_twice_behind_nginx(cluster: Cluster) -> None:
    parts = {"gateway-1", "gateway-2", "rasa-1", "rasa-2", "actions-1", "actions-2", "nginx"}
    assert parts <= set(cluster.pids)
    conversation = f"cl{uuid.uuid4().hex[:12]}"
    first = _answered(cluster.chat(conversation, "Làm giấy khai sinh cần gì?"))
    assert "khai sinh" in first.lower(), first
    # the follow-up needs the conversation's state, whichever Rasa server takes it
    for _ in range(4):
        assert _answered(cluster.chat(conversation, "Lệ phí bao nhiêu?"))


def test_the_internal_doors_open_only_with_their_tokens(cluster: Cluster) -> None:
    body = {"sender": "web-doorcheck0001", "message": "xin chào"}
    assert httpx.post(f"{cluster.rasa_door}/webhooks/gateway/webhook", json=body).status_code == 401
    assert httpx.get(f"{cluster.rasa_door}/").status_code == 404  # no Rasa HTTP API
    assert httpx.get(f"{cluster.rasa_door}/conversations/x/tracker").status_code == 404
    call = {"next_action": "action_lookup_record", "sender_id": "x", "tracker": {}}
    assert httpx.post(f"{cluster.actions_door}/webhook", json=call).status_code == 401
    assert httpx.get(f"{cluster.actions_door}/actions").status_code == 404
    token = cluster.settings.internal_token("rasa")
    allowed = httpx.post(
        f"{cluster.rasa_door}/webhooks/gateway/webhook",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert allowed.status_code == 200


@pytest.mark.parametrize("part", ["rasa-1", "actions-2", "gateway-1"])
def test_a_killed_replica_costs_no_later_request_and_comes_back(
    cluster: Cluster, part: str
) -> None:
    pid = cluster.refresh_pids()[part]
    conversation = f"cl{uuid.uuid4().hex[:12]}"
    _answered(cluster.chat(conversation, "Đăng ký kết hôn cần giấy tờ gì?"))
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)  # the kill has landed; nginx finds out on its next connection
    for text in ("Lệ phí bao nhiêu?", "Làm ở đâu?", "Mất bao lâu?"):
        _answered(cluster.chat(conversation, text))
    deadline = time.monotonic() + 300
    while cluster.refresh_pids()[part] == pid:
        assert time.monotonic() < deadline, f"{part} was not restarted"
        time.sleep(1)
    assert f"supervisor: {part} exited" in cluster.output.read_text(errors="replace")
    # while the new process starts (a Rasa server loads its model for a minute) nothing is
    # sent to it that it cannot answer
    for _ in range(8):
        _answered(cluster.chat(conversation, "Làm giấy khai sinh cần gì?"))
        time.sleep(2)


def test_stopping_the_command_stops_every_process(cluster: Cluster) -> None:
    pids = dict(cluster.refresh_pids())
    cluster.process.send_signal(signal.SIGTERM)
    cluster.process.wait(90)
    alive = []
    for name, pid in pids.items():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.append(name)
    assert alive == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{cluster.url}/healthz", timeout=2)
