"""The widget's files, its config endpoint and the demo page, as served by the gateway."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from connectors.web.routes.widget import STATIC


def test_widget_script_and_styles_are_served(client: TestClient) -> None:
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    styles = client.get("/widget.css")
    assert styles.status_code == 200 and styles.headers["content-type"].startswith("text/css")


def test_demo_page_is_a_clearly_marked_ward_site(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "Phường An Xuyên" in page.text and "Cà Mau" in page.text
    assert "minh họa" in page.text.lower() and "demo" in page.text.lower()
    assert '<script src="/widget.js"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_widget_config(client: TestClient) -> None:
    assert client.get("/api/widget/config").json() == {
        "hotline": "1800 1096",
        "hotline_hours": {
            "vi": "7:30–17:00, thứ Hai đến thứ Sáu",
            "en": "7:30–17:00, Monday to Friday",
        },
        "max_message_chars": 1000,
    }


def test_widget_source_never_builds_markup_from_strings() -> None:
    """A cheap guard beside the browser tests: no HTML sinks, no external resources."""
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    code = re.sub(r"^\s*(//|\*|/\*).*$", "", source, flags=re.MULTILINE)  # drop comments
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("on',
        "srcdoc",
    ):
        assert sink not in code, sink
    for static in ("widget.js", "widget.css", "demo.html", "demo.css"):
        text = (STATIC / static).read_text(encoding="utf-8")
        urls = re.findall(r"https?://[^\s\"')]+", text)
        # Only documentation examples and the allow-listed government portal appear.
        allowed = ("<gateway>", "gov.vn", "http://www.w3.org/2000/svg")  # the SVG namespace
        assert all(any(a in u for a in allowed) for u in urls), (static, urls)
        assert "@import" not in text and "fonts.googleapis" not in text
