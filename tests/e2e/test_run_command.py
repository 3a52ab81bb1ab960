"""`helpdesk run` (what `make run` starts): everything comes up, answers, keeps a crashed part
running (restarted with back-off while the others serve), and stops on a signal."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from helpdesk.settings import PROJECT_ROOT, Settings
from helpdesk_cli.run import (
    GATEWAY_HEALTH,
    RASA,
    Service,
    Supervisor,
    backoff_delay,
    free_port,
    model_path,
    spawn,
    stop,
    train_if_changed,
)

HELPDESK = Path(sys.executable).parent / "helpdesk"


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.TransportError:
        return False
    return True


def _wait_for(log: Path, pattern: str, process: subprocess.Popen[bytes]) -> re.Match[str]:
    deadline = time.monotonic() + 300
    while not (found := re.search(pattern, log.read_text())):
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"no {pattern!r} within 5 minutes"
        time.sleep(0.5)
    return found


def _fee_answer(gateway: str, conversation_id: str) -> str:
    reply = httpx.post(
        f"{gateway}/api/chat",
        json={"conversation_id": conversation_id, "text": "đăng ký kết hôn lệ phí bao nhiêu"},
        timeout=60,
    ).json()
    return " ".join(m["text"] for m in reply["messages"])


@pytest.mark.parametrize(
    ("stop_signal", "crash"),
    [(signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["ctrl-c", "term-after-a-crash"],
)
def test_run_starts_everything_and_stops_on_a_signal(
    knowledge_var: Path, real_knowledge, tmp_path: Path, stop_signal: signal.Signals, crash: bool
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
        rasa = f"http://127.0.0.1:{ports['rasa']}"
        assert httpx.get(f"{gateway}/readyz", timeout=10).json()["status"] == "ready"
        assert "1.000894" in _fee_answer(gateway, "run-check-1")

        if crash:  # the action server dies: it comes back, the others keep serving
            log_path = tmp_path / "run.log"
            old_pid = int(_wait_for(log_path, r"actions: pid (\d+)", process).group(1))
            os.killpg(old_pid, signal.SIGKILL)
            _wait_for(
                log_path,
                r"supervisor: actions exited with code -9 \(SIGKILL\); restarting in 1 s",
                process,
            )
            assert httpx.get(f"{gateway}/healthz", timeout=10).status_code == 200
            assert httpx.get(f"{rasa}{GATEWAY_HEALTH}", timeout=10).status_code == 200
            new_pid = int(_wait_for(log_path, r"actions restarted \(pid (\d+)\)", process).group(1))
            _wait_for(log_path, r"supervisor: actions is healthy again", process)
            assert new_pid != old_pid
            actions = f"http://127.0.0.1:{ports['actions']}/health"
            assert httpx.get(actions, timeout=10).status_code == 200
            assert "1.000894" in _fee_answer(gateway, "run-check-2")
            assert "rasa exited" not in log_path.read_text()
            assert "gateway exited" not in log_path.read_text()

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


# --- the supervisor, with a clock the test moves and small real processes -----------------


def test_backoff_doubles_from_one_second_up_to_a_minute() -> None:
    assert [backoff_delay(n) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _wait_exit(service: Service) -> None:
    """Block until the service's process has exited, leaving it for the supervisor to reap."""
    assert service.process is not None
    os.waitid(os.P_PID, service.process.pid, os.WEXITED | os.WNOWAIT)


def test_supervisor_restarts_a_dead_part_with_backoff_and_leaves_the_others() -> None:
    now = [0.0]
    lines: list[str] = []
    flaky = Service("flaky", _python("raise SystemExit(3)"), "")
    steady = Service("steady", _python("import time; time.sleep(120)"), "")
    services = [spawn(flaky), spawn(steady)]
    steady_pid = steady.process.pid  # type: ignore[union-attr]
    supervisor = Supervisor(services, clock=lambda: now[0], say=lines.append, reset_after=60)
    try:
        for crash, delay in [(1, 1), (2, 2), (3, 4)]:
            _wait_exit(flaky)
            supervisor.tick()
            assert lines[-1] == (
                f"supervisor: flaky exited with code 3; restarting in {delay} s "
                f"(crash {crash} in a row)"
            )
            now[0] += delay - 0.1
            supervisor.tick()  # not yet
            assert "restarted" not in lines[-1]
            now[0] += 0.1
            supervisor.tick()
            assert re.fullmatch(r"supervisor: flaky restarted \(pid \d+\)", lines[-1])

        # a restart that stays up: healthy again, and after a minute the back-off starts over
        _wait_exit(flaky)
        flaky.command = _python("import time; time.sleep(120)")
        supervisor.tick()
        assert lines[-1].endswith("restarting in 8 s (crash 4 in a row)")
        now[0] += 8
        supervisor.tick()
        supervisor.tick()
        assert lines[-1] == "supervisor: flaky is healthy again"
        now[0] += 61
        supervisor.tick()
        os.killpg(flaky.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        _wait_exit(flaky)
        supervisor.tick()
        assert lines[-1] == (
            "supervisor: flaky exited with code -9 (SIGKILL); restarting in 1 s (crash 1 in a row)"
        )
        # the other part was never touched
        assert steady.process is not None and steady.process.pid == steady_pid
        assert steady.process.poll() is None
        assert not any("steady" in line for line in lines)
    finally:
        stop(services)


def test_supervisor_kills_a_restart_that_never_becomes_healthy() -> None:
    now = [0.0]
    lines: list[str] = []
    closed = f"http://127.0.0.1:{free_port()}/health"  # nothing listens there
    service = Service("stuck", _python("raise SystemExit(1)"), closed)
    spawn(service)
    supervisor = Supervisor([service], clock=lambda: now[0], say=lines.append, start_timeout=30)
    try:
        _wait_exit(service)
        service.command = _python("import time; time.sleep(120)")  # up, but never healthy
        supervisor.tick()
        now[0] += 1
        supervisor.tick()
        assert "stuck restarted" in lines[-1]
        stuck = service.process
        now[0] += 10
        supervisor.tick()
        assert "stuck restarted" in lines[-1] and stuck is not None and stuck.poll() is None
        now[0] += 21
        supervisor.tick()
        assert lines[-1] == (
            "supervisor: stuck was not healthy 30 s after start; restarting in 2 s "
            "(crash 2 in a row)"
        )
        assert stuck.poll() == -signal.SIGKILL
    finally:
        stop([service])
