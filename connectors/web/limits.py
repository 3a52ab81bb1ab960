"""Request-size limits, enforced before anything parses the body."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.errors import RequestTooLarge
from connectors.web.errors import error_response
from helpdesk.settings import Settings

# A Telegram update carrying a 4096-character message, JSON-escaped, stays far below this.
TELEGRAM_MAX_BYTES = 1_048_576


class BodyLimitMiddleware:
    """Refuse (413) request bodies over a per-path limit without parsing them.

    A declared ``Content-Length`` over the limit is refused before reading; otherwise the
    body is read up to the limit (chunked uploads included) and replayed to the app.

    Args:
        app: The ASGI app to protect.
        settings: For the limits and the error's wording.
        limit_for: The byte limit for a path, or None for no limit.
    """

    def __init__(
        self, app: ASGIApp, settings: Settings, limit_for: Callable[[str], int | None]
    ) -> None:
        self.app = app
        self.settings = settings
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(RequestTooLarge(limit), self.settings, scope["path"])
        await response(scope, receive, send)


CATALOGUE_UPLOAD_PATH = "/staff/catalogue/upload"


def body_limits(settings: Settings) -> Callable[[str], int | None]:
    """The gateway's limits: chat API and staff forms at ``max_request_bytes``; Telegram
    updates, Zalo and Messenger events at 1 MiB; an admin's catalogue upload at
    ``catalogue_upload_max_bytes``."""

    def limit_for(path: str) -> int | None:
        if path == CATALOGUE_UPLOAD_PATH:
            return settings.catalogue_upload_max_bytes
        if path.startswith(("/api/", "/staff/")):
            return settings.max_request_bytes
        if path.startswith(("/telegram/", "/zalo/", "/messenger/")):
            return TELEGRAM_MAX_BYTES
        return None

    return limit_for
