"""Catalogue publishing in a real browser (Debian's Chromium driven by Playwright), as an
admin: upload a file through the form, read the report, publish and watch the page follow the
build until the release is live, see the new fee in the public API and on the staff card,
then roll back; a file with a problem shows it and cannot be published; the pages checked by
axe-core. The gateway runs in a thread of the test on 127.0.0.1, on a database of its own,
with a small catalogue folder and the real embedder.

``MAKE_SCREENSHOTS=1`` also writes ``docs/img/staff-catalogue-release.png`` (a release's
report, full page, 1280 px wide).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from connectors.web.app import create_app
from store import accounts
from tests.connectors.conftest import Upstream
from tests.connectors.live import CHROMIUM, CHROMIUM_ARGS
from tests.connectors.staff_site import PASSWORD, StaffSite
from tests.connectors.test_staff_lookup_browser import AXE, ROOT, serve
from tests.connectors.test_widget_browser import ensure_chromium
from tests.publishing.catalogue_files import procedure_file, write_catalogue

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CODE = "1.000001"  # birth registration: free in the shipped folder
NEW_FEE = procedure_file(code=CODE, fees=[{"name": "Lệ phí", "amount": 8000}])
BROKEN = procedure_file(code="1.000002", time={"unit": "fortnights", "value": 1})
BROKEN_PATH = "national/ho-tich/1.000002.yaml"  # where the upload replaced the live file
SCREENSHOT = ROOT / "docs" / "img" / "staff-catalogue-release.png"
BUILD_MS = 180_000  # building the index with the real embedder, on a shared machine
NAV = "ul.nav"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffSite]:
    root = tmp_path_factory.mktemp("catalogue")
    with pytest.MonkeyPatch.context() as patch:
        # argon2 with its cheapest parameters: the same code, without 0.3 s per hash
        patch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher.from_parameters(CHEAPEST))
        site = StaffSite.on(
            root,
            catalogue_dir=write_catalogue(root / "shipped"),
            catalogue_poll_seconds=0.3,
        )
        site.add_user("admin", "admin")
        try:
            yield site
        finally:
            site.close()


@pytest.fixture(scope="module")
def gateway(site: StaffSite) -> Iterator[str]:
    """The gateway loading the catalogue itself and following publications."""
    ensure_chromium()
    upstream = Upstream(site.settings.internal_token("rasa"))
    app = create_app(site.settings, http_transport=httpx.MockTransport(upstream))
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(gateway: str) -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _signed_in(context: Any, gateway: str) -> Any:
    """A new tab of ``context``, signed in as the admin through the sign-in form."""
    page = context.new_page()
    page.goto(gateway + "/staff/")
    page.locator("#username").fill("admin")
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    expect(page.locator("h1")).to_have_text("Xin chào, admin")
    return page


@pytest.fixture
def page(browser: Any, gateway: str) -> Iterator[Any]:
    """A signed-in admin's tab."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    yield _signed_in(context, gateway)
    context.close()


def _path(page: Any) -> str:
    return urlsplit(str(page.url)).path


def _upload(page: Any, file: Path) -> int:
    """Choose ``file`` in the catalogue page's form and send it; the new release's number."""
    page.locator("#files").set_input_files(str(file))
    with page.expect_navigation():
        page.get_by_role("button", name="Tải lên và kiểm tra").click()
    assert _path(page).startswith("/staff/catalogue/releases/"), page.url
    return int(_path(page).rsplit("/", 1)[1])


def _open_catalogue(page: Any) -> None:
    with page.expect_navigation():
        page.locator(NAV).get_by_role("link", name="Danh mục thủ tục").click()
    assert _path(page) == "/staff/catalogue"
    expect(page.locator("h1")).to_have_text("Danh mục thủ tục")


def _fee(gateway: str) -> dict[str, Any]:
    response = httpx.get(f"{gateway}/api/procedures/{CODE}", timeout=10)
    assert response.status_code == 200, response.text
    fee: dict[str, Any] = response.json()["fees"][0]
    return fee


def _wait_for(check: Callable[[], bool], seconds: float = BUILD_MS / 1000) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa',"
        " 'best-practice']})).violations.map(v => ({id: v.id, nodes: v.nodes.length,"
        " first: v.nodes[0].html}))"
    )
    return found


def test_upload_review_publish_and_roll_back(page: Any, gateway: str, tmp_path: Path) -> None:
    assert _fee(gateway).get("free") is True
    _open_catalogue(page)
    live = page.locator("section[aria-labelledby=live-title] dd").first
    expect(live).to_have_text("Bản kèm phần mềm")
    expect(page.get_by_role("button", name="Quay lại", exact=False)).to_have_count(0)

    file = tmp_path / "khai-sinh.yaml"
    file.write_bytes(NEW_FEE)
    release = _upload(page, file)

    # the report: no problems, the one change with its new amount, a publish button
    expect(page.locator("h1")).to_have_text(f"Bản số {release}")
    expect(page.locator("#release-state")).to_contain_text("Chờ xuất bản")
    expect(page.locator("#problems-title")).to_have_text("Kiểm tra: không có lỗi")
    expect(page.locator("section[aria-labelledby=problems-title] table")).to_have_count(0)
    changes = page.locator("section[aria-labelledby=changes-title]")
    expect(changes).to_contain_text("0 thêm mới · 1 thay đổi · 0 bỏ đi")
    (change,) = changes.locator("details.change").all()
    expect(change.locator("summary")).to_have_text(f"Thay đổi: {CODE} · Đăng ký khai sinh")
    rows = change.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td").nth(0)).to_have_text("fees")
    expect(rows.locator("td").nth(2)).to_contain_text("8000")
    expect(rows.locator("td").nth(1)).not_to_contain_text("8000")
    publish = page.get_by_role("button", name=f"Xuất bản bản số {release}")
    expect(publish).to_be_visible()
    assert _fee(gateway).get("free") is True  # staged, not live

    if os.environ.get("MAKE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    with page.expect_navigation() as navigation:
        publish.click()
    first = navigation.value
    assert _path(page) == f"/staff/catalogue/releases/{release}"
    if "Đang xây dựng chỉ mục" in page.content():  # still building: the page reloads itself
        assert first.headers.get("refresh") == "3"
        expect(page.get_by_role("button", name=f"Xuất bản bản số {release}")).to_have_count(0)
    state = page.locator("#release-state")
    expect(state).to_contain_text("Đã xuất bản", timeout=BUILD_MS)
    expect(state).to_contain_text("đang dùng")
    expect(state).to_contain_text("bởi admin")
    expect(page.get_by_role("button", name=f"Xuất bản bản số {release}")).to_have_count(0)

    _wait_for(lambda: _fee(gateway).get("amount") == 8000)  # this process swapped
    page.goto(f"{gateway}/staff/procedures/{CODE}")
    expect(page.locator("section[aria-labelledby=h-fees] .fee").first).to_contain_text("8.000")

    _open_catalogue(page)
    expect(live).to_contain_text(f"Bản số {release}")
    expect(live).to_contain_text("bởi admin")
    row = page.locator("table.audit tbody tr", has_text=f"Bản số {release}")
    expect(row).to_contain_text("Đã xuất bản · đang dùng")
    rollback = page.get_by_role("button", name="Quay lại bản kèm phần mềm")
    with page.expect_navigation():
        rollback.click()
    assert _path(page) == "/staff/catalogue"
    expect(page.locator("p.error")).to_have_count(0)
    expect(live).to_contain_text("Bản kèm phần mềm")
    expect(row).not_to_contain_text("đang dùng")

    _wait_for(lambda: _fee(gateway).get("free") is True)  # the old fee is back
    page.goto(f"{gateway}/staff/procedures/{CODE}")
    expect(page.locator("section[aria-labelledby=h-fees]")).not_to_contain_text("8.000")


def test_a_file_with_a_problem_shows_it_and_cannot_be_published(
    page: Any, gateway: str, tmp_path: Path
) -> None:
    _open_catalogue(page)
    file = tmp_path / "ket-hon.yaml"
    file.write_bytes(BROKEN)
    release = _upload(page, file)

    expect(page.locator("#release-state")).to_contain_text("Có lỗi, không xuất bản được")
    expect(page.locator("#problems-title")).to_have_text("Kiểm tra: 1 lỗi")
    problems = page.locator("section[aria-labelledby=problems-title]")
    expect(problems).to_contain_text("Bản có lỗi không xuất bản được")
    rows = problems.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td").nth(0)).to_have_text(BROKEN_PATH)
    expect(rows.locator("td").nth(2)).to_have_text("1.000002")
    expect(rows.locator("td").nth(3)).to_contain_text("time")
    expect(page.get_by_role("button", name=f"Xuất bản bản số {release}")).to_have_count(0)
    expect(page.locator("form[action$='/publish']")).to_have_count(0)

    _open_catalogue(page)
    row = page.locator("table.audit tbody tr", has_text=f"Bản số {release}")
    expect(row).to_contain_text("Có lỗi, không xuất bản được")


@pytest.mark.skipif(
    not AXE.exists(), reason="axe-core not installed (npm install --no-save axe-core)"
)
def test_no_accessibility_violations(browser: Any, gateway: str, tmp_path: Path) -> None:
    """The catalogue page (form and history), and the reports of a clean and a broken file."""
    context = browser.new_context(bypass_csp=True)  # to load axe-core into the page
    page = _signed_in(context, gateway)
    _open_catalogue(page)
    clean, broken = tmp_path / "khai-sinh.yaml", tmp_path / "ket-hon.yaml"
    clean.write_bytes(NEW_FEE)
    broken.write_bytes(BROKEN)
    pages = {}
    for file in (clean, broken):
        release = _upload(page, file)
        pages[f"/staff/catalogue/releases/{release}"] = _axe(page)
        page.goto(gateway + "/staff/catalogue")
    expect(page.locator("table.audit tbody tr")).not_to_have_count(0)
    pages["/staff/catalogue"] = _axe(page)
    context.close()
    found = {path: violations for path, violations in pages.items() if violations}
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
