"""A fake of Rasa's gateway channel (bot/channels.py) with a scripted conversation.

Like the real channel it answers ``POST /webhooks/gateway/webhook`` (and
``POST /webhooks/gateway/events``, ``{"sender", "event": "pause"|"resume"}``: a paused
sender's messages are received but answered with nothing, as Rasa does) only with
``Authorization: Bearer <token>`` (401 otherwise) and a JSON object with string ``sender`` and
``message`` (400 otherwise); a message over 1000 characters is a 413. Given no token, it
accepts any well-formed internal token (64 hex digits), for tests whose settings, and so
whose token, are made after the fake starts. A real HTTP server in tests.

Run alone: ``HELPDESK_RASA_TOKEN=... python -m tests.connectors.fake_rasa --port 5005``.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

SOURCE = (
    "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193"
)
RECORD = "000.00.12.H12-260101-0001"
XSS_TEXT = "<img src=x onerror=alert(1)>"
LONG_PARAGRAPH = ("Đây là một đoạn văn dài để thử việc chia tin nhắn. " * 30).strip()
LONG_TEXT = "\n\n".join(f"{n}. {LONG_PARAGRAPH}" for n in range(1, 7))

Message = dict[str, Any]

GATEWAY_WEBHOOK = "/webhooks/gateway/webhook"
GATEWAY_HEALTH = "/webhooks/gateway/health"
GATEWAY_EVENTS = "/webhooks/gateway/events"
MAX_MESSAGE_CHARS = 1000
INTERNAL_TOKEN = re.compile(r"Bearer [0-9a-f]{64}")


def authorized(header: str | None, token: str | None) -> bool:
    """The gateway channel's check: ``Bearer <token>``, or any internal token if None."""
    if token is None:
        return INTERNAL_TOKEN.fullmatch(header or "") is not None
    return hmac.compare_digest((header or "").encode(), f"Bearer {token}".encode())


def check_body(raw: bytes) -> tuple[int, dict[str, Any]]:
    """The gateway channel's body checks: (200, body) or (an error status, {"error": ...})."""
    try:
        body = json.loads(raw)
    except ValueError:
        return 400, {"error": "the body must be a JSON object"}
    if not isinstance(body, dict):
        return 400, {"error": "the body must be a JSON object"}
    if not isinstance(body.get("sender"), str) or not isinstance(body.get("message"), str):
        return 400, {"error": "sender and message must be strings"}
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        return 400, {"error": "metadata must be a JSON object"}
    if len(body["message"]) > MAX_MESSAGE_CHARS:
        return 413, {"error": "message too long"}
    return 200, body


def _procedure_choices() -> list[Message]:
    return [
        {
            "text": "Bạn muốn hỏi thủ tục nào?",
            "buttons": [
                {
                    "title": "Đăng ký khai sinh",
                    "payload": '/choose_procedure{"procedure":"1.001193"}',
                },
                {
                    "title": "Đăng ký khai sinh có yếu tố nước ngoài",
                    "payload": '/choose_procedure{"procedure":"1.001695"}',
                },
            ],
        }
    ]


def _documents() -> list[Message]:
    return [
        {
            "text": (
                "Đăng ký khai sinh cần:\n"
                "1. Tờ khai đăng ký khai sinh;\n"
                "2. Giấy chứng sinh.\n"
                "Nguồn: thủ tục 1.001193."
            )
        },
        # Rasa sends an action's custom content (the source link) as a message of its own
        {"custom": {"links": [{"title": "Cổng Dịch vụ công quốc gia", "url": SOURCE}]}},
        {"text": "Bạn có muốn hỏi thêm về lệ phí hoặc thời gian không?"},
    ]


class FakeRasa:
    """Answers by script; remembers each sender's place in the record-status form.

    ``metadata`` holds the metadata sent with each message (None when there was none).
    """

    def __init__(
        self,
        token: str | None = None,
        on_handoff: Callable[[str], Awaitable[list[Message]]] | None = None,
    ) -> None:
        self.token = token
        self.on_handoff = on_handoff  # stands in for the action server's action_handoff
        self.paused: set[str] = set()
        self.tracker_events: list[tuple[str, str]] = []
        self.received: list[tuple[str, str]] = []
        self.metadata: list[dict[str, Any] | None] = []
        self.refused: list[int] = []
        self.forms: dict[str, str] = {}
        self.languages: dict[str, str] = {}

    def event(self, body: Any) -> tuple[int, dict[str, Any]]:
        """The events route: pause or resume a sender (200), or 400 for anything else."""
        if not isinstance(body, dict) or not isinstance(body.get("sender"), str):
            return 400, {"error": "sender must be a string"}
        sender, event = body["sender"], body.get("event")
        if event not in ("pause", "resume"):
            return 400, {"error": "event must be one of: pause, resume"}
        self.tracker_events.append((sender, event))
        if event == "pause":
            self.paused.add(sender)
        else:
            self.paused.discard(sender)
        return 200, {"event": event, "paused": sender in self.paused}

    async def answer(self, sender: str, message: str) -> list[Message]:
        if sender in self.paused:
            return []  # recorded in the tracker, no prediction
        text = message.strip()
        lower = text.lower()
        form = self.forms.pop(sender, None)
        if form == "record_code":
            self.forms[sender] = "verification"
            return [
                {
                    "text": f"Mã hồ sơ {text}. Vui lòng nhập 4 số cuối số điện thoại "
                    "của người nộp hồ sơ để xác minh."
                }
            ]
        if form == "verification":
            if text == "1234":
                return [
                    {
                        "text": f"Hồ sơ {RECORD} (Đăng ký khai sinh) đang được giải quyết. "
                        "Hẹn trả kết quả: 05/01/2026."
                    }
                ]
            return [{"text": "Không tìm thấy hồ sơ khớp với thông tin đã nhập."}]
        if text == "/check_record_status" or "tra cứu hồ sơ" in lower:
            self.forms[sender] = "record_code"
            return [{"text": "Vui lòng nhập mã hồ sơ (in trên giấy biên nhận)."}]
        if text.startswith("/change_language"):
            language = json.loads(text[len("/change_language") :])["language"]
            self.languages[sender] = language
            return [
                {
                    "text": "I will answer in English."
                    if language == "en"
                    else "Tôi sẽ trả lời bằng tiếng Việt."
                }
            ]
        if text.startswith("/feedback"):
            return [{"text": "Cảm ơn bạn đã góp ý!"}]
        asks_staff = text == "/human_handoff" or "gặp cán bộ" in lower
        if asks_staff and self.on_handoff is not None:
            return await self.on_handoff(sender)
        if text == "/human_handoff":
            return [{"text": "Bạn có thể gọi tổng đài 1800 1096 để gặp cán bộ."}]
        if text.startswith("/choose_procedure"):
            return _documents()
        if "lệ phí" in lower:
            return [
                {
                    "text": "Đăng ký khai sinh đúng hạn được miễn lệ phí.",
                    "custom": {"links": [{"title": "Cổng Dịch vụ công", "url": SOURCE}]},
                }
            ]
        if "khai sinh" in lower or "birth" in lower:
            return _procedure_choices()
        if "xss" in lower:
            return [
                {"text": XSS_TEXT},
                {
                    "text": 'Bấm javascript:alert(1) hoặc <a href="javascript:alert(2)">đây</a> '
                    "hoặc https://evil.example.com/x hoặc https://dichvucong.gov.vn.evil.com/"
                },
                {
                    "text": "Liên kết:",
                    "custom": {
                        "links": [
                            {"title": "bad", "url": "javascript:alert(3)"},
                            {"title": "good", "url": "https://dichvucong.gov.vn/p/1"},
                        ]
                    },
                    "buttons": [{"title": "<b>nút</b>", "payload": "/human_handoff"}],
                    "image": "javascript:alert(4)",
                },
            ]
        if lower == "long":
            return [{"text": LONG_TEXT, "buttons": [{"title": "OK", "payload": "/affirm"}]}]
        if lower == "long button":
            payload = '/choose_procedure{"procedure":"' + "9" * 80 + '"}'
            return [{"text": "Chọn:", "buttons": [{"title": "Dài", "payload": payload}]}]
        if lower.startswith("slow"):
            await asyncio.sleep(1.0)
            return [{"text": "Đã trả lời chậm."}]
        return [{"text": "Xin lỗi, tôi chưa hiểu câu hỏi. Bạn có thể hỏi lại cách khác không?"}]

    async def webhook(self, request: Request) -> JSONResponse:
        if not authorized(request.headers.get("authorization"), self.token):
            self.refused.append(401)
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        status, body = check_body(await request.body())
        if status != 200:
            self.refused.append(status)
            return JSONResponse(body, status_code=status)
        sender, message = body["sender"], body["message"]
        self.received.append((sender, message))
        self.metadata.append(body.get("metadata"))
        answers = await self.answer(sender, message)
        return JSONResponse([{"recipient_id": sender, **answer} for answer in answers])

    async def events(self, request: Request) -> JSONResponse:
        if not authorized(request.headers.get("authorization"), self.token):
            self.refused.append(401)
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        status, answer = self.event(body)
        return JSONResponse(answer, status_code=status)

    async def log(self, request: Request) -> JSONResponse:
        return JSONResponse([list(pair) for pair in self.received])

    def app(self) -> Starlette:
        async def root(request: Request) -> PlainTextResponse:
            return PlainTextResponse("Hello from Rasa: 3.6.21")

        async def health(request: Request) -> JSONResponse:
            return JSONResponse({"status": "ok"})

        return Starlette(
            routes=[
                Route("/", root),
                Route(GATEWAY_HEALTH, health),
                Route(GATEWAY_WEBHOOK, self.webhook, methods=["POST"]),
                Route(GATEWAY_EVENTS, self.events, methods=["POST"]),
                Route("/_received", self.log),
            ]
        )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # the token comes from the environment, as the real channel's does (never argv)
    fake = FakeRasa(os.environ.get("HELPDESK_RASA_TOKEN") or None)
    uvicorn.run(fake.app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
