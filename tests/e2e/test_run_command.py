"""`helpdesk run` (what `make run` starts): everything comes up, answers, and stops on a signal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from helpdesk.run import RASA, free_port, model_path, train_if_changed
from helpdesk.settings import PROJECT_ROOT, Settings

HELPDESK = Path(sys.executable).parent / "helpdesk"


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.TransportError:
        return False
    return True


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_run_starts_everything_and_stops_on_a_signal(
    knowledge_var: Path, real_knowledge, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    if not RASA.exists():
        pytest.skip(f"Rasa is not installed at {RASA} (make setup creates .venv-rasa)")
    shared = Settings(var_dir=PROJECT_ROOT / "var", _env_file=None)  # type: ignore[call-arg]
    train_if_changed(shared)
    # the trained model and its hash, so this run finds nothing to train
    (tmp_path / "models").mkdir()
    for path in (model_path(shared), model_path(shared).with_suffix(".hash")):
        shutil.copy(path, tmp_path / "models" / path.name)
    ports = {"http": free_port(), "rasa": free_port(), "actions": free_port()}
    env = dict(
        os.environ,
        HELPDESK_VAR_DIR=str(tmp_path),
        HELPDESK_INDEX_DIR=str(knowledge_var / "index"),
        HELPDESK_DATABASE_URL=f"sqlite:///{tmp_path / 'helpdesk.db'}",
        HELPDESK_HTTP_PORT=str(ports["http"]),
        HELPDESK_RASA_URL=f"http://127.0.0.1:{ports['rasa']}",
        HELPDESK_ACTIONS_URL=f"http://127.0.0.1:{ports['actions']}",
    )
    env.pop("HELPDESK_TELEGRAM_TOKEN", None)
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        [str(HELPDESK), "run"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 300
        while "Ready." not in (tmp_path / "run.log").read_text():
            assert process.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "not ready within 5 minutes"
            time.sleep(1)
        gateway = f"http://127.0.0.1:{ports['http']}"
        assert httpx.get(f"{gateway}/readyz", timeout=10).json()["status"] == "ready"
        reply = httpx.post(
            f"{gateway}/api/chat",
            json={"conversation_id": "run-check-1", "text": "đăng ký kết hôn lệ phí bao nhiêu"},
            timeout=60,
        ).json()
        assert "1.000894" in " ".join(m["text"] for m in reply["messages"])

        process.send_signal(stop_signal)
        assert process.wait(timeout=60) == 0
        assert "stopping" in (tmp_path / "run.log").read_text()
        assert not any(_listening(port) for port in ports.values())
    finally:
        if process.poll() is None:  # a failed check: stop the services it started, then it
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
