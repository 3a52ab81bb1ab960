"""Server-rendered pages for ward staff: one Jinja2 environment for every staff template.

Templates live in ``connectors/web/templates`` (``staff/base.html`` is the layout every staff
page extends). Autoescaping is on for every template; the pages load nothing but the gateway's
own files (:data:`STAFF_CSP`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# Staff pages load only the gateway's own scripts, styles and images.
STAFF_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
