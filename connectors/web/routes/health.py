"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal

import httpx
from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import Engine, text

from connectors.web.deps import EngineDep, HttpDep, SettingsDep

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

CHECK_TIMEOUT = 3.0
RASA_HEALTH = "/webhooks/gateway/health"


class Check(BaseModel):
    """One dependency: reachable or not, why, and how long the check took."""

    ok: bool
    detail: str
    ms: float


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, Check]


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


async def _timed(name: str, probe: asyncio.Future[str]) -> Check:
    # The details are public: they name the kind of failure, not hosts or addresses.
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(probe, CHECK_TIMEOUT)
        ok = True
    except TimeoutError:
        ok, detail = False, f"no answer within {CHECK_TIMEOUT:.0f} s"
    except Exception as exc:  # any failure means "not ready"
        ok, detail = False, str(exc) if isinstance(exc, _Refused) else type(exc).__name__
        logger.warning("not ready: %s: %s: %s", name, type(exc).__name__, exc)
    return Check(ok=ok, detail=detail, ms=round((time.perf_counter() - started) * 1000, 1))


class _Refused(Exception):
    """A dependency answered, but not with 200."""


async def _get_ok(http: httpx.AsyncClient, url: str) -> str:
    response = await http.get(url, timeout=CHECK_TIMEOUT)
    if response.status_code != 200:
        raise _Refused(f"answered {response.status_code}")
    return "answered 200"


def _select_one(engine: Engine) -> str:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return f"{engine.dialect.name}: SELECT 1 ok"


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(
    settings: SettingsDep, http: HttpDep, engine: EngineDep, response: Response
) -> Readiness:
    """Rasa, the action server and the database answer (503 with the failing check if not)."""
    probes = {
        # the gateway channel's health: 200 only once Rasa's model is loaded
        "rasa": asyncio.ensure_future(_get_ok(http, settings.rasa_url.rstrip("/") + RASA_HEALTH)),
        "actions": asyncio.ensure_future(
            _get_ok(http, settings.actions_url.rstrip("/") + "/health")
        ),
        "database": asyncio.ensure_future(asyncio.to_thread(_select_one, engine)),
    }
    results = await asyncio.gather(*(_timed(name, probe) for name, probe in probes.items()))
    checks = dict(zip(probes, results, strict=True))
    ready = all(check.ok for check in checks.values())
    response.status_code = 200 if ready else 503
    return Readiness(status="ready" if ready else "unavailable", checks=checks)
