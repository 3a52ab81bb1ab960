"""The staff pages' own static files (styles, scripts), served without sign-in: they hold
nothing but layout and behaviour."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
ASSETS = {
    "staff.css": "text/css; charset=utf-8",
    "staff.js": "text/javascript; charset=utf-8",
    "staff-inbox.css": "text/css; charset=utf-8",
    "staff-inbox.js": "text/javascript; charset=utf-8",
    "analytics.css": "text/css; charset=utf-8",
    "analytics.js": "text/javascript; charset=utf-8",
    "chart.umd.min.js": "text/javascript; charset=utf-8",
}
# third-party files, kept as shipped beside their licences (static/vendor/README.md)
VENDORED = {"chart.umd.min.js": "vendor/chart.umd.min.js"}

router = APIRouter(prefix="/staff/static", tags=["staff"], include_in_schema=False)


@router.get("/{name}")
async def staff_asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    path = STATIC / VENDORED.get(name, name)
    if media_type is None or not path.is_file():
        raise HTTPException(status_code=404, detail="no such file")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})
