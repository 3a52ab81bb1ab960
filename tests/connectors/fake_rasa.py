"""A fake Rasa REST channel with a scripted conversation; a real HTTP server in tests.

Run alone: ``python -m tests.connectors.fake_rasa --port 5005``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
                f"Nguồn: {SOURCE}"
            )
        },
        {"text": "Bạn có muốn hỏi thêm về lệ phí hoặc thời gian không?"},
    ]


class FakeRasa:
    """Answers by script; remembers each sender's place in the record-status form."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.forms: dict[str, str] = {}
        self.languages: dict[str, str] = {}

    async def answer(self, sender: str, message: str) -> list[Message]:
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
        body = await request.json()
        sender, message = str(body["sender"]), str(body["message"])
        self.received.append((sender, message))
        answers = await self.answer(sender, message)
        return JSONResponse([{"recipient_id": sender, **answer} for answer in answers])

    async def log(self, request: Request) -> JSONResponse:
        return JSONResponse([list(pair) for pair in self.received])

    def app(self) -> Starlette:
        async def root(request: Request) -> PlainTextResponse:
            return PlainTextResponse("Hello from Rasa: 3.6.21")

        return Starlette(
            routes=[
                Route("/", root),
                Route("/webhooks/rest/webhook", self.webhook, methods=["POST"]),
                Route("/_received", self.log),
            ]
        )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(FakeRasa().app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
