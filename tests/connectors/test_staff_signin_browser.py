"""Signing in to the staff pages in a real browser (Debian's Chromium driven by Playwright):
the way to the sign-in page and back, the error in Vietnamese, the session cookie's flags as
the browser holds them, signing out, an officer refused the admins' page, and the sign-in page
checked by axe-core. The gateway runs in a thread of the test on 127.0.0.1, on a database of
its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from connectors.web.auth import SESSION_COOKIE
from store import accounts
from tests.connectors.live import CHROMIUM, CHROMIUM_ARGS
from tests.connectors.staff_site import PASSWORD, StaffSite
from tests.connectors.test_staff_lookup_browser import AXE, serve
from tests.connectors.test_widget_browser import ensure_chromium

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

REFUSED = "Tên đăng nhập hoặc mật khẩu không đúng."


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffSite]:
    with pytest.MonkeyPatch.context() as patch:
        # argon2 with its cheapest parameters: the same code, without 0.3 s per hash
        patch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher.from_parameters(CHEAPEST))
        site = StaffSite.on(tmp_path_factory.mktemp("signin"))
        site.add_user("lan", "staff")
        site.add_user("admin", "admin")
        try:
            yield site
        finally:
            site.close()


@pytest.fixture(scope="module")
def gateway(site: StaffSite) -> Iterator[str]:
    ensure_chromium()
    with serve(site.app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser(gateway: str) -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    yield context
    context.close()


def _path(page: Any) -> str:
    parts = urlsplit(str(page.url))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _sign_in(page: Any, username: str, password: str) -> None:
    """Type into the sign-in form and send it with the Enter key, as an officer would."""
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("#password").press("Enter")


def test_sign_in_from_the_staff_home_and_out_again(context: Any, gateway: str) -> None:
    page = context.new_page()
    page.goto(gateway + "/staff/")
    assert _path(page) == "/staff/login?next=%2Fstaff%2F"
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    expect(page.locator("#username")).to_be_focused()

    _sign_in(page, "lan", "không phải mật khẩu")
    expect(page.locator("p.error[role=alert]")).to_have_text(REFUSED)
    expect(page.locator("#username")).to_have_value("lan")  # kept, to retype the password only
    expect(page.locator("#password")).to_have_value("")
    assert not [c for c in context.cookies() if c["name"] == SESSION_COOKIE]

    _sign_in(page, "lan", PASSWORD)
    assert _path(page) == "/staff/"
    expect(page.locator("h1")).to_contain_text("Xin chào, lan")
    expect(page.locator("p.error")).to_have_count(0)

    (cookie,) = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/staff" and cookie["expires"] == -1  # ends with the browser
    assert SESSION_COOKIE not in page.evaluate("() => document.cookie")  # out of scripts' reach

    with page.expect_navigation():
        page.get_by_role("button", name="Đăng xuất").click()
    assert urlsplit(page.url).path == "/staff/login"
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    assert not [c for c in context.cookies() if c["name"] == SESSION_COOKIE]

    page.goto(gateway + "/staff/")
    assert _path(page) == "/staff/login?next=%2Fstaff%2F"


def test_an_officer_is_refused_the_audit_log(context: Any, gateway: str) -> None:
    page = context.new_page()
    page.goto(gateway + "/staff/audit")
    assert _path(page) == "/staff/login?next=%2Fstaff%2Faudit"
    _sign_in(page, "lan", PASSWORD)
    assert urlsplit(page.url).path == "/staff/audit"  # sent back to the page asked for…
    expect(page.locator("h1")).to_have_text("Không có quyền")  # …which refuses an officer
    expect(page.locator("p.error[role=alert]")).to_have_text(
        "Trang này chỉ dành cho quản trị viên."
    )
    expect(page.locator("table.audit")).to_have_count(0)
    response = page.goto(gateway + "/staff/audit")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Không có quyền")


def test_an_admin_opens_the_audit_log(context: Any, gateway: str) -> None:
    """The same page as above, to show the refusal is the officer's role, not the page."""
    page = context.new_page()
    page.goto(gateway + "/staff/login?next=%2Fstaff%2Faudit")
    _sign_in(page, "admin", PASSWORD)
    assert urlsplit(page.url).path == "/staff/audit"
    expect(page.locator("h1")).to_have_text("Nhật ký truy cập")
    expect(page.locator("table.audit")).to_be_visible()


@pytest.mark.skipif(
    not AXE.exists(), reason="axe-core not installed (npm install --no-save axe-core)"
)
@pytest.mark.parametrize("wrong_password", [False, True], ids=["form", "with-error"])
def test_no_accessibility_violations_on_the_sign_in_page(
    browser: Any, gateway: str, wrong_password: bool
) -> None:
    context = browser.new_context(bypass_csp=True)  # to load axe-core into the page
    page = context.new_page()
    page.goto(gateway + "/staff/login")
    if wrong_password:
        _sign_in(page, "nobody-here", "không phải mật khẩu")
        expect(page.locator("p.error[role=alert]")).to_have_text(REFUSED)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa',"
        " 'best-practice']})).violations.map(v => ({id: v.id, nodes: v.nodes.length,"
        " first: v.nodes[0].html}))"
    )
    context.close()
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
