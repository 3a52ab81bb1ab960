"""A fake Telegram Bot API server: records calls, answers like Telegram, can answer 429."""

from __future__ import annotations

import asyncio
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

BOT = {
    "id": 424242,
    "is_bot": True,
    "first_name": "Helpdesk",
    "username": "helpdesk_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class FakeBotApi:
    """Answers ``/bot<token>/<method>``; ``throttle`` makes the next calls of a method 429."""

    token: str
    calls: list[Call] = field(default_factory=list)
    throttle: dict[str, list[int]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, method: str = "sendMessage", status: int = 200) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.status == status]

    def wait_for(self, count: int, method: str = "sendMessage", timeout: float = 15) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.sent(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {method} call(s), got {self.sent(method)}")

    async def handle(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        if token != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        raw = (await request.body()).decode()
        if request.headers.get("content-type", "").startswith("application/json"):
            params: dict[str, Any] = json.loads(raw or "{}")
        else:
            params = dict(parse_qsl(raw))
        call = Call(method, params, time.monotonic())
        with self._lock:
            self.calls.append(call)
            pending = self.throttle.get(method)
            retry_after = pending.pop(0) if pending else None
        if retry_after is not None:
            call.status = 429
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                status_code=429,
            )
        if method == "getUpdates" and not self.updates:
            await asyncio.sleep(0.1)  # a short long-poll
        return JSONResponse({"ok": True, "result": self.result(method, params)})

    def result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method == "sendMessage":
            message: dict[str, Any] = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT,
                "text": params.get("text", ""),
            }
            if "reply_markup" in params:
                message["reply_markup"] = json.loads(params["reply_markup"])
            return message
        if method == "getUpdates":
            with self._lock:
                updates, self.updates = self.updates, []
            return updates
        return True

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self.handle, methods=["POST"])])


def user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Dân", "language_code": "vi"}


_update_ids = itertools.count(1000)


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    """A Telegram update carrying a private message (commands get their entity)."""
    message: dict[str, Any] = {
        "message_id": next(_update_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Dân"},
        "from": user(chat_id),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": next(_update_ids), "message": message}


def callback_update(chat_id: int, data: str) -> dict[str, Any]:
    """A press on an inline button whose callback data is ``data``."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": user(chat_id),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": next(_update_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT,
                "text": "Bạn muốn hỏi thủ tục nào?",
            },
        },
    }
