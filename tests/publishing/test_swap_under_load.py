"""Publishing under load, across processes: two gateway replicas and an action server.

Real processes on 127.0.0.1 share one database and one var folder. While worker threads keep
asking every process about procedure 1.000001, an admin publishes a release with a new fee
through one replica's pages (its index is built there, beside the live one), then rolls it
back. Every request must succeed; every process must answer the new fee, then the old one.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from helpdesk.settings import Settings
from helpdesk_cli.run import VENV_BIN, Service, actions_service, free_port, launch, stop
from store.accounts import create_account
from store.db import make_engine, make_session_factory, migrate
from store.vocabulary import StaffRole
from tests.actions.test_webhook import rasa_call
from tests.connectors.staff_site import HTML, PASSWORD, form_token
from tests.publishing.catalogue_files import procedure_file, write_catalogue

SECRET = "publishing-under-load-secret-0123456789abcdef"
NEW_FEE = procedure_file(code="1.000001", fees=[{"name": "Lệ phí", "amount": 8000}])
OLD, NEW = "free", "8000"


@dataclass
class Load:
    """Worker threads asking each process about 1.000001; what each answered, and failures."""

    calls: dict[str, Callable[[httpx.Client], str]]
    seen: dict[str, Counter[str]] = field(default_factory=dict)
    latest: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, name: str) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                try:
                    answer = self.calls[name](client)
                except Exception as exc:  # a failed request is what this test looks for
                    self.failures.append(f"{name}: {type(exc).__name__}: {exc}")
                    continue
                self.seen.setdefault(name, Counter())[answer] += 1
                self.latest[name] = answer


def _fee_from_api(url: str) -> Callable[[httpx.Client], str]:
    def call(client: httpx.Client) -> str:
        response = client.get(f"{url}/api/procedures/1.000001")
        if response.status_code != 200:
            raise AssertionError(f"status {response.status_code}")
        fee = response.json()["fees"][0]
        return NEW if fee.get("amount") == 8000 else OLD if fee.get("free") else str(fee)

    return call


def _search(url: str) -> Callable[[httpx.Client], str]:
    def call(client: httpx.Client) -> str:
        response = client.get(f"{url}/api/procedures/search", params={"q": "lệ phí khai sinh"})
        if response.status_code != 200 or response.json()["results"][0]["code"] != "1.000001":
            raise AssertionError(f"search: {response.status_code} {response.text[:200]}")
        return "search"

    return call


def _fee_from_action(url: str, token: str) -> Callable[[httpx.Client], str]:
    body = rasa_call(
        "action_answer_fee",
        "khai sinh mất bao nhiêu tiền",
        intent="ask_fee",
        slots={"procedure": "1.000001", "topic": "fee"},
    )

    def call(client: httpx.Client) -> str:
        response = client.post(
            f"{url}/webhook", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code != 200:
            raise AssertionError(f"status {response.status_code}")
        text = " ".join(r.get("text") or "" for r in response.json()["responses"])
        return NEW if "8.000" in text else OLD

    return call


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[tuple[list[str], str, Settings]]:
    catalogue = write_catalogue(tmp_path / "shipped")
    database = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    engine = make_engine(database)
    migrate(engine)
    actions_url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        environment="test",
        var_dir=tmp_path / "var",
        database_url=database,
        secret_key=SecretStr(SECRET),
        actions_url=actions_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    create_account(make_session_factory(engine), settings, "admin1", StaffRole.ADMIN, PASSWORD)
    engine.dispose()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")},
        "HELPDESK_ENVIRONMENT": "test",
        "HELPDESK_VAR_DIR": str(tmp_path / "var"),
        "HELPDESK_CATALOGUE_DIR": str(catalogue),
        "HELPDESK_DATABASE_URL": database,
        "HELPDESK_SECRET_KEY": SECRET,
        "HELPDESK_CATALOGUE_POLL_SECONDS": "0.3",
        "HELPDESK_IP_RATE_PER_MINUTE": "100000",
        "HELPDESK_ACTIONS_URL": actions_url,
        "HELPDESK_RASA_URL": f"http://127.0.0.1:{free_port()}",
    }
    services: list[Service] = []
    try:
        services.append(launch(actions_service(settings, env), 300, tmp_path / "actions.log"))
        gateways = []
        for number in (1, 2):
            port = free_port()
            command = [str(VENV_BIN / "uvicorn"), "--factory", "connectors.web.app:create_app"]
            command += ["--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers"]
            url = f"http://127.0.0.1:{port}"
            service = Service(f"gateway-{number}", command, f"{url}/healthz", env)
            services.append(launch(service, 300, tmp_path / f"gateway-{number}.log"))
            gateways.append(url)
        yield gateways, actions_url, settings
    finally:
        stop(services)


def _admin(gateway: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=gateway, headers=HTML, timeout=60)
    login = client.get("/staff/login")
    data = {"username": "admin1", "password": PASSWORD, "csrf_token": form_token(login)}
    assert client.post("/staff/login", data=data).status_code == 303
    return client, form_token(client.get("/staff/catalogue"))


def test_publish_and_rollback_swap_every_process_without_a_failed_request(
    processes: tuple[list[str], str, Settings],
) -> None:
    gateways, actions_url, settings = processes
    token = settings.internal_token("actions")
    load = Load(
        {
            "gateway-1": _fee_from_api(gateways[0]),
            "gateway-2": _fee_from_api(gateways[1]),
            "gateway-2 search": _search(gateways[1]),
            "action server": _fee_from_action(actions_url, token),
        }
    )
    workers = [threading.Thread(target=load.run, args=(name,)) for name in load.calls]
    for worker in workers:
        worker.start()
    admin, csrf = _admin(gateways[0])
    try:
        _wait_answers(load, OLD)
        staged = admin.post(
            "/staff/catalogue/upload",
            data={"csrf_token": csrf},
            files=[("files", ("khai-sinh.yaml", NEW_FEE, "application/x-yaml"))],
        )
        assert staged.status_code == 303, staged.text
        release = staged.headers["location"].rsplit("/", 1)[1]
        published = admin.post(
            f"/staff/catalogue/releases/{release}/publish", data={"csrf_token": csrf}
        )
        assert published.status_code == 303, published.text
        _wait_answers(load, NEW)
        rolled = admin.post("/staff/catalogue/rollback", data={"csrf_token": csrf, "version": "1"})
        assert rolled.status_code == 303
        _wait_answers(load, OLD)
    finally:
        load.stop.set()
        for worker in workers:
            worker.join(timeout=60)
        admin.close()
    print(f"answers per process during publish and rollback: {load.seen}")  # pytest -s
    assert load.failures == []
    for name in ("gateway-1", "gateway-2", "action server"):
        assert load.seen[name][NEW] > 0 and load.seen[name][OLD] > 0, load.seen
    assert sum(sum(c.values()) for c in load.seen.values()) > 100, load.seen


def _wait_answers(load: Load, answer: str) -> None:
    deadline = time.monotonic() + 300
    names = [name for name in load.calls if not name.endswith("search")]
    while time.monotonic() < deadline:
        if all(load.latest.get(name) == answer for name in names):
            return
        time.sleep(0.2)
    raise AssertionError(f"not every process answers {answer}: {load.latest}")
