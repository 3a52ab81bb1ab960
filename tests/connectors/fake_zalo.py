"""A fake of Zalo's OA API and OAuth server: records calls, answers like Zalo, can refuse.

- ``POST /v3.0/oa/message/cs`` takes a consultation message with a valid ``access_token``
  header; ``throttle`` holds HTTP statuses (429, 503) to answer the next calls with, and a
  token in ``rejected`` is answered with Zalo's invalid-token error (-216).
- ``POST /v4/oa/access_token`` trades a refresh token, once, for a new pair, checking the
  ``secret_key`` header and the app id.

Also builds signed webhook events as Zalo sends them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

INVALID_TOKEN = -216
TOKEN_LIFETIME = 90000  # seconds, as Zalo gives them (25 hours)


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float
    status: int = 200
    error: int = 0


@dataclass
class FakeZalo:
    """Zalo's two servers in one; ``tokens`` are the valid access tokens."""

    app_id: str
    app_secret: str
    tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    throttle: list[int] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _pairs: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, status: int = 200, error: int = 0) -> list[Call]:
        """Consultation messages answered with ``status`` and ``error``."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.path.endswith("/message/cs") and c.status == status and c.error == error
            ]

    def refreshes(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path.endswith("/access_token")]

    def wait_for(self, count: int, timeout: float = 15) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.sent()
            if len(calls) >= count:
                return calls
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s), got {self.sent()}")

    def texts(self) -> list[str]:
        return [call.body["message"]["text"] for call in self.sent()]

    def _record(self, request: Request, body: dict[str, Any]) -> Call:
        call = Call(request.url.path, dict(request.headers), body, time.monotonic())
        with self._lock:
            self.calls.append(call)
        return call

    async def message(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        call = self._record(request, body)
        with self._lock:
            status = self.throttle.pop(0) if self.throttle else 200
        token = request.headers.get("access_token", "")
        if status != 200:
            call.status = status
            return JSONResponse({"error": status, "message": "busy"}, status_code=status)
        if token in self.rejected or token not in self.tokens:
            call.error = INVALID_TOKEN
            return JSONResponse({"error": INVALID_TOKEN, "message": "Access token is invalid"})
        assert set(body) == {"recipient", "message"}, body
        assert isinstance(body["recipient"].get("user_id"), str), body
        assert isinstance(body["message"].get("text"), str), body
        message_id = f"m{next(self._ids)}"
        return JSONResponse(
            {
                "error": 0,
                "message": "Success",
                "data": {"message_id": message_id, "user_id": body["recipient"]["user_id"]},
            }
        )

    async def access_token(self, request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode()))
        call = self._record(request, form)
        refresh = form.get("refresh_token", "")
        with self._lock:
            valid = (
                request.headers.get("secret_key") == self.app_secret
                and form.get("app_id") == self.app_id
                and form.get("grant_type") == "refresh_token"
                and refresh in self.refresh_tokens
            )
            if not valid:
                call.error = -14014
                return JSONResponse({"error": -14014, "error_name": "Invalid refresh token"})
            self.refresh_tokens.discard(refresh)  # a refresh token works once
            number = next(self._pairs)
            access, new_refresh = f"access-{number}", f"refresh-{number}"
            self.tokens.add(access)
            self.refresh_tokens.add(new_refresh)
        return JSONResponse(
            {
                "access_token": access,
                "refresh_token": new_refresh,
                "expires_in": str(TOKEN_LIFETIME),
            }
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v3.0/oa/message/cs", self.message, methods=["POST"]),
                Route("/v4/oa/access_token", self.access_token, methods=["POST"]),
            ]
        )


_message_ids = itertools.count(1)


def now_ms() -> int:
    return int(time.time() * 1000)


def text_event(
    app_id: str, user_id: str, text: str, *, msg_id: str | None = None, at: int | None = None
) -> dict[str, Any]:
    """A ``user_send_text`` event (a typed message, or a hidden query button's payload)."""
    return {
        "app_id": app_id,
        "user_id_by_app": "5" + user_id,
        "event_name": "user_send_text",
        "timestamp": str(at if at is not None else now_ms()),
        "sender": {"id": user_id},
        "recipient": {"id": "2492306711190000000"},
        "message": {"text": text, "msg_id": msg_id or f"msg-{next(_message_ids)}"},
    }


def follow_event(app_id: str, user_id: str, kind: str = "follow") -> dict[str, Any]:
    """A ``follow`` (or ``unfollow``) event; it has no message id."""
    return {
        "oa_id": "2492306711190000000",
        "follower": {"id": user_id},
        "user_id_by_app": "5" + user_id,
        "event_name": kind,
        "source": "oa_profile",
        "app_id": app_id,
        "timestamp": str(now_ms()),
    }


def signature(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """``X-ZEvent-Signature`` as Zalo computes it."""
    mac = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret.encode())
    return "mac=" + mac.hexdigest()
