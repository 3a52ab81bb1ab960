"""Server-rendered pages for ward staff: one Jinja2 environment for every staff template.

Templates live in ``connectors/web/templates`` (``staff/base.html`` is the layout every staff
page extends). Autoescaping is on for every template; the pages load nothing but the gateway's
own files (:data:`STAFF_CSP`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from store.status import VN_TZ

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# Staff pages load only the gateway's own scripts, styles and images.
STAFF_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# Every staff page: its own files only, never cached (it may show a record), no referrer
# carrying a staff URL elsewhere.
STAFF_HEADERS = {
    "Content-Security-Policy": STAFF_CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def staff_page(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A staff template rendered with :data:`STAFF_HEADERS`.

    Besides ``context``, every template gets ``staff_user`` (the signed-in
    :class:`~connectors.web.auth.StaffUser`, or None) and ``csrf_token`` (the token every POST
    form carries as ``<input type="hidden" name="csrf_token">``); ``staff/signed_in.html``
    uses both for its navigation and sign-out button.
    """
    values = {
        "staff_user": getattr(request.state, "staff_user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        **(context or {}),
    }
    response: HTMLResponse = templates.TemplateResponse(
        request, name, values, status_code=status_code, headers={**STAFF_HEADERS, **(headers or {})}
    )
    return response


def local_time(moment: datetime | None) -> str:
    """A moment as a counter reads it: Vietnam time, ``dd/mm/yyyy HH:MM``."""
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if moment else ""
