"""The procedure lookup in a real browser (Debian's Chromium driven by Playwright): search as
you type, the keyboard, the page without JavaScript, a tablet's screen, and the checklist
printed to PDF on A4. The gateway runs in a thread of the test on 127.0.0.1."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from knowledge.model import Procedure
from knowledge.search import SearchResult
from knowledge.service import Knowledge
from knowledge.sources import read_source
from tests.connectors.live import CHROMIUM, CHROMIUM_ARGS
from tests.connectors.test_staff_lookup import (
    CENTER,
    EDITOR_NOTE,
    HOTLINE,
    lookup_catalogue,
    lookup_knowledge,
    lookup_settings,
    staff_app,
)
from tests.connectors.test_widget_browser import ensure_chromium

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
pypdf = pytest.importorskip("pypdf")
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TYPICAL = "1.001193"  # birth registration: seven documents, two fees, a same-day time
SLOW_QUERY = "khai"
SLOW_SECONDS = 1.5


def real_procedure(code: str) -> Procedure:
    """One procedure of the bundled catalogue, read from its file alone (no index)."""
    (path,) = (ROOT / "knowledge" / "catalogue" / "national").rglob(f"{code}.yaml")
    return Procedure.model_validate(read_source(path).data)


class SlowSearcher:
    """The real searcher, slow to answer one query: its answer would arrive after the next
    query's, as on a busy server."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.real = knowledge.searcher
        self.index = knowledge.searcher.index

    def search(self, query: str, k: int = 5) -> SearchResult:
        if query == SLOW_QUERY:
            time.sleep(SLOW_SECONDS)
        return self.real.search(query, k=k)


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """``app`` with its lifespan on a free 127.0.0.1 port, in a thread; stopped on exit."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="on", loop="asyncio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[str]:
    ensure_chromium()
    catalogue = lookup_catalogue(real_procedure(TYPICAL))
    knowledge = lookup_knowledge(catalogue, embedder)
    knowledge.searcher = SlowSearcher(knowledge)  # type: ignore[assignment]
    app = staff_app(lookup_settings(tmp_path_factory.mktemp("lookup")), knowledge)
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(gateway: str) -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    yield context.new_page()
    context.close()


def _focused(page: Any) -> str:
    """What has the focus: ``#id`` of a field, or the href of a link."""
    return str(
        page.evaluate(
            "() => { const a = document.activeElement;"
            " return a.id ? '#' + a.id : (a.getAttribute('href') || a.tagName); }"
        )
    )


def _codes(page: Any) -> list[str]:
    hrefs = page.locator("a.result").evaluate_all("links => links.map(a => a.pathname)")
    return [href.rsplit("/", 1)[1] for href in hrefs]


STATUS = ".lookup-results [data-status]"


def test_search_as_you_type_with_the_keyboard_alone(page: Any, gateway: str) -> None:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/lookup/results" in r.url else None)
    page.goto(gateway + "/staff/lookup")
    assert _focused(page) == "#lookup-q"  # the box has the focus on arrival

    typed = "dang ky ket hon"
    page.keyboard.type(typed)
    expect(page.locator(STATUS)).to_contain_text("“dang ky ket hon”")
    assert _codes(page)[0] == "1.000002"
    expect(page.locator("#lookup-live")).to_contain_text("“dang ky ket hon”")  # read out
    # one request after the typing stops, not one per keystroke
    assert 1 <= len(fetched) < len(typed) // 2, fetched

    codes = _codes(page)
    page.keyboard.press("ArrowDown")
    assert _focused(page) == f"/staff/procedures/{codes[0]}"
    page.keyboard.press("ArrowDown")
    assert _focused(page) == f"/staff/procedures/{codes[1]}"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert _focused(page) == "#lookup-q"

    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/procedures/{codes[0]}")
    expect(page.locator("h1")).to_have_text("Đăng ký kết hôn")

    page.go_back()  # the query stayed in the address: the results come back with it
    page.wait_for_url("**/staff/lookup?q=dang%20ky%20ket%20hon")
    expect(page.locator("#lookup-q")).to_have_value(typed)
    assert _codes(page) == codes

    page.locator("#lookup-q").focus()
    page.keyboard.press("Escape")
    expect(page.locator("#lookup-q")).to_have_value("")
    expect(page.locator(STATUS)).to_have_text("Gõ tên hoặc mã thủ tục để tra cứu.")
    expect(page.locator("a.result")).to_have_count(0)
    assert _focused(page) == "#lookup-q"


def test_typing_on_a_result_goes_on_in_the_box(page: Any, gateway: str) -> None:
    page.goto(gateway + "/staff/lookup")
    page.keyboard.type("chung thuc")
    expect(page.locator(STATUS)).to_contain_text("“chung thuc”")
    page.keyboard.press("ArrowDown")
    assert _focused(page).startswith("/staff/procedures/")
    page.keyboard.type(" ban sao")
    expect(page.locator("#lookup-q")).to_have_value("chung thuc ban sao")
    expect(page.locator(STATUS)).to_contain_text("“chung thuc ban sao”")
    assert _codes(page)[0] == "2.000003"


def test_a_stale_answer_never_replaces_a_newer_one(page: Any, gateway: str) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(gateway + "/staff/lookup")
    with page.expect_request(lambda r: r.url.endswith("/lookup/results?q=khai")):
        page.keyboard.type(SLOW_QUERY)
    page.keyboard.type(" sinh")  # the server is still busy with "khai"
    expect(page.locator(STATUS)).to_contain_text("“khai sinh”")
    page.wait_for_timeout(SLOW_SECONDS * 1000 + 500)  # until the slow answer would be back
    expect(page.locator(STATUS)).to_contain_text("“khai sinh”")
    assert _codes(page)[0] in {"1.000001", TYPICAL}
    assert any(url.endswith("?q=khai") for url in failed)  # the browser gave up on it


def test_a_whole_code_and_enter_open_its_procedure(page: Any, gateway: str) -> None:
    page.goto(gateway + "/staff/lookup")
    assert _focused(page) == "#lookup-q"  # the first key typed goes into the box
    page.keyboard.type("1.000004")
    expect(page.locator(STATUS)).to_have_text("Thủ tục mã 1.000004.")
    assert _codes(page) == ["1.000004"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/procedures/1.000004")
    expect(page.locator("h1")).to_have_text("Đăng ký thường trú")


def test_the_page_works_without_javascript(browser: Any, gateway: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(gateway + "/staff/lookup")
    page.locator("#lookup-q").fill("dang ky ket hon")
    page.locator("#lookup-q").press("Enter")
    page.wait_for_url("**/staff/lookup?q=dang+ky+ket+hon")
    assert _codes(page)[0] == "1.000002"
    page.locator("a.result").first.click()
    page.wait_for_url("**/staff/procedures/1.000002")
    page.goto(gateway + "/staff/procedures/1.000002/print")
    expect(page.locator("button[data-print]")).to_be_hidden()  # printing needs the script
    context.close()


def test_a_tablet_shows_everything_without_sideways_scrolling(browser: Any, gateway: str) -> None:
    context = browser.new_context(
        viewport={"width": 768, "height": 1024}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(gateway + "/staff/lookup?q=dang+ky")
    heights = page.locator("a.result").evaluate_all(
        "links => links.map(a => a.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44  # large enough to tap
    assert page.locator("#lookup-q").bounding_box()["height"] >= 44
    for path in (
        "/staff/lookup?q=dang+ky",
        f"/staff/procedures/{TYPICAL}",
        "/staff/procedures/1.000006",
    ):
        page.goto(gateway + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 768, (path, width)
    context.close()


def test_the_checklist_prints_on_one_a4_page(page: Any, gateway: str) -> None:
    page.goto(gateway + f"/staff/procedures/{TYPICAL}/print")
    expect(page.locator("button[data-print]")).to_be_visible()
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    text = " ".join(pdf.pages[0].extract_text().split())
    procedure = real_procedure(TYPICAL)
    assert procedure.name in text and f"Mã thủ tục {TYPICAL}" in text
    for document in procedure.documents:
        assert " ".join(document.name.split()) in text, document.name
    assert CENTER in text and HOTLINE in text
    assert "Nộp hôm nay (03/12/2026) thì dự kiến có kết quả ngày 03/12/2026" in text
    assert "Bỏ qua" not in text and "Quay lại" not in text and "In trang này" not in text
    assert EDITOR_NOTE not in text


def test_the_print_button_opens_the_print_dialog(page: Any, gateway: str) -> None:
    page.goto(gateway + "/staff/procedures/1.000001/print")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.locator("button[data-print]").click()
    assert page.evaluate("() => window.printed") == 1


@pytest.mark.skipif(
    not AXE.exists(), reason="axe-core not installed (npm install --no-save axe-core)"
)
@pytest.mark.parametrize(
    "path",
    [
        "/staff/lookup?q=dang+ky",
        f"/staff/procedures/{TYPICAL}",
        "/staff/procedures/1.000006",
        f"/staff/procedures/{TYPICAL}/print",
    ],
)
def test_no_accessibility_violations(browser: Any, gateway: str, path: str) -> None:
    context = browser.new_context(bypass_csp=True)  # to load axe-core into the page
    page = context.new_page()
    page.goto(gateway + path)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa',"
        " 'best-practice']})).violations.map(v => ({id: v.id, nodes: v.nodes.length,"
        " first: v.nodes[0].html}))"
    )
    context.close()
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
