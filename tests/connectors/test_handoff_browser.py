"""A live handoff end to end in Chromium (Playwright): a citizen in the widget and an officer
in the staff inbox, in two browser contexts, against the gateway and a fake Rasa (standing in
for the action server's ``action_handoff`` too) served in threads of the test on 127.0.0.1.
``MAKE_SCREENSHOTS=1`` also writes ``docs/img/staff-inbox-conversation.png`` and
``docs/img/widget-handoff.png``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from connectors.web.app import create_app
from helpdesk.messages import text as message_text
from store import accounts
from store.handoff import open_live
from tests.connectors.fake_rasa import FakeRasa
from tests.connectors.live import CHROMIUM, CHROMIUM_ARGS
from tests.connectors.servers import serve_in_thread
from tests.connectors.staff_site import PASSWORD, StaffSite
from tests.connectors.test_staff_lookup_browser import AXE, serve
from tests.connectors.test_widget_browser import BOT, ensure_chromium

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"
STAFF = ".hdw-from-staff"
WAITING = message_text("handoff.waiting", "vi", minutes=5, hotline="1800 1096")


@dataclass
class Handoff:
    gateway: str
    rasa: FakeRasa
    site: StaffSite


@pytest.fixture(scope="module")
def handoff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Handoff]:
    ensure_chromium()
    hasher = accounts.PASSWORD_HASHER
    accounts.PASSWORD_HASHER = PasswordHasher.from_parameters(CHEAPEST)
    site = StaffSite.on(tmp_path_factory.mktemp("handoff"))
    site.add_user("lan")

    async def action_handoff(sender: str) -> list[dict[str, Any]]:
        # what the action server does during office hours
        open_live(
            site.sessions,
            conversation_id=sender,
            channel="web",
            language="vi",
            state="waiting",
            transcript=[("citizen", "Tôi muốn gặp cán bộ")],
            procedure_code="1.001193",
        )
        return [{"text": WAITING}]

    rasa = FakeRasa(on_handoff=action_handoff)
    try:
        with serve_in_thread(rasa.app()) as rasa_url:
            settings = site.settings.model_copy(
                update={
                    "rasa_url": rasa_url,
                    "chat_rate_per_minute": 1000,
                    "ip_rate_per_minute": 10_000,
                }
            )
            app = create_app(settings, load_knowledge=False)
            with serve(app) as url:  # the demo page embeds the widget: one origin
                yield Handoff(url, rasa, site)
    finally:
        accounts.PASSWORD_HASHER = hasher
        site.close()


@pytest.fixture(scope="module")
def browser(handoff: Handoff) -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _sign_in(page: Any, gateway: str) -> None:
    page.goto(gateway + "/staff/inbox")
    page.locator("#username").fill("lan")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Hộp thư người dân")).to_be_visible()


def _say(citizen: Any, text: str) -> None:
    citizen.locator(".hdw-input").fill(text)
    citizen.locator(".hdw-input").press("Enter")


def test_a_citizen_and_an_officer_complete_a_handoff(browser: Any, handoff: Handoff) -> None:
    gateway = handoff.gateway
    widget = browser.new_context(locale="vi-VN")
    inbox = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    try:
        citizen = widget.new_page()
        citizen.goto(gateway + "/")
        citizen.locator(".hdw-launcher").click()
        citizen.locator(".hdw-chip", has_text="Gặp cán bộ").click()
        expect(citizen.locator(BOT).last).to_contain_text("Bạn đang trong hàng chờ")

        officer = inbox.new_page()
        _sign_in(officer, gateway)
        row = officer.locator(".inbox tbody tr").first
        expect(row).to_contain_text("Đang chờ")
        expect(row).to_contain_text("1.001193")
        row.get_by_role("link").click()
        expect(officer.locator("#transcript")).to_contain_text("Tôi muốn gặp cán bộ")
        officer.locator("#claim").click()
        expect(officer.locator("#conversation-state")).to_contain_text("Đã nhận (lan)")

        # pushed to the widget: the officer has the conversation
        claimed = message_text("handoff.claimed", "vi")
        expect(citizen.locator(BOT).last).to_contain_text(claimed)
        conversation = "web-" + str(
            citizen.evaluate("() => window.HelpdeskWidget.conversationId()")
        )
        assert handoff.rasa.tracker_events == [(conversation, "pause")]

        # the citizen writes: the bot stays silent, the officer reads it
        bots = citizen.locator(BOT).count()
        _say(citizen, "Cho tôi hỏi lệ phí đăng ký khai sinh")
        expect(officer.locator("#transcript")).to_contain_text("Cho tôi hỏi lệ phí")
        assert citizen.locator(BOT).count() == bots
        assert (conversation, "Cho tôi hỏi lệ phí đăng ký khai sinh") in handoff.rasa.received

        officer.locator("#reply-text").fill(
            "Chào chị, đăng ký khai sinh đúng hạn được miễn lệ phí."
        )
        officer.locator("#send-reply").click()
        expect(citizen.locator(STAFF)).to_have_count(1)
        expect(citizen.locator(STAFF)).to_contain_text("Cán bộ: Chào chị")

        # a reload (or a dropped connection) resumes after the last message seen
        citizen.reload()
        expect(citizen.locator(STAFF)).to_have_count(1)
        officer.locator("#reply-text").fill("Chị cần thêm gì nữa không?")
        officer.locator("#send-reply").click()
        expect(citizen.locator(STAFF)).to_have_count(2)
        expect(citizen.locator(STAFF).last).to_contain_text("Chị cần thêm gì nữa không?")
        if os.environ.get("MAKE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            officer.screenshot(path=str(SCREENSHOTS / "staff-inbox-conversation.png"))
            citizen.screenshot(path=str(SCREENSHOTS / "widget-handoff.png"))

        _say(citizen, "Dạ không, cảm ơn")
        expect(officer.locator("#transcript")).to_contain_text("Dạ không, cảm ơn")
        officer.locator("#hand-back").click()
        expect(officer.locator("#conversation-state")).to_contain_text("Đã trả cho trợ lý ảo")
        expect(citizen.locator(BOT).last).to_contain_text("Trợ lý ảo tiếp tục hỗ trợ bạn")
        assert handoff.rasa.tracker_events[-1] == (conversation, "resume")

        # the bot answers again
        _say(citizen, "Làm giấy khai sinh cần gì?")
        expect(citizen.locator(BOT).last).to_contain_text("Bạn muốn hỏi thủ tục nào?")
        assert (
            citizen.evaluate("() => JSON.parse(Object.entries(localStorage)[0][1]).listening")
            is False
        )
    finally:
        widget.close()
        inbox.close()


@pytest.mark.skipif(
    not AXE.exists(), reason="axe-core not installed (npm install --no-save axe-core)"
)
def test_the_inbox_pages_have_no_accessibility_violations(browser: Any, handoff: Handoff) -> None:
    view, _ = open_live(
        handoff.site.sessions,
        conversation_id="web-axe-check-0001",
        channel="web",
        language="vi",
        state="waiting",
        transcript=[("citizen", "Xin gặp cán bộ"), ("bot", WAITING)],
    )
    context = browser.new_context(bypass_csp=True)  # to load axe-core into the page
    try:
        page = context.new_page()
        _sign_in(page, handoff.gateway)
        for path in ("/staff/inbox", f"/staff/inbox/{view.id}"):
            page.goto(handoff.gateway + path)
            page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
            found = page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa',"
                " 'wcag21aa', 'best-practice']})).violations.map(v => ({id: v.id,"
                " nodes: v.nodes.length, first: v.nodes[0].html}))"
            )
            assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
    finally:
        context.close()
