"""The analytics dashboard in a real browser (Debian's Chromium driven by Playwright): the
charts drawn by the gateway's own Chart.js under the staff pages' CSP, a question of the work
queue added as an alias in one click, and the page checked by axe-core. The gateway runs in a
thread of the test on 127.0.0.1, on a database of its own with a few days of turns.
``MAKE_SCREENSHOTS=1`` also writes ``docs/img/staff-analytics.png``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from connectors.web.app import create_app
from knowledge.catalogue import load_catalogue
from knowledge.service import Knowledge
from store import accounts
from store.analytics import TurnEvent, TurnFacts, record_turns
from store.status import utc_now
from tests.connectors.conftest import Upstream
from tests.connectors.live import CHROMIUM, CHROMIUM_ARGS
from tests.connectors.staff_site import PASSWORD, StaffSite
from tests.connectors.test_staff_lookup_browser import AXE, serve
from tests.connectors.test_widget_browser import ensure_chromium
from tests.publishing.catalogue_files import write_catalogue

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "staff-analytics.png"
MISSED = "giấy chứng sinh bị mất thì làm sao"
CHARTS = ("daily", "procedures", "satisfaction")
# every Content-Security-Policy violation, from the page's own point of view
WATCH_CSP = (
    "window.cspViolations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffSite]:
    root = tmp_path_factory.mktemp("analytics")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher.from_parameters(CHEAPEST))
        site = StaffSite.on(root, catalogue_dir=write_catalogue(root / "shipped"))
        site.add_user("admin", "admin")
    now = utc_now()
    turns = []
    for day in range(6):
        at = now - timedelta(days=day, minutes=5)
        for n, (channel, facts) in enumerate(
            [
                ("web", {"procedure": "1.000001", "answered": True, "confidence": 0.98}),
                ("telegram", {"procedure": "1.000002", "answered": True, "confidence": 0.95}),
                ("zalo", {"feedback": "up" if day % 3 else "down"}),
                ("web", {"answered": False, "confidence": 0.6}),
            ]
        ):
            said = MISSED if n == 3 else "lệ phí khai sinh"
            conversation = f"{channel}-{day}-{n}"
            facts = TurnFacts.from_raw({**facts, "language": "vi"})
            turns.append(TurnEvent(at, conversation, channel, said, 400 + 100 * n, facts))
    record_turns(site.sessions, site.settings.secret_key.get_secret_value(), turns)
    try:
        yield site
    finally:
        site.close()


@pytest.fixture(scope="module")
def gateway(site: StaffSite) -> Iterator[str]:
    ensure_chromium()
    knowledge = Knowledge(load_catalogue(site.settings.catalogue_dir), None, Path("x"))  # type: ignore[arg-type]
    upstream = Upstream(site.settings.internal_token("rasa"))
    app = create_app(site.settings, knowledge, http_transport=httpx.MockTransport(upstream))
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(gateway: str) -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _signed_in(context: Any, gateway: str) -> Any:
    page = context.new_page()
    page.goto(gateway + "/staff/")
    page.locator("#username").fill("admin")
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    expect(page.locator("h1")).to_have_text("Xin chào, admin")
    return page


def _wait_for_charts(page: Any) -> None:
    """Until every chart of the page is drawn (Chart.js has one on each canvas)."""
    page.wait_for_function(
        "names => window.Chart && names.every(name => {"
        ' const canvas = document.querySelector(`canvas[data-chart="${name}"]`);'
        " return Chart.getChart(canvas) && canvas.width > 0; })",
        arg=list(CHARTS),
    )


@pytest.fixture
def page(browser: Any, gateway: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.add_init_script(WATCH_CSP)
    yield _signed_in(context, gateway)
    context.close()


def test_the_charts_are_drawn_under_the_staff_pages_policy(page: Any) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    with page.expect_navigation():
        page.locator("ul.nav").get_by_role("link", name="Thống kê").click()
    expect(page.locator("h1")).to_have_text("Người dân hỏi gì")
    for name in CHARTS:
        expect(page.locator(f'canvas[data-chart="{name}"]')).to_have_attribute("role", "img")
    _wait_for_charts(page)
    daily = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-chart=daily]'))"
        ".data.datasets.map(d => [d.label, d.data.reduce((a, b) => a + b, 0)])"
    )
    assert daily == [["Trang web", 12], ["Telegram", 6], ["Zalo", 6]]
    assert page.evaluate("() => window.cspViolations") == []
    assert errors == []
    if os.environ.get("MAKE_SCREENSHOTS") == "1":  # charts drawn whole, not mid-animation
        page.emulate_media(reduced_motion="reduce")
        page.reload()
        _wait_for_charts(page)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_a_missed_question_becomes_an_alias_in_one_click(page: Any, gateway: str) -> None:
    page.goto(gateway + "/staff/analytics")
    row = page.locator("table.queue tbody tr").filter(has_text=MISSED)
    expect(row.locator("td").nth(2)).to_have_text("6")  # asked six times
    row.get_by_label("Mã thủ tục").fill("1.000001")
    with page.expect_navigation():
        row.get_by_role("button", name="Thêm").click()
    assert urlsplit(page.url).path.startswith("/staff/catalogue/releases/")
    expect(page.locator("main")).to_contain_text(MISSED)
    expect(page.get_by_role("button", name="Xuất bản", exact=False)).to_be_visible()


@pytest.mark.skipif(
    not AXE.exists(), reason="axe-core not installed (npm install --no-save axe-core)"
)
def test_no_accessibility_violations(browser: Any, gateway: str) -> None:
    context = browser.new_context(bypass_csp=True)  # to load axe-core into the page
    try:
        page = _signed_in(context, gateway)
        found = {}
        for path in ("/staff/analytics", "/staff/analytics?days=30"):
            page.goto(gateway + path)
            _wait_for_charts(page)
            page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
            found[path] = page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa',"
                " 'wcag21aa', 'best-practice']})).violations.map(v => ({id: v.id,"
                " nodes: v.nodes.length, first: v.nodes[0].html}))"
            )
        assert found == {path: [] for path in found}
    finally:
        context.close()
