"""Screenshots of the widget for the docs: ``python -m tests.connectors.make_screenshots``.

Writes ``docs/img/widget.png`` (desktop, on the demo ward site) and
``docs/img/widget-mobile.png`` (360 px phone), using Debian's Chromium.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tests.connectors.live import CHROMIUM, CHROMIUM_ARGS, live_gateway
from tests.connectors.servers import ROOT

BOT = ".hdw-from-bot:not(.hdw-typing)"


def _converse(page: Any, expect: Any) -> None:
    page.locator(".hdw-launcher").click()
    page.locator(".hdw-input").fill("Làm giấy khai sinh cần gì?")
    page.locator(".hdw-input").press("Enter")
    expect(page.locator(".hdw-choice")).to_have_count(2)
    page.locator(".hdw-choice").first.click()
    expect(page.locator(BOT)).to_have_count(4)
    page.locator(".hdw-input").fill("Lệ phí bao nhiêu?")
    page.locator(".hdw-input").press("Enter")
    expect(page.locator(BOT)).to_have_count(5)
    page.locator(".hdw-input").fill("tra cứu hồ sơ")
    page.locator(".hdw-input").press("Enter")
    expect(page.locator(BOT)).to_have_count(6)
    page.locator(".hdw-input").blur()


def capture(browser: Any, gateway: str, out_dir: Path) -> tuple[Path, Path]:
    """Take both screenshots with a running ``browser``; return their paths."""
    from playwright.sync_api import expect

    out_dir.mkdir(parents=True, exist_ok=True)
    shots = []
    for name, options in (
        ("widget.png", {"viewport": {"width": 1280, "height": 800}}),
        (
            "widget-mobile.png",
            {
                "viewport": {"width": 360, "height": 740},
                "device_scale_factor": 2,
                "is_mobile": True,
            },
        ),
    ):
        context = browser.new_context(**options)
        page = context.new_page()
        page.goto(gateway + "/")
        _converse(page, expect)
        page.wait_for_timeout(300)
        path = out_dir / name
        page.screenshot(path=str(path))
        context.close()
        shots.append(path)
    return shots[0], shots[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as workdir,
        live_gateway(Path(workdir)) as live,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in capture(browser, live.gateway, ROOT / "docs" / "img"):
            print(path.relative_to(ROOT))
        browser.close()


if __name__ == "__main__":
    main()
