"""QR codes for printed pages: an inline SVG (no file, no request), drawn by segno."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(url: str, title: str) -> Markup:
    """An SVG QR code of ``url`` (error correction M) sized by CSS (``svg.qr``), with
    ``title`` as its accessible name."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", title=title)
    # segno writes the SVG and escapes the title: nothing in it comes unescaped from outside
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))
