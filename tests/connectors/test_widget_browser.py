"""The web widget in a real browser: Debian's Chromium driven by Playwright, against the
gateway and a fake Rasa running as background processes on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from connectors.conversations import web_conversation
from tests.connectors.fake_rasa import RECORD
from tests.connectors.live import CHROMIUM, CHROMIUM_ARGS, Live, live_gateway
from tests.connectors.servers import serve_in_thread

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

BOT = ".hdw-from-bot:not(.hdw-typing)"
USER = ".hdw-from-user"
QUESTION = "Làm giấy khai sinh cần gì?"


def ensure_chromium() -> None:
    """Install Debian's Chromium when missing (never a Playwright browser download)."""
    if Path(CHROMIUM).exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        for command in (
            ["apt-get", "install", "-y", "chromium"],
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "chromium"],
        ):
            done = subprocess.run(command, capture_output=True, timeout=900, check=False)
            if command[1] == "install" and done.returncode == 0:
                break
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def ward_site() -> Iterator[tuple[str, dict[str, str]]]:
    """Another origin (a ward's own website) that embeds the widget with one script tag."""
    holder: dict[str, str] = {}

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Phường An Xuyên</title></head><body><h1>Phường An Xuyên (demo)</h1>"
            f"<script src='{holder['gateway']}/widget.js' data-title='Hỏi đáp An Xuyên'>"
            "</script></body></html>"
        )

    with serve_in_thread(Starlette(routes=[Route("/", page)])) as url:
        yield url, holder


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, ward_site: tuple[str, dict[str, str]]
) -> Iterator[Live]:
    ensure_chromium()
    with live_gateway(tmp_path_factory.mktemp("live"), extra_origins=(ward_site[0],)) as servers:
        ward_site[1]["gateway"] = servers.gateway
        yield servers


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Widget:
    """A page with the widget, and the few things the tests ask of it."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def open(self) -> None:
        self.page.locator(".hdw-launcher").click()
        expect(self.page.locator(".hdw-panel")).to_be_visible()

    def send(self, text: str) -> None:
        self.page.locator(".hdw-input").fill(text)
        self.page.locator(".hdw-input").press("Enter")

    def bot(self, n: int = -1) -> Any:
        return self.page.locator(BOT).nth(n)

    def wait_bots(self, count: int) -> None:
        expect(self.page.locator(BOT)).to_have_count(count)

    def focused(self) -> str:
        """Class of the focused element inside the widget's shadow root ('' if outside)."""
        return str(
            self.page.evaluate(
                "() => { const h = document.getElementById('helpdesk-widget');"
                " const a = h && h.shadowRoot.activeElement; return a ? a.className : ''; }"
            )
        )

    def conversation_id(self) -> str:
        return str(self.page.evaluate("() => window.HelpdeskWidget.conversationId()"))

    def live_region(self) -> str:
        return str(self.page.locator(".hdw-sr[aria-live=polite]").text_content())


@pytest.fixture
def widget(browser: Any, live: Live) -> Iterator[Widget]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    page.goto(live.gateway + "/")
    yield Widget(page)
    context.close()


@pytest.fixture
def phone(browser: Any, live: Live) -> Iterator[Widget]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto(live.gateway + "/")
    yield Widget(page)
    context.close()


def test_a_whole_conversation(widget: Widget, live: Live) -> None:
    page = widget.page
    widget.open()
    assert widget.focused() == "hdw-input"  # opening moves focus to the question box
    widget.wait_bots(1)  # the welcome
    expect(widget.bot(0)).to_contain_text("Xin chào")

    widget.send(QUESTION)
    expect(page.locator(USER).last).to_contain_text(QUESTION)
    expect(page.locator(".hdw-choice")).to_have_count(2)
    page.locator(".hdw-choice", has_text="Đăng ký khai sinh").first.click()
    expect(page.locator(USER).last).to_contain_text("Đăng ký khai sinh")
    widget.wait_bots(4)
    expect(page.locator(".hdw-choice")).to_have_count(0)  # answered choices go away
    source = page.locator(BOT).nth(2).locator("a.hdw-link")
    expect(source).to_have_attribute(
        "href",
        r"https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193",
    )
    expect(source).to_have_attribute("rel", "noopener noreferrer")

    widget.send("Lệ phí bao nhiêu?")  # a follow-up
    widget.wait_bots(5)
    expect(widget.bot()).to_contain_text("miễn lệ phí")
    expect(widget.bot().locator("a.hdw-link", has_text="Cổng Dịch vụ công")).to_be_visible()
    widget.bot().locator(".hdw-rate-up").click()
    expect(widget.bot(4).locator(".hdw-rate-up")).to_have_attribute("aria-pressed", "true")
    expect(widget.bot(4).locator(".hdw-rate-down")).to_be_disabled()
    widget.wait_bots(6)  # "thank you"

    page.locator(".hdw-chip", has_text="Tra cứu hồ sơ").click()
    widget.wait_bots(7)
    expect(widget.bot()).to_contain_text("mã hồ sơ")
    widget.send(RECORD)
    widget.wait_bots(8)
    expect(widget.bot()).to_contain_text("4 số cuối")
    widget.send("1234")
    widget.wait_bots(9)
    expect(widget.bot()).to_contain_text("đang được giải quyết")
    expect(page.locator(".hdw-sr[aria-live=polite]")).to_contain_text("đang được giải quyết")
    expect(page.locator(".hdw-typing")).to_be_hidden()

    mine = [m for s, m in live.received() if s == web_conversation(widget.conversation_id())]
    assert mine == [
        QUESTION,
        '/choose_procedure{"procedure":"1.001193"}',
        "Lệ phí bao nhiêu?",
        '/feedback{"rating":"up"}',
        "/check_record_status",
        RECORD,
        "1234",
    ]
    assert widget.dialogs == []


def test_english_switch(widget: Widget, live: Live) -> None:
    page = widget.page
    widget.open()
    page.locator(".hdw-lang").click()
    expect(page.locator(".hdw-send")).to_have_text("Send")
    expect(page.locator(".hdw")).to_have_attribute("lang", "en")
    expect(widget.bot(0)).to_contain_text("Hello!")  # the welcome is re-rendered
    expect(widget.bot()).to_contain_text("I will answer in English.")
    expect(page.locator(".hdw-lang")).to_have_attribute("aria-label", "Chuyển sang tiếng Việt")
    sent = (web_conversation(widget.conversation_id()), '/change_language{"language":"en"}')
    assert sent in live.received()
    page.locator(".hdw-lang").click()
    expect(page.locator(".hdw-send")).to_have_text("Gửi")
    expect(widget.bot()).to_contain_text("Tôi sẽ trả lời bằng tiếng Việt.")


def test_conversation_survives_a_reload(widget: Widget, live: Live) -> None:
    page = widget.page
    widget.open()
    widget.send("Lệ phí bao nhiêu?")
    widget.wait_bots(2)
    page.locator(".hdw-large").click()
    before = widget.conversation_id()

    page.reload()
    expect(page.locator(".hdw-panel")).to_be_visible()  # it stays open
    expect(page.locator(USER)).to_have_text(["Bạn: Lệ phí bao nhiêu?"])
    expect(widget.bot()).to_contain_text("miễn lệ phí")
    expect(page.locator(".hdw-large")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".hdw")).to_have_class("hdw hdw-is-large hdw-is-open")
    assert widget.conversation_id() == before
    widget.send("tra cứu hồ sơ")
    widget.wait_bots(3)
    assert [s for s, _ in live.received()].count(web_conversation(before)) == 2

    page.locator(".hdw-reset").click()  # a new conversation for the next citizen
    expect(page.locator(USER)).to_have_count(0)
    assert widget.conversation_id() != before


def test_a_stale_conversation_starts_afresh(widget: Widget) -> None:
    page = widget.page
    widget.open()
    widget.send("Lệ phí bao nhiêu?")
    widget.wait_bots(2)
    before = widget.conversation_id()
    page.evaluate(
        "() => { for (const key of Object.keys(localStorage)) {"
        " const saved = JSON.parse(localStorage.getItem(key));"
        " saved.updated = Date.now() - 13 * 3600 * 1000;"
        " localStorage.setItem(key, JSON.stringify(saved)); } }"
    )
    page.reload()
    expect(page.locator(".hdw-panel")).to_be_hidden()
    expect(page.locator(USER)).to_have_count(0)
    assert widget.conversation_id() != before


def test_keyboard_only(widget: Widget, live: Live) -> None:
    page = widget.page
    for _ in range(40):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if widget.focused() == "hdw-launcher":
            break
    assert widget.focused() == "hdw-launcher"
    page.keyboard.press("Enter")
    expect(page.locator(".hdw-panel")).to_be_visible()
    assert widget.focused() == "hdw-input"
    expect(page.locator(".hdw-launcher")).to_have_attribute("aria-expanded", "true")

    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator(".hdw-choice")).to_have_count(2)
    for _ in range(10):  # back from the input to the bot's choices
        page.keyboard.press("Shift+Tab")
        if widget.focused() == "hdw-choice":
            break
    assert widget.focused() == "hdw-choice"
    page.keyboard.press("Enter")
    widget.wait_bots(4)
    assert widget.focused() == "hdw-input"

    page.keyboard.type("dòng một")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    expect(page.locator(".hdw-input")).to_have_value("dòng một\n")

    page.keyboard.press("Escape")
    expect(page.locator(".hdw-panel")).to_be_hidden()
    assert widget.focused() == "hdw-launcher"
    expect(page.locator(".hdw-launcher")).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")
    assert widget.focused() == "hdw-input"
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(widget.focused())
    assert order[0] == "hdw-send"


def test_phone_layout_at_360px(phone: Widget, live: Live) -> None:
    page = phone.page
    phone.open()
    box = page.locator(".hdw-panel").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 360, "height": 740}  # full screen
    expect(page.locator(".hdw-launcher")).to_be_hidden()
    phone.send("long")  # six long paragraphs
    phone.wait_bots(2)
    phone.send("Bấm https://dichvucong.gov.vn/" + "rat-dai-" * 30 + " nhé")
    phone.wait_bots(3)
    overflow = page.evaluate(
        "() => { const r = document.getElementById('helpdesk-widget').shadowRoot;"
        " const log = r.querySelector('.hdw-log');"
        " const panel = r.querySelector('.hdw-panel');"
        " const widest = Math.max(...[...r.querySelectorAll('.hdw-bubble, .hdw-choice')]"
        "   .map(b => b.getBoundingClientRect().right));"
        " return {page: document.documentElement.scrollWidth,"
        "  log: log.scrollWidth - log.clientWidth,"
        "  panel: panel.scrollWidth - panel.clientWidth, widest: widest}; }"
    )
    assert overflow["page"] <= 360 and overflow["log"] == 0 and overflow["panel"] == 0
    assert overflow["widest"] <= 360
    assert page.locator(".hdw-send").bounding_box()["x"] + 48 <= 360  # send button visible

    page.locator(".hdw-send").focus()  # full screen: Tab stays inside the panel
    page.keyboard.press("Tab")
    assert phone.focused() == "hdw-tool hdw-lang"


def test_bot_output_cannot_inject_markup(widget: Widget, live: Live) -> None:
    page = widget.page
    widget.open()
    widget.send("xss")
    widget.wait_bots(4)
    page.wait_for_timeout(500)  # let any injected handler fire, if one could
    expect(widget.bot(1)).to_contain_text("<img src=x onerror=alert(1)>")
    root = "document.getElementById('helpdesk-widget').shadowRoot"
    counts = page.evaluate(
        f"() => ({{img: {root}.querySelectorAll('img').length + document.images.length,"
        f" js: [...{root}.querySelectorAll('a')].filter(a => !a.href.startsWith('https://')).length,"
        f" bold: {root}.querySelectorAll('b').length,"
        f" links: [...{root}.querySelectorAll('a')].map(a => a.href)}})"
    )
    assert counts["img"] == 0 and counts["js"] == 0 and counts["bold"] == 0
    assert counts["links"] == ["https://dichvucong.gov.vn/p/1"]  # only the allowed host
    expect(widget.bot(2)).to_contain_text("javascript:alert(1)")
    expect(widget.bot(2)).to_contain_text("https://evil.example.com/x")
    expect(widget.bot(3)).to_contain_text("bad: javascript:alert(3)")
    expect(page.locator(".hdw-choice")).to_have_text("<b>nút</b>")
    assert widget.dialogs == []


def test_embedded_on_another_origin(
    browser: Any, live: Live, ward_site: tuple[str, dict[str, str]]
) -> None:
    """One script tag on a ward's own site: the API address comes from the script's src."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(ward_site[0] + "/")
    widget = Widget(page)
    widget.open()
    expect(page.locator(".hdw-title")).to_have_text("Hỏi đáp An Xuyên")
    widget.send("Lệ phí bao nhiêu?")
    widget.wait_bots(2)
    expect(widget.bot()).to_contain_text("miễn lệ phí")
    context.close()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (503, '{"error":"BotUnavailable","hotline":"1800 1096"}', "tổng đài 1800 1096"),
        (429, '{"error":"RateLimited","retry_after":42}', "đợi 42 giây"),
        (413, '{"error":"RequestTooLarge","limit":16384}', "quá dài"),
    ],
)
def test_errors_are_explained(widget: Widget, status: int, body: str, expected: str) -> None:
    widget.page.route(
        "**/api/chat",
        lambda route: route.fulfill(status=status, body=body, content_type="application/json"),
    )
    widget.open()
    widget.send("xin chào")
    expect(widget.bot()).to_contain_text(expected)
    expect(widget.page.locator(".hdw-sr[aria-live=polite]")).to_contain_text(expected)


def test_gateway_unreachable_is_explained(widget: Widget) -> None:
    widget.page.route("**/api/chat", lambda route: route.abort())
    widget.open()
    widget.send("xin chào")
    expect(widget.bot()).to_contain_text("Không kết nối được")


CONTRAST = """
() => {
  const root = document.getElementById('helpdesk-widget').shadowRoot;
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let n = el; n; n = n.parentElement || (n.getRootNode() && n.getRootNode().host)) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length >= 3 && (c.length === 3 || c[3] > 0)) return c;
    }
    return [255, 255, 255];
  };
  const out = {};
  for (const sel of ['.hdw-title', '.hdw-subtitle', '.hdw-tool', '.hdw-from-user .hdw-bubble',
                     '.hdw-from-bot .hdw-bubble', '.hdw-link', '.hdw-choice', '.hdw-chip',
                     '.hdw-send', '.hdw-privacy', '.hdw-launcher', '.hdw-notice .hdw-bubble']) {
    const el = root.querySelector(sel);
    if (!el) { out[sel] = null; continue; }
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  return out;
}
"""


def test_text_contrast_meets_wcag_aa(widget: Widget) -> None:
    widget.open()
    widget.send("Lệ phí bao nhiêu?")
    widget.wait_bots(2)
    widget.page.route("**/api/chat", lambda route: route.fulfill(status=503, body="{}"))
    widget.send("khai sinh")
    widget.wait_bots(3)
    widget.page.unroute("**/api/chat")
    widget.send(QUESTION)
    expect(widget.page.locator(".hdw-choice")).to_have_count(2)
    ratios = widget.page.evaluate(CONTRAST)
    low = {selector: ratio for selector, ratio in ratios.items() if ratio is None or ratio < 4.5}
    assert low == {}, ratios


def test_screenshots(browser: Any, live: Live, tmp_path: Path) -> None:
    from tests.connectors.make_screenshots import capture

    desktop, mobile = capture(browser, live.gateway, tmp_path)
    assert desktop.stat().st_size > 20_000 and mobile.stat().st_size > 20_000
