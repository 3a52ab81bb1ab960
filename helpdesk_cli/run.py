"""``helpdesk run``: the whole assistant with one command, stopped cleanly by Ctrl-C.

Trains the Rasa model only when ``config.yml`` or ``bot/`` changed (hash cached), renders
Rasa's endpoints (tracker store, lock store, action server) from the settings, starts the
action server, Rasa and the HTTP gateway (and Telegram polling when configured), waits for
each to be healthy and prints where to chat. Then it supervises them: a part that dies is
restarted after 1 s, 2 s, 4 s ... (at most 60 s; back to 1 s once it has run healthily for a
minute) while the others keep serving.

Internal doors: Rasa runs without its HTTP API, with only the ``gateway`` input channel
(``bot/channels.py``), and the action server answers only Rasa. Their tokens are derived from
the install's secret (``settings.internal_token``) and reach Rasa through its environment
(``HELPDESK_RASA_TOKEN``, ``HELPDESK_ACTIONS_TOKEN``): never on a command line (readable by
every user in /proc) nor in a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
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


# files of bot/ that only the running server reads (channels, endpoints, the tracker store,
# the command line): changing them needs a restart, not a new model
SERVING_ONLY = frozenset(
    {"credentials.yml", "endpoints.yml", "channels.py", "server.py", "tracker_store.py"}
)


def bot_sources() -> list[Path]:
    """Everything the trained model depends on."""
    # the custom NLU components fold text with knowledge.normalize
    files = [PROJECT_ROOT / "config.yml", PROJECT_ROOT / "knowledge" / "normalize.py"]
    bot = PROJECT_ROOT / "bot"
    for path in sorted(bot.rglob("*")):
        if not path.is_file() or "models" in path.parts or "__pycache__" in path.parts:
            continue
        if path.parent == bot and path.name in SERVING_ONLY:
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


RASA_TOKEN_ENV = "HELPDESK_RASA_TOKEN"  # read by bot/channels.py
ACTIONS_TOKEN_ENV = "HELPDESK_ACTIONS_TOKEN"  # interpolated by Rasa into endpoints.yml
MAX_CHARS_ENV = "HELPDESK_MAX_MESSAGE_CHARS"  # the gateway channel's cap
GATEWAY_WEBHOOK = "/webhooks/gateway/webhook"
GATEWAY_HEALTH = "/webhooks/gateway/health"


def rasa_env(settings: Settings | None = None) -> dict[str, str]:
    """Rasa's environment; with ``settings``, the tokens and the cap of a serving Rasa."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=str(PROJECT_ROOT),
        TF_CPP_MIN_LOG_LEVEL="2",
        TQDM_DISABLE="1",
        SANIC_HOST="127.0.0.1",
        # plain JSON to the action server, which refuses compressed bodies
        COMPRESS_ACTION_SERVER_REQUEST="false",
    )
    for name in (RASA_TOKEN_ENV, ACTIONS_TOKEN_ENV):
        env.pop(name, None)
    if settings is not None:
        env[RASA_TOKEN_ENV] = settings.internal_token("rasa")
        env[ACTIONS_TOKEN_ENV] = settings.internal_token("actions")
        env[MAX_CHARS_ENV] = str(settings.max_message_chars)
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
    """Write Rasa's endpoints.yml for these settings (action server, stores), mode 0600.

    The action server's token is not in the file: Rasa expands ``${HELPDESK_ACTIONS_TOKEN}``
    from its own environment when it reads the file (and refuses to start without it).
    """
    endpoints: dict[str, object] = {
        "action_endpoint": {
            "url": f"{settings.actions_url}/webhook",
            # the domain goes only to the actions marked send_domain in bot/domain.yml
            "enable_selective_domain": True,
            "headers": {"Authorization": f"Bearer ${{{ACTIONS_TOKEN_ENV}}}"},
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
    # a PostgreSQL password may be in it: readable by this user only
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(yaml.safe_dump(endpoints, sort_keys=False))
    return path


@dataclass
class Service:
    name: str
    command: list[str]
    health: str
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = PROJECT_ROOT
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None  # where its output goes (appended; also after a restart)


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


def rasa_service(model: Path, endpoints: Path, rasa_url: str, settings: Settings) -> Service:
    """Rasa without its HTTP API, listening only on the gateway channel (bot/channels.py).

    The tokens are in its environment (``rasa_env(settings)``), never on the command line.
    """
    # bot.server is Rasa's own command line with the action-response check compiled once
    command = [
        str(RASA_PYTHON), "-m", "bot.server", "run",
        "--model", str(model), "--endpoints", str(endpoints),
        "--credentials", "bot/credentials.yml", "--interface", "127.0.0.1",
        "--port", _port(rasa_url),
    ]  # fmt: skip
    return Service("rasa", command, f"{rasa_url}{GATEWAY_HEALTH}", rasa_env(settings))


def services_for(settings: Settings, endpoints: Path) -> list[Service]:
    gateway = [
        str(VENV_BIN / "uvicorn"), "--factory", "connectors.web.app:create_app",
        "--host", settings.http_host, "--port", str(settings.http_port),
        # X-Forwarded-For is applied by the app itself, from settings.trusted_proxies only
        "--no-proxy-headers",
    ]  # fmt: skip
    out = [
        actions_service(settings),
        rasa_service(model_path(settings), endpoints, settings.rasa_url, settings),
        Service("gateway", gateway, f"http://{settings.http_host}:{settings.http_port}/healthz"),
    ]
    if settings.telegram_token and settings.telegram_mode == "polling":
        out.append(Service("telegram", [str(VENV_BIN / "helpdesk"), "telegram", "poll"], ""))
    return out


def spawn(service: Service, log: Path | None = None) -> Service:
    """Start ``service`` in its own process group (its pid is the group's id); its output
    goes to ``log``, else to ``service.log``, else to this terminal."""
    log = log or service.log
    output = log.open("ab") if log else None
    try:
        service.process = subprocess.Popen(
            service.command,
            cwd=service.cwd,
            env=service.env,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
        )
    finally:
        if output:
            output.close()  # the child has its own copy
    return service


def launch(service: Service, timeout: float = 180, log: Path | None = None) -> Service:
    """Start ``service`` in its own process group and wait until it is healthy."""
    spawn(service, log)
    try:
        wait_healthy(service, timeout)
    except BaseException:
        stop([service])
        raise
    return service


def is_healthy(service: Service) -> bool:
    """One health probe: the health URL answers 200 (no URL: the process is running)."""
    if not service.health:
        return True
    try:
        return httpx.get(service.health, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_healthy(service: Service, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with code {service.process.returncode}")
        if is_healthy(service):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{service.name} was not healthy after {timeout:.0f} s")


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def stop(services: list[Service]) -> None:
    """SIGTERM each process group, then SIGKILL what is left."""
    for service in reversed(services):
        if service.process and service.process.poll() is None:
            _kill_group(service.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for service in reversed(services):
        if service.process is None:
            continue
        try:
            service.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(service.process.pid, signal.SIGKILL)
            service.process.wait()


def backoff_delay(crashes: int, first: float = 1.0, cap: float = 60.0) -> float:
    """Seconds to wait before restarting after the ``crashes``-th crash in a row: 1, 2, 4 ... 60."""
    return float(min(cap, first * 2 ** max(0, crashes - 1)))


def describe_exit(code: int) -> str:
    """``code 3``, or ``code -9 (SIGKILL)`` for a process killed by a signal."""
    if code < 0:
        try:
            return f"code {code} ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"code {code}"


def _exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether ``process`` has exited, without reaping it: its pid (and so its process group
    id) cannot be taken by another process until :meth:`Popen.poll` reaps it."""
    if process.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


@dataclass
class Watch:
    """What the supervisor knows about one service."""

    service: Service
    crashes: int = 0  # in a row; reset after a healthy run of ``reset_after`` seconds
    started_at: float = 0.0
    healthy_since: float | None = None
    restart_at: float | None = None  # dead, waiting for its back-off


class Supervisor:
    """Keeps every service running: restarts a dead one with exponential back-off.

    A service that exits is restarted after :func:`backoff_delay` seconds (what is left of
    its process group is killed first), one that does not become healthy within
    ``start_timeout`` after a restart is killed and counts as a crash, and the back-off
    starts again from ``first_delay`` once a service has been healthy for ``reset_after``
    seconds. The other services are not touched. Call :meth:`tick` regularly.
    """

    def __init__(
        self,
        services: list[Service],
        *,
        first_delay: float = 1.0,
        max_delay: float = 60.0,
        reset_after: float = 60.0,
        start_timeout: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self._clock = clock
        now = clock()
        self.watches = [Watch(s, started_at=now, healthy_since=now) for s in services]
        self.first_delay, self.max_delay = first_delay, max_delay
        self.reset_after, self.start_timeout = reset_after, start_timeout
        self._say = say or (lambda line: typer.echo(line, err=True))

    def tick(self) -> None:
        for watch in self.watches:
            self._check(watch, self._clock())

    def _check(self, watch: Watch, now: float) -> None:
        service, process = watch.service, watch.service.process
        if watch.restart_at is not None:
            if now >= watch.restart_at:
                self._restart(watch, now)
            return
        if process is None:
            return
        if _exited(process):
            _kill_group(process.pid, signal.SIGKILL)  # its children, if any are left
            code = process.wait()
            self._crashed(watch, now, f"exited with {describe_exit(code)}")
        elif watch.healthy_since is None:
            if is_healthy(service):
                watch.healthy_since = now
                self._say(f"supervisor: {service.name} is healthy again")
            elif now - watch.started_at > self.start_timeout:
                _kill_group(process.pid, signal.SIGKILL)
                process.wait()
                self._crashed(watch, now, f"was not healthy {self.start_timeout:.0f} s after start")
        elif watch.crashes and now - watch.healthy_since >= self.reset_after:
            watch.crashes = 0

    def _crashed(self, watch: Watch, now: float, what: str) -> None:
        if watch.healthy_since is not None and now - watch.healthy_since >= self.reset_after:
            watch.crashes = 0
        watch.crashes += 1
        delay = backoff_delay(watch.crashes, self.first_delay, self.max_delay)
        watch.restart_at = now + delay
        watch.healthy_since = None
        self._say(
            f"supervisor: {watch.service.name} {what}; restarting in {delay:g} s "
            f"(crash {watch.crashes} in a row)"
        )

    def _restart(self, watch: Watch, now: float) -> None:
        watch.restart_at = None
        watch.started_at = now
        try:
            spawn(watch.service)
        except OSError as error:
            self._crashed(watch, now, f"could not start ({type(error).__name__})")
            return
        pid = watch.service.process.pid if watch.service.process else 0
        self._say(f"supervisor: {watch.service.name} restarted (pid {pid})")


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


def catch_stop_signals() -> None:
    """Ctrl-C, and SIGTERM from a service manager, both stop everything cleanly (a shell may
    start this with SIGINT ignored: Python's handler is restored)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)


def supervise(services: list[Service]) -> None:
    """Print each service's pid, keep them all running (:class:`Supervisor`) until Ctrl-C or
    SIGTERM, then stop them all."""
    for service in services:
        pid = service.process.pid if service.process else 0
        typer.echo(f"{service.name}: pid {pid}")
    supervisor = Supervisor(services)
    try:
        while True:
            supervisor.tick()
            time.sleep(0.5)
    except KeyboardInterrupt:
        typer.echo("\nstopping...")
    finally:
        stop(services)


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
        """Start the assistant: actions (5055), Rasa (5005), gateway (8000). Ctrl-C stops.

        A part that dies is restarted (1 s, 2 s, 4 s ... 60 s apart) while the others serve.
        """
        settings = get_settings()
        catch_stop_signals()
        train_if_changed(settings, force=retrain)
        services = start_all(settings)
        url = f"http://{settings.http_host}:{settings.http_port}"
        typer.echo(f"\nReady. Chat in the browser: {url}/  ·  API docs: {url}/docs")
        typer.echo("Terminal chat: helpdesk chat  ·  Stop: Ctrl-C")
        supervise(services)

    @app.command("chat")
    def chat_command(
        url: Annotated[str | None, typer.Option(help="Gateway URL")] = None,
    ) -> None:
        """Chat with the running assistant in the terminal (numbers pick buttons)."""
        from helpdesk_cli.terminal import chat

        settings = get_settings()
        chat(url or f"http://{settings.http_host}:{settings.http_port}")
