"""The embeddable web widget (``/widget.js``, ``/widget.css``), its config, and the demo page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel

from connectors.web.deps import SettingsDep

STATIC = Path(__file__).resolve().parent.parent / "static"

# The demo page loads nothing but the gateway's own files.
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
WIDGET_CACHE = "public, max-age=300"

router = APIRouter(tags=["widget"])


class HotlineHours(BaseModel):
    """When the hotline answers, worded in each language."""

    vi: str
    en: str


class WidgetConfig(BaseModel):
    """What the widget needs from the server before the first message."""

    hotline: str
    hotline_hours: HotlineHours
    max_message_chars: int


def _static(name: str, media_type: str, cache: str = WIDGET_CACHE) -> FileResponse:
    headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    return FileResponse(STATIC / name, media_type=media_type, headers=headers)


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> FileResponse:
    return _static("widget.js", "text/javascript; charset=utf-8")


@router.get("/widget.css", include_in_schema=False)
def widget_css() -> FileResponse:
    return _static("widget.css", "text/css; charset=utf-8")


@router.get("/demo.css", include_in_schema=False)
def demo_css() -> FileResponse:
    return _static("demo.css", "text/css; charset=utf-8")


@router.get("/", include_in_schema=False)
def demo_page() -> FileResponse:
    response = _static("demo.html", "text/html; charset=utf-8", cache="no-cache")
    response.headers["Content-Security-Policy"] = DEMO_CSP
    return response


@router.get("/api/widget/config", response_model=WidgetConfig)
def widget_config(settings: SettingsDep) -> WidgetConfig:
    """The hotline and limits the widget shows and enforces."""
    return WidgetConfig(
        hotline=settings.hotline,
        hotline_hours=HotlineHours(
            vi=settings.hotline_hours("vi"), en=settings.hotline_hours("en")
        ),
        max_message_chars=settings.max_message_chars,
    )
