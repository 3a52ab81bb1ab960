"""``helpdesk run``: the whole assistant with one command, stopped cleanly by Ctrl-C.

Trains the Rasa model only when ``config.yml`` or ``bot/`` changed (hash cached), renders
Rasa's endpoints (tracker store, lock store, action server) from the settings, starts the
action server, Rasa and the HTTP gateway (and Telegram polling when configured), waits for
each to be healthy and prints where to chat.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import httpx
import typer
import yaml

from helpdesk.settings import PROJECT_ROOT, Settings, get_settings

RASA = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = RASA.parent / "python"
VENV_BIN = Path(sys.executable).parent
MODEL_NAME = "helpdesk"


def bot_sources() -> list[Path]:
    """Everything the trained model depends on."""
    # the custom NLU components fold text with knowledge.normalize
    files = [PROJECT_ROOT / "config.yml", PROJECT_ROOT / "knowledge" / "normalize.py"]
    bot = PROJECT_ROOT / "bot"
    for path in sorted(bot.rglob("*")):
        if not path.is_file() or "models" in path.parts or "__pycache__" in path.parts:
            continue
        if path.suffix in {".yml", ".yaml", ".py", ".txt"} and "tests" not in path.parts:
            files.append(path)
    return files


def bot_hash(files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def model_path(settings: Settings) -> Path:
    return settings.var_dir / "models" / f"{MODEL_NAME}.tar.gz"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=str(PROJECT_ROOT),
        TF_CPP_MIN_LOG_LEVEL="2",
        TQDM_DISABLE="1",
        SANIC_HOST="127.0.0.1",
    )
    return env


def train_if_changed(settings: Settings, force: bool = False) -> bool:
    """Train the Rasa model when its sources changed; return whether it trained."""
    model = model_path(settings)
    stamp = model.with_suffix(".hash")
    current = bot_hash(bot_sources())
    if not force and model.exists() and stamp.exists() and stamp.read_text() == current:
        return False
    model.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(RASA), "train", "--config", "config.yml", "--domain", "bot/domain.yml",
        "--data", "bot/data", "--out", str(model.parent), "--fixed-model-name", MODEL_NAME,
    ]  # fmt: skip
    typer.echo("training the Rasa model (config.yml or bot/ changed)...")
    subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_env(), check=True)
    stamp.write_text(current)
    return True


TRACKER_STORE = "bot.tracker_store.CachedSQLTrackerStore"


def tracker_store(settings: Settings) -> dict[str, object]:
    """Rasa's SQL tracker store (rows as Rasa writes them, recent conversations kept in
    memory): SQLite beside our database, or the same PostgreSQL server."""
    url = urlsplit(settings.database_url.replace("+psycopg", "").replace("+psycopg2", ""))
    if url.scheme.startswith("postgres"):
        return {
            "type": TRACKER_STORE,
            "dialect": "postgresql",
            "url": url.hostname or "127.0.0.1",
            "port": url.port or 5432,
            "username": url.username or "postgres",
            "password": url.password or "",
            "db": url.path.lstrip("/") or "postgres",
        }
    return {
        "type": TRACKER_STORE,
        "dialect": "sqlite",
        "db": str(settings.var_dir / "rasa-tracker.db"),
    }


def render_endpoints(settings: Settings) -> Path:
    """Write Rasa's endpoints.yml for these settings (action server, stores)."""
    endpoints: dict[str, object] = {
        # the domain goes only to the actions marked send_domain in bot/domain.yml
        "action_endpoint": {
            "url": f"{settings.actions_url}/webhook",
            "enable_selective_domain": True,
        },
        "tracker_store": tracker_store(settings),
    }
    if settings.redis_url:
        redis = urlsplit(settings.redis_url)
        endpoints["lock_store"] = {
            "type": "redis",
            "url": redis.hostname or "127.0.0.1",
            "port": redis.port or 6379,
            "db": int(redis.path.lstrip("/") or 0),
            "key_prefix": "helpdesk",
        }
    path = settings.var_dir / "endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


@dataclass
class Service:
    name: str
    command: list[str]
    health: str
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = PROJECT_ROOT
    process: subprocess.Popen[bytes] | None = None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for tests and benchmarks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port(url: str) -> str:
    return str(urlsplit(url).port)


def actions_service(settings: Settings, env: dict[str, str] | None = None) -> Service:
    command = [
        str(VENV_BIN / "helpdesk"),
        "actions",
        "serve",
        "--port",
        _port(settings.actions_url),
    ]
    return Service("actions", command, f"{settings.actions_url}/health", env or dict(os.environ))


def rasa_service(model: Path, endpoints: Path, rasa_url: str) -> Service:
    # bot.server is Rasa's own command line with the action-response check compiled once
    command = [
        str(RASA_PYTHON), "-m", "bot.server", "run", "--enable-api",
        "--model", str(model), "--endpoints", str(endpoints),
        "--credentials", "bot/credentials.yml", "--interface", "127.0.0.1",
        "--port", _port(rasa_url),
    ]  # fmt: skip
    return Service("rasa", command, f"{rasa_url}/status", rasa_env())


def services_for(settings: Settings, endpoints: Path) -> list[Service]:
    gateway = [
        str(VENV_BIN / "uvicorn"), "--factory", "connectors.web.app:create_app",
        "--host", settings.http_host, "--port", str(settings.http_port),
    ]  # fmt: skip
    out = [
        actions_service(settings),
        rasa_service(model_path(settings), endpoints, settings.rasa_url),
        Service("gateway", gateway, f"http://{settings.http_host}:{settings.http_port}/healthz"),
    ]
    if settings.telegram_token and settings.telegram_mode == "polling":
        out.append(Service("telegram", [str(VENV_BIN / "helpdesk"), "telegram", "poll"], ""))
    return out


def launch(service: Service, timeout: float = 180, log: Path | None = None) -> Service:
    """Start ``service`` in its own process group and wait until it is healthy."""
    output = log.open("wb") if log else None
    service.process = subprocess.Popen(
        service.command,
        cwd=service.cwd,
        env=service.env,
        start_new_session=True,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )
    try:
        wait_healthy(service, timeout)
    except BaseException:
        stop([service])
        raise
    return service


def wait_healthy(service: Service, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with code {service.process.returncode}")
        if not service.health:
            return
        try:
            if httpx.get(service.health, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{service.name} was not healthy after {timeout:.0f} s")


def stop(services: list[Service]) -> None:
    """SIGTERM each process group, then SIGKILL what is left."""
    for service in reversed(services):
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for service in reversed(services):
        if service.process is None:
            continue
        try:
            service.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)


def start_all(settings: Settings, timeout: float = 180) -> list[Service]:
    """Start every service in order and wait for each; stop them all on failure."""
    endpoints = render_endpoints(settings)
    started: list[Service] = []
    try:
        for service in services_for(settings, endpoints):
            typer.echo(f"starting {service.name}...")
            started.append(launch(service, timeout))
    except BaseException:
        stop(started)
        raise
    return started


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def register_bot_train(bot_app: typer.Typer) -> None:
    """Add ``bot train`` to the ``bot`` group of the CLI."""

    @bot_app.command("train")
    def train_command(
        force: Annotated[bool, typer.Option(help="Train even if nothing changed")] = False,
    ) -> None:
        """Train the Rasa model into var/models when config.yml or bot/ changed."""
        settings = get_settings()
        if not RASA.exists():
            typer.echo(f"Rasa is not installed at {RASA}: run `make setup` first.", err=True)
            raise typer.Exit(2)
        trained = train_if_changed(settings, force=force)
        state = "trained" if trained else "up to date"
        typer.echo(f"{model_path(settings)}: {state}")


def register_run(app: typer.Typer) -> None:
    """Add ``run`` and ``chat`` to the CLI."""

    @app.command("run")
    def run_command(
        retrain: Annotated[bool, typer.Option(help="Train even if nothing changed")] = False,
    ) -> None:
        """Start the assistant: actions (5055), Rasa (5005), gateway (8000). Ctrl-C stops."""
        settings = get_settings()
        # Ctrl-C, and SIGTERM from a service manager, both stop everything cleanly (a shell
        # may start this with SIGINT ignored: restore Python's handler)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        train_if_changed(settings, force=retrain)
        services = start_all(settings)
        url = f"http://{settings.http_host}:{settings.http_port}"
        typer.echo(f"\nReady. Chat in the browser: {url}/  ·  API docs: {url}/docs")
        typer.echo("Terminal chat: helpdesk chat  ·  Stop: Ctrl-C")
        try:
            while all(s.process and s.process.poll() is None for s in services):
                time.sleep(1)
            failed = [s.name for s in services if s.process and s.process.poll() is not None]
            typer.echo(f"stopped unexpectedly: {', '.join(failed)}", err=True)
        except KeyboardInterrupt:
            typer.echo("\nstopping...")
        finally:
            stop(services)

    @app.command("chat")
    def chat_command(
        url: Annotated[str | None, typer.Option(help="Gateway URL")] = None,
    ) -> None:
        """Chat with the running assistant in the terminal (numbers pick buttons)."""
        from helpdesk.terminal import chat

        settings = get_settings()
        chat(url or f"http://{settings.http_host}:{settings.http_port}")
