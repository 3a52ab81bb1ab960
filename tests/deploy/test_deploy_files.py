"""The deployment files agree with the code: nginx's configuration for the containers is the
template's rendering and nginx accepts the local one; the containers' entrypoints derive the
same internal tokens as every helpdesk process; the compose file names files that exist and
Rasa's pinned version."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from helpdesk.settings import PROJECT_ROOT, Settings
from helpdesk_cli.cluster import NGINX, NginxLayout, Topology, render_nginx, render_nginx_text

DEPLOY = PROJECT_ROOT / "deploy"
KEY = "a-deployment-secret-0123456789-abcdefghij"


def test_the_compose_nginx_configuration_is_the_templates_rendering() -> None:
    committed = (DEPLOY / "compose" / "nginx.conf").read_text(encoding="utf-8")
    assert committed == render_nginx_text(NginxLayout.compose()), (
        "deploy/compose/nginx.conf is stale: render it again with "
        "render_nginx_text(NginxLayout.compose())"
    )


@pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed (apt install nginx-light)")
def test_nginx_accepts_the_local_cluster_configuration(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    conf = render_nginx(settings, Topology.plan(settings, 2, 2, 2), tmp_path / "cluster")
    checked = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "e.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    text = conf.read_text()
    # the internal doors open only what the gateways and Rasa use
    assert "location /webhooks/gateway/" in text and "location = /webhook" in text
    assert "keepalive" not in text  # a stopped replica's connections are never reused


def _entrypoint_env(script: str, tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "helpdesk_secret_key"
    key_file.write_text(KEY + "\n")
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "HELPDESK_SECRET_KEY_FILE": str(key_file),
    }
    shown = subprocess.run(
        [str(DEPLOY / "docker" / script), "env"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(line.split("=", 1) for line in shown.stdout.splitlines() if "=" in line)


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_the_entrypoints_give_every_container_the_same_tokens(tmp_path: Path) -> None:
    settings = Settings(secret_key=SecretStr(KEY), _env_file=None)  # type: ignore[call-arg]
    rasa = _entrypoint_env("rasa-entrypoint.sh", tmp_path)
    assert rasa["HELPDESK_RASA_TOKEN"] == settings.internal_token("rasa")
    assert rasa["HELPDESK_ACTIONS_TOKEN"] == settings.internal_token("actions")
    app = _entrypoint_env("secret-env.sh", tmp_path)
    assert app["HELPDESK_SECRET_KEY"] == KEY


def test_the_compose_file_names_what_exists() -> None:
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "gateway", "rasa", "actions", "nginx", "backup"} <= set(services)
    for name in ("gateway", "rasa", "actions"):
        assert services[name]["deploy"]["replicas"] >= 2
        build = services[name]["build"]
        assert (DEPLOY / "compose" / build["context"] / build["dockerfile"]).resolve().is_file()
    assert list(services["nginx"]["ports"]) == ["8080:8080"]  # the only published door
    assert all("ports" not in s for n, s in services.items() if n != "nginx")
    rasa = (DEPLOY / "docker" / "rasa.Dockerfile").read_text(encoding="utf-8")
    assert "rasa==3.6.21" in rasa
    endpoints = yaml.safe_load((DEPLOY / "compose" / "endpoints.yml").read_text())
    assert endpoints["lock_store"]["type"] == "redis"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
