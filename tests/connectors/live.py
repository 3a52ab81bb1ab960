"""The gateway and a fake Rasa as background processes, for browser tests and screenshots."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from helpdesk_cli.run import free_port
from tests.connectors.servers import background_process

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]


@dataclass(frozen=True)
class Live:
    gateway: str
    rasa: str

    def received(self) -> list[tuple[str, str]]:
        """Every (sender, message) the fake Rasa has been sent."""
        return [(s, m) for s, m in httpx.get(f"{self.rasa}/_received", timeout=5).json()]


def _clean_environment() -> dict[str, str]:
    # The gateway reads HELPDESK_* settings; none may leak in from the developer's shell.
    return {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}


@contextmanager
def live_gateway(workdir: Path, extra_origins: tuple[str, ...] = ()) -> Iterator[Live]:
    """Fake Rasa, then the gateway pointed at it; both stopped by process id on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    rasa_port, gateway_port = free_port(), free_port()
    rasa = f"http://127.0.0.1:{rasa_port}"
    gateway = f"http://127.0.0.1:{gateway_port}"
    env = _clean_environment()
    with background_process(
        ["-m", "tests.connectors.fake_rasa", "--port", str(rasa_port)],
        f"{rasa}/",
        env=env,
        log=workdir / "fake-rasa.log",
    ):
        gateway_env = {
            **env,
            "HELPDESK_ENVIRONMENT": "test",
            "HELPDESK_VAR_DIR": str(workdir / "var"),
            "HELPDESK_RASA_URL": rasa,
            "HELPDESK_ACTIONS_URL": rasa,
            "HELPDESK_PUBLIC_URL": gateway,
            "HELPDESK_CORS_ORIGINS": json.dumps([gateway, *extra_origins]),
            "HELPDESK_CHAT_RATE_PER_MINUTE": "1000",
            "HELPDESK_IP_RATE_PER_MINUTE": "10000",
        }
        with background_process(
            [
                "-m",
                "uvicorn",
                "--factory",
                "tests.connectors.serve_gateway:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(gateway_port),
                "--log-level",
                "warning",
            ],
            f"{gateway}/healthz",
            env=gateway_env,
            log=workdir / "gateway.log",
        ):
            yield Live(gateway, rasa)
