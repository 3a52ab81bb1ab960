"""A fake Graph API (Send API, Messenger Profile API) on 127.0.0.1, and the webhook calls the
real one makes: records each call, answers like Graph, fails on demand with Graph's errors."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PAGE_ID = "104000000000001"


def graph_error(code: int, subcode: int | None = None, message: str = "error") -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


RATE_LIMITED = (429, graph_error(613, message="Calls to this api have exceeded the rate limit."))
APP_LIMIT = (400, graph_error(4, message="Application request limit reached"))
INVALID_TOKEN = (401, graph_error(190, message="Invalid OAuth access token."))
OUTSIDE_WINDOW = (
    400,
    graph_error(10, 2018278, "This message is sent outside of allowed window."),
)


@dataclass
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    query: dict[str, str]
    at: float
    status: int = 200

    @property
    def kind(self) -> str:
        """``message``, ``sender_action`` or ``profile``."""
        if self.path.endswith("/messenger_profile"):
            return "profile"
        return "sender_action" if "sender_action" in self.body else "message"


@dataclass
class FakeGraph:
    """Answers ``/{version}/me/messages`` and ``/{version}/me/messenger_profile``.

    ``failures[kind]`` holds (status, body) answers for the next calls of that kind; a call
    with another token than ``token`` gets Graph's code 190, and one whose ``appsecret_proof``
    is wrong (when ``app_secret`` is given) code 100.
    """

    token: str
    app_secret: str | None = None
    version: str = "v21.0"
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, kind: str = "message", status: int = 200) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.kind == kind and c.status == status]

    def messages(self) -> list[dict[str, Any]]:
        """The ``message`` objects delivered, in order."""
        return [call.body["message"] for call in self.of("message")]

    def wait_for(self, count: int, kind: str = "message", timeout: float = 15) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.of(kind)
            if len(calls) >= count:
                return calls
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {kind} call(s), got {self.of(kind)}")

    def _proof_ok(self, query: dict[str, str]) -> bool:
        if self.app_secret is None:
            return True
        expected = hmac.new(
            self.app_secret.encode(), self.token.encode(), hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(query.get("appsecret_proof", ""), expected)

    async def handle(self, request: Request) -> JSONResponse:
        if request.path_params["version"] != self.version:
            return JSONResponse(graph_error(2500, message="Unknown path"), status_code=400)
        body = json.loads(await request.body() or b"{}")
        query = dict(request.query_params)
        call = Call(request.url.path, body, dict(request.headers), query, time.monotonic())
        with self._lock:
            self.calls.append(call)
            pending = self.failures.get(call.kind)
            failure = pending.pop(0) if pending else None
        if request.headers.get("authorization") != f"Bearer {self.token}":
            failure = INVALID_TOKEN
        elif not self._proof_ok(query):
            failure = (400, graph_error(100, message="Invalid appsecret_proof"))
        if failure is not None:
            call.status = failure[0]
            return JSONResponse(failure[1], status_code=failure[0])
        if call.kind == "profile":
            return JSONResponse({"result": "success"})
        answer = {"recipient_id": body["recipient"]["id"]}
        if call.kind == "message":
            answer["message_id"] = f"m_{next(self._ids)}"
        return JSONResponse(answer)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{version}/me/messages", self.handle, methods=["POST"]),
                Route("/{version}/me/messenger_profile", self.handle, methods=["POST"]),
            ]
        )


# --- what Graph posts to the webhook ---------------------------------------------------

_mids = itertools.count(1)


def now_ms() -> int:
    return int(time.time() * 1000)


def _event(psid: str, timestamp: int | None, **content: Any) -> dict[str, Any]:
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": timestamp if timestamp is not None else now_ms(),
        **content,
    }


def text_event(
    psid: str, text: str, *, mid: str | None = None, timestamp: int | None = None
) -> dict[str, Any]:
    """The user typed ``text``."""
    return _event(psid, timestamp, message={"mid": mid or f"mid.{next(_mids)}", "text": text})


def quick_reply_event(psid: str, title: str, payload: str) -> dict[str, Any]:
    """The user tapped a quick reply: its title as text, its payload beside it."""
    message = {"mid": f"mid.{next(_mids)}", "text": title, "quick_reply": {"payload": payload}}
    return _event(psid, None, message=message)


def postback_event(psid: str, title: str, payload: str) -> dict[str, Any]:
    """The user tapped a postback button (a template's, the menu's, Get Started)."""
    postback = {"mid": f"mid.{next(_mids)}", "title": title, "payload": payload}
    return _event(psid, None, postback=postback)


def echo_event(psid: str, text: str) -> dict[str, Any]:
    """The page's own message, echoed back (sender is the page)."""
    message = {"mid": f"mid.{next(_mids)}", "is_echo": True, "app_id": 1, "text": text}
    return {
        "sender": {"id": PAGE_ID},
        "recipient": {"id": psid},
        "timestamp": now_ms(),
        "message": message,
    }


def receipt_events(psid: str) -> list[dict[str, Any]]:
    """A delivery receipt and a read receipt."""
    return [
        _event(psid, None, delivery={"mids": ["mid.x"], "watermark": now_ms()}),
        _event(psid, None, read={"watermark": now_ms()}),
    ]


def page_call(*events: dict[str, Any]) -> dict[str, Any]:
    """A webhook call carrying ``events``."""
    return {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": now_ms(), "messaging": list(events)}],
    }


def signature(body: bytes, app_secret: str) -> str:
    """``X-Hub-Signature-256`` as Graph computes it."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
