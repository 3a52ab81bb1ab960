"""``helpdesk run-cluster``: the assistant as several replicas of each part behind nginx, on
one machine, started and stopped by one command.

What runs (all on 127.0.0.1; counts from the options):

* nginx (Debian's package), rendered from ``deploy/nginx/helpdesk.conf.j2`` into
  ``var/cluster/``: the public door (``settings.http_port``) balancing the gateway workers,
  an internal door to the Rasa servers (``settings.rasa_url``'s port, only the gateway
  channel's paths) and one to the action servers (``settings.actions_url``'s port, only
  ``/webhook`` and ``/health``);
* the gateway workers (uvicorn, each its own process and port), reaching Rasa through nginx;
* the Rasa servers, sharing the tracker store on PostgreSQL and the lock store on Redis, and
  reaching the action servers through nginx;
* the action servers, on the same PostgreSQL record store.

The Rasa servers, action servers and gateway workers listen on ports chosen at start and
known only to nginx; Rasa and the action servers still check their tokens on every request.
PostgreSQL and Redis are required (``HELPDESK_DATABASE_URL``, ``HELPDESK_REDIS_URL``); the
database is created if the server has none of that name. Each part is supervised as in
``helpdesk run``: one that dies is restarted while nginx sends its traffic to the others.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from helpdesk.settings import PROJECT_ROOT, Settings, get_settings
from helpdesk_cli.run import (
    VENV_BIN,
    Service,
    actions_service,
    catch_stop_signals,
    free_port,
    model_path,
    rasa_service,
    render_endpoints,
    spawn,
    stop,
    supervise,
    train_if_changed,
    wait_healthy,
)

NGINX = Path(shutil.which("nginx") or "/usr/sbin/nginx")
TEMPLATE_DIR = PROJECT_ROOT / "deploy" / "nginx"
TEMPLATE = "helpdesk.conf.j2"


class ClusterRefused(Exception):
    """The settings or the machine cannot run the cluster; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Topology:
    """Where everything listens: nginx's three doors and each replica's own port."""

    public_port: int
    rasa_port: int
    actions_port: int
    gateways: tuple[int, ...]
    rasa: tuple[int, ...]
    actions: tuple[int, ...]

    @classmethod
    def plan(cls, settings: Settings, gateways: int, rasa: int, actions: int) -> Topology:
        """Free ports for ``gateways`` workers, ``rasa`` and ``actions`` servers behind the
        doors the settings name (``http_port``, ``rasa_url``, ``actions_url``)."""
        if min(gateways, rasa, actions) < 1:
            raise ClusterRefused("each part needs at least one replica")
        ports: set[int] = set()

        def take(count: int) -> tuple[int, ...]:
            out: list[int] = []
            while len(out) < count:
                port = free_port()
                if port not in ports:
                    ports.add(port)
                    out.append(port)
            return tuple(out)

        return cls(
            public_port=settings.http_port,
            rasa_port=_port(settings.rasa_url),
            actions_port=_port(settings.actions_url),
            gateways=take(gateways),
            rasa=take(rasa),
            actions=take(actions),
        )


def _port(url: str) -> int:
    port = urlsplit(url).port
    if port is None:
        raise ClusterRefused(f"{url} names no port")
    return port


def check_settings(settings: Settings) -> None:
    """The cluster shares its state in PostgreSQL and Redis: refuse SQLite or no Redis.

    Raises:
        ClusterRefused: What is missing, and the variable that sets it.
    """
    if not settings.database_url.startswith("postgresql"):
        raise ClusterRefused(
            "several replicas share PostgreSQL, not a SQLite file: set HELPDESK_DATABASE_URL="
            "postgresql+psycopg://USER@HOST:5432/helpdesk"
        )
    if not settings.redis_url:
        raise ClusterRefused(
            "several Rasa servers and gateways share Redis (locks, rate limits): set "
            "HELPDESK_REDIS_URL=redis://127.0.0.1:6379/0"
        )
    if not NGINX.exists():
        raise ClusterRefused(f"nginx is not installed at {NGINX} (apt install nginx-light)")


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database ``url`` names if the server has none of that name;
    whether it was created."""
    from sqlalchemy import create_engine, make_url, text

    target = make_url(url)
    name = target.database or "postgres"
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if found:
                return False
            quoted = engine.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class NginxLayout:
    """What the nginx template needs: where nginx keeps its files, its three doors and the
    replicas behind each (``host:port``)."""

    pid: str
    error_log: str
    access_log: str
    temp: str
    public_door: str
    rasa_door: str
    actions_door: str
    gateways: tuple[str, ...]
    rasa: tuple[str, ...]
    actions: tuple[str, ...]
    max_body: str = "9m"
    worker_processes: str = "1"

    @classmethod
    def local(cls, settings: Settings, topology: Topology, prefix: Path) -> NginxLayout:
        """Everything on 127.0.0.1, nginx's files under ``prefix`` (``run-cluster``)."""

        def local(ports: tuple[int, ...]) -> tuple[str, ...]:
            return tuple(f"127.0.0.1:{port}" for port in ports)

        return cls(
            pid=f"{prefix}/nginx.pid",
            error_log=f"{prefix}/nginx-error.log",
            access_log=f"{prefix}/nginx-access.log helpdesk",
            temp=f"{prefix}/tmp",
            public_door=f"{settings.http_host}:{topology.public_port}",
            rasa_door=f"127.0.0.1:{topology.rasa_port}",
            actions_door=f"127.0.0.1:{topology.actions_port}",
            gateways=local(topology.gateways),
            rasa=local(topology.rasa),
            actions=local(topology.actions),
            max_body=f"{settings.catalogue_upload_max_bytes // (1024 * 1024) + 1}m",
        )

    @classmethod
    def compose(cls) -> NginxLayout:
        """The containers of ``deploy/compose/compose.yml``: Docker's DNS names each
        service (every replica's address when it runs several); logs to the container's
        output."""
        return cls(
            pid="/tmp/nginx.pid",
            error_log="/dev/stderr",
            access_log="/dev/stdout helpdesk",
            temp="/var/cache/nginx",  # the official image's, writable by its workers
            public_door="8080",
            rasa_door="5005",
            actions_door="5055",
            gateways=("gateway:8000",),
            rasa=("rasa:5005",),
            actions=("actions:5055",),
            worker_processes="auto",
        )


def render_nginx_text(layout: NginxLayout) -> str:
    """``deploy/nginx/helpdesk.conf.j2`` rendered for ``layout``."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # an nginx configuration, not HTML
    )
    fields = {name: getattr(layout, name) for name in NginxLayout.__slots__}
    return environment.get_template(TEMPLATE).render(**fields)


def render_nginx(settings: Settings, topology: Topology, prefix: Path) -> Path:
    """Write ``prefix/nginx.conf`` for ``topology`` (and nginx's temporary folders)."""
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / folder).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # started as root, nginx's workers run as nobody
            shutil.chown(prefix / "tmp" / folder, user="nobody")
    path = prefix / "nginx.conf"
    path.write_text(render_nginx_text(NginxLayout.local(settings, topology, prefix)), "utf-8")
    return path


def _gateway_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HELPDESK_RASA_URL=settings.rasa_url,
        HELPDESK_DATABASE_URL=settings.database_url,
        HELPDESK_REDIS_URL=settings.redis_url or "",
        # nginx sets X-Forwarded-For to the client's address; believed from it only
        HELPDESK_TRUSTED_PROXIES='["127.0.0.1"]',
    )
    return env


def cluster_services(settings: Settings, topology: Topology, prefix: Path) -> list[Service]:
    """Every process of the cluster, in start order: action servers, Rasa servers, gateway
    workers, nginx (and one Telegram poller when Telegram runs by polling)."""
    endpoints = render_endpoints(settings)  # Rasa -> nginx's actions door; PG; Redis
    conf = render_nginx(settings, topology, prefix)
    services: list[Service] = []
    for n, port in enumerate(topology.actions, 1):
        own = settings.model_copy(update={"actions_url": f"http://127.0.0.1:{port}"})
        service = actions_service(own)
        service.name = f"actions-{n}"
        services.append(service)
    for n, port in enumerate(topology.rasa, 1):
        service = rasa_service(
            model_path(settings), endpoints, f"http://127.0.0.1:{port}", settings
        )
        service.name = f"rasa-{n}"
        services.append(service)
    for n, port in enumerate(topology.gateways, 1):
        command = [
            str(VENV_BIN / "uvicorn"), "--factory", "connectors.web.app:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers",
            "--timeout-graceful-shutdown", "10",
        ]  # fmt: skip
        services.append(
            Service(
                f"gateway-{n}",
                command,
                f"http://127.0.0.1:{port}/healthz",
                _gateway_env(settings),
            )
        )
    nginx = [str(NGINX), "-p", str(prefix), "-e", str(prefix / "nginx-error.log")]
    nginx += ["-c", str(conf), "-g", "daemon off;"]
    public = f"http://{settings.http_host}:{topology.public_port}/healthz"
    services.append(Service("nginx", nginx, public))
    if settings.telegram_token and settings.telegram_mode == "polling":
        poller = [str(VENV_BIN / "helpdesk"), "telegram", "poll"]
        services.append(Service("telegram", poller, "", _gateway_env(settings)))
    return services


def start_cluster(
    settings: Settings, topology: Topology, prefix: Path, timeout: float = 300
) -> list[Service]:
    """Start every part (the replicas of one kind side by side) and wait until each is
    healthy; stop them all on failure. Logs go to ``prefix/<part>.log``."""
    services = cluster_services(settings, topology, prefix)
    started: list[Service] = []
    try:
        kinds: dict[str, list[Service]] = {}
        for service in services:
            kinds.setdefault(service.name.split("-")[0], []).append(service)
        for group in kinds.values():
            typer.echo("starting " + ", ".join(s.name for s in group) + "...")
            for service in group:
                service.log = prefix / f"{service.name}.log"
                spawn(service)
                started.append(service)
            for service in group:
                wait_healthy(service, timeout)
    except BaseException:
        stop(started)
        raise
    return started


def register_cluster(app: typer.Typer) -> None:
    """Add ``run-cluster`` to the CLI."""

    @app.command("run-cluster")
    def run_cluster_command(
        gateways: Annotated[int, typer.Option(help="Gateway workers")] = 2,
        rasa: Annotated[int, typer.Option(help="Rasa servers")] = 2,
        actions: Annotated[int, typer.Option(help="Action servers")] = 2,
    ) -> None:
        """Run several replicas of each part behind nginx (PostgreSQL and Redis). Ctrl-C stops.

        The public door is the gateway's usual address (8000); Rasa and the action servers
        are reached only through nginx's internal doors (5005, 5055) and their tokens.
        """
        settings = get_settings()
        try:
            check_settings(settings)
            created = ensure_database(settings.database_url)
        except ClusterRefused as refused:
            typer.echo(f"run-cluster: {refused}", err=True)
            raise typer.Exit(2) from None
        if created:
            typer.echo("created the PostgreSQL database")
        catch_stop_signals()
        train_if_changed(settings)
        from store.db import make_engine, migrate

        engine = make_engine(settings.database_url)
        try:
            migrate(engine)  # once, before the replicas start
        finally:
            engine.dispose()
        prefix = settings.var_dir / "cluster"
        topology = Topology.plan(settings, gateways, rasa, actions)
        services = start_cluster(settings, topology, prefix)
        url = f"http://{settings.http_host}:{topology.public_port}"
        typer.echo(f"\nReady: {url}/ through nginx. Logs: {prefix}/. Stop: Ctrl-C")
        supervise(services)
