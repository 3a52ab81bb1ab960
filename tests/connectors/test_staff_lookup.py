"""The counter staff's procedure lookup: search as you type (the page and its fragment), a
procedure's card and the checklist printed for a citizen, on a small test catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import segno
from fastapi import FastAPI
from fastapi.testclient import TestClient

from connectors.web.app import create_app
from connectors.web.auth import StaffUser, require_staff
from connectors.web.pages import STAFF_CSP
from connectors.web.routes.staff_lookup import get_now
from connectors.web.staff.lookup import LookupKind, Syllables, look_up
from connectors.web.staff.qr import qr_svg
from helpdesk.settings import Settings
from knowledge.catalogue import Catalogue
from knowledge.index import build_index
from knowledge.model import ProvinceOverlay
from knowledge.search import Searcher
from knowledge.service import Knowledge
from store.status import VN_TZ
from tests.connectors.conftest import make_settings
from tests.factories import SMALL_CATALOGUE, make_procedure

# a Thursday morning: same-day procedures are due today, 7 working days ends on Monday 14th
NOW = datetime(2026, 12, 3, 9, 30, tzinfo=VN_TZ)
OFFICER = StaffUser(1, "canbo", "staff")
CENTER = "Trung tâm Phục vụ hành chính công phường An Xuyên"
HOTLINE = "1800 1234"
EDITOR_NOTE = "Biên tập: mẫu TK-KS chưa đối chiếu với thông tư mới."
UNVERIFIED_REASON = "Chưa đối chiếu với trang của Bộ Công an."

EXTRA: dict[str, dict[str, Any]] = {
    "1.000001": {
        "documents": [
            {"name": "Tờ khai đăng ký khai sinh", "form_code": "TK-KS"},
            {
                "name": "Giấy chứng sinh",
                "condition": "Không phải nộp bản giấy nếu đã có Giấy chứng sinh điện tử.",
            },
            {"name": "Thẻ căn cước của người đi đăng ký", "action": "xuat_trinh"},
            {
                "name": "Văn bản ủy quyền",
                "required": False,
                "form": "ban_sao_chung_thuc",
                "quantity": 2,
                "condition": "Khi nhờ người khác đi đăng ký thay.",
            },
        ],
        "related": ["1.000002", "1.999999"],
        "notes": [EDITOR_NOTE],
    },
    "1.000004": {
        "fees": [
            {
                "name": "Lệ phí",
                "amount": 20000,
                "channels": ["truc_tiep"],
                "exemptions": ["hộ nghèo"],
            },
            {"name": "Lệ phí", "amount": 10000, "channels": ["truc_tuyen"]},
        ],
    },
}
NEW = (
    {
        "code": "1.000006",
        "name": "Cấp đổi thẻ căn cước",
        "name_en": "Exchange of the ID card",
        "summary_en": "Exchange a damaged or lost ID card.",
        "field": "Căn cước",
        "aliases": ["đổi căn cước"],
        "time": None,
        "channels": [
            {"kind": "truc_tiep", "time": {"unit": "working_days", "value": 7}},
            {"kind": "truc_tuyen", "time": {"unit": "working_days", "value": 5}},
        ],
        "cases": [
            {"id": "mat_the", "name": "Thẻ bị mất", "name_en": "The card was lost"},
            {"id": "hong_the", "name": "Thẻ bị hỏng", "name_en": "The card is damaged"},
        ],
        "documents": [
            {"name": "Tờ khai căn cước", "form_code": "Mẫu CC01"},
            {"name": "Đơn trình báo mất thẻ", "case": "mat_the"},
            {"name": "Thẻ căn cước bị hỏng", "case": "hong_the", "action": "xuat_trinh"},
        ],
        "fees": [
            {"name": "Lệ phí cũ", "amount": 70000, "valid_until": "2025-06-30"},
            {
                "name": "Lệ phí cấp đổi (giảm 50%)",
                "amount": 25000,
                "valid_from": "2025-07-01",
                "valid_until": "2026-12-31",
            },
            {"name": "Lệ phí cấp đổi", "amount": 50000, "valid_from": "2027-01-01"},
        ],
        "boundary_free": True,
        "verified": False,
        "unverified_reason": UNVERIFIED_REASON,
    },
    {
        "code": "1.000007",
        "name": "Đăng ký tạm vắng",
        "name_en": "Temporary absence registration",
        "summary_en": "Declare a temporary absence.",
        "field": "Cư trú",
        "replaced_by": "1.000004",
        "replaced_reason": "Gộp vào thủ tục về cư trú.",
    },
)
PROVINCE = ProvinceOverlay.model_validate(
    {
        "province_code": "96",
        "province_name": "Tỉnh Cà Mau",
        "overrides": {
            "1.000005": {
                "fees": [{"name": "Lệ phí xác nhận", "amount": 15000}],
                "agency": "Ủy ban nhân dân xã, phường thuộc tỉnh Cà Mau",
                "notes": ["Cà Mau: mức thu theo nghị quyết của tỉnh (mẫu)."],
            }
        },
    }
)


def lookup_catalogue(*extra: Any) -> Catalogue:
    """The factories' small catalogue, a little richer, with two more procedures and an
    overlay for province 96 (``extra``: more procedures)."""
    rows = [{**row, **EXTRA.get(str(row["code"]), {})} for row in SMALL_CATALOGUE]
    procedures = [make_procedure(**row) for row in (*rows, *NEW)]
    procedures.extend(extra)
    return Catalogue({p.code: p for p in procedures}, {"96": PROVINCE}, "lookup-test")


def lookup_knowledge(catalogue: Catalogue, embedder: Any) -> Knowledge:
    return Knowledge(catalogue, Searcher(build_index(catalogue, embedder), embedder), Path("x"))


def staff_app(settings: Settings, knowledge: Knowledge | None, signed_in: bool = True) -> FastAPI:
    app = create_app(settings, knowledge=knowledge, load_knowledge=knowledge is not None)
    if signed_in:
        app.dependency_overrides[require_staff] = lambda: OFFICER
    app.dependency_overrides[get_now] = lambda: NOW
    return app


@pytest.fixture(scope="module")
def knowledge(embedder: Any) -> Knowledge:
    return lookup_knowledge(lookup_catalogue(), embedder)


def lookup_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return make_settings(tmp_path, center_name=CENTER, hotline=HOTLINE, **overrides)


@pytest.fixture
def client(tmp_path: Path, knowledge: Knowledge) -> Iterator[TestClient]:
    with TestClient(staff_app(lookup_settings(tmp_path), knowledge), follow_redirects=False) as c:
        yield c


def _codes(page: str) -> list[str]:
    """The procedure codes the results link to, in order."""
    return re.findall(r'<a class="result" href="/staff/procedures/([0-9.]+)"', page)


def _status(page: str) -> str:
    found = re.search(r"<p class=\"lookup-status\" data-status>(.*?)</p>", page, re.S)
    assert found, page
    return " ".join(found.group(1).split())


def _visible(page: str) -> str:
    """The page's text without its tags, spaces collapsed (entities left as they are)."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


# --- the search box and its results -------------------------------------------------------------


def test_the_lookup_page_is_one_labelled_search_box(client: TestClient) -> None:
    page = client.get("/staff/lookup")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == STAFF_CSP
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<label for="lookup-q">' in html and 'id="lookup-q" name="q" type="search"' in html
    assert 'form class="lookup-form" method="get" action="/staff/lookup"' in html
    assert '<script src="/staff/static/staff.js" defer></script>' in html
    assert "<script>" not in html  # no inline script (the CSP would refuse it)
    assert 'role="status"' in html and 'href="/staff/lookup"' in html  # live region, nav
    assert _status(html) == "Gõ tên hoặc mã thủ tục để tra cứu."
    assert _codes(html) == []


@pytest.mark.parametrize("q", ["", "   ", "\t"])
def test_an_empty_query_asks_for_a_name_or_code(client: TestClient, q: str) -> None:
    for path in ("/staff/lookup", "/staff/lookup/results"):
        response = client.get(path, params={"q": q})
        assert response.status_code == 200
        assert _status(response.text) == "Gõ tên hoặc mã thủ tục để tra cứu."
        assert _codes(response.text) == []


def test_the_fragment_lists_name_code_and_field(client: TestClient) -> None:
    response = client.get("/staff/lookup/results", params={"q": "chứng thực bản sao"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    fragment = response.text
    assert "<html" not in fragment and "<body" not in fragment  # a fragment, not a page
    assert _codes(fragment)[0] == "2.000003"
    first = fragment[fragment.index('href="/staff/procedures/2.000003"') :]
    first = first[: first.index("</li>")]
    assert '<span class="result-name">Chứng thực bản sao từ bản chính</span>' in first
    assert '<span class="result-code">2.000003</span> · Chứng thực' in first
    assert _status(fragment).endswith("thủ tục gần với “chứng thực bản sao”.")


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("Đăng ký kết hôn", "1.000002"),
        ("dang ky ket hon", "1.000002"),
        ("DANG KY THUONG TRU", "1.000004"),
        ("xac nhan tinh trang hon nhan", "1.000005"),
        ("doi can cuoc", "1.000006"),
    ],
)
def test_diacritics_are_optional(client: TestClient, q: str, code: str) -> None:
    assert _codes(client.get("/staff/lookup/results", params={"q": q}).text)[0] == code


def test_the_page_without_script_shows_the_same_results(client: TestClient) -> None:
    q = "dang ky ket hon"
    page = client.get("/staff/lookup", params={"q": q})
    fragment = client.get("/staff/lookup/results", params={"q": q})
    assert page.status_code == 200
    assert _codes(page.text) == _codes(fragment.text) != []
    assert 'value="dang ky ket hon"' in page.text  # the box keeps what was typed


def test_a_word_being_typed_is_finished_from_the_catalogue(knowledge: Knowledge) -> None:
    typing = look_up(knowledge, "đăng ký kh")
    assert typing.searched == "đăng ký khai" and typing.items[0].code == "1.000001"
    # a space after the word says it is whole: nothing is added
    assert look_up(knowledge, "đăng ký kh ").searched == "đăng ký kh"
    assert look_up(knowledge, "dang ky ket h").searched == "dang ky ket hon"
    assert look_up(knowledge, "dang ky ket h").items[0].code == "1.000002"


def test_syllables_are_finished_in_their_place() -> None:
    names = ["Chứng thực bản sao", "Chứng thực chữ ký", "Đăng ký thường trú", "Thông báo"]
    syllables = Syllables.of(names)
    assert syllables.finish("th", "chứng") == "thực"  # after "chứng", "thực" follows
    assert syllables.finish("th", "ký") == "thường"
    assert syllables.finish("th", "chung") == "thuc"  # typed without diacritics
    assert syllables.finish("th") == "thong"  # a query's first word: a name's first word
    assert syllables.finish("đă") == "đăng" and syllables.finish("da") == "dang"
    assert syllables.finish("chứng") == "chứng"  # already whole
    assert syllables.finish("xyz", "chứng") == "xyz"  # begins nothing the catalogue has
    assert syllables.finish("Th", "CHỨNG") == "thực"


def test_an_exact_code_finds_its_procedure(client: TestClient) -> None:
    fragment = client.get("/staff/lookup/results", params={"q": " 1.000004 "}).text
    assert _codes(fragment) == ["1.000004"]
    assert _status(fragment) == "Thủ tục mã 1.000004."
    page = client.get("/staff/lookup", params={"q": "1.000004"})
    assert page.status_code == 303
    assert page.headers["location"] == "/staff/procedures/1.000004"


def test_the_start_of_a_code_lists_the_codes_it_begins(client: TestClient) -> None:
    fragment = client.get("/staff/lookup/results", params={"q": "1.00000"}).text
    assert _codes(fragment) == [
        "1.000001",
        "1.000002",
        "1.000004",
        "1.000005",
        "1.000006",
        "1.000007",
    ]
    assert _codes(client.get("/staff/lookup/results", params={"q": "2."}).text) == ["2.000003"]
    none = client.get("/staff/lookup/results", params={"q": "3.1"}).text
    assert _codes(none) == [] and "Không có mã thủ tục nào bắt đầu bằng 3.1" in none


def test_a_code_the_catalogue_lacks_is_said_plainly(client: TestClient) -> None:
    for path in ("/staff/lookup", "/staff/lookup/results"):
        response = client.get(path, params={"q": "1.999999"})
        assert response.status_code == 200
        assert _status(response.text) == "Danh mục không có thủ tục mã 1.999999."
        assert _codes(response.text) == []


def test_a_query_too_long_to_search_is_refused_with_a_message(client: TestClient) -> None:
    response = client.get("/staff/lookup/results", params={"q": "khai sinh " * 60})
    assert response.status_code == 422
    assert _status(response.text).startswith("Từ khóa quá dài")


def test_a_query_at_the_limit_is_searched_as_typed(knowledge: Knowledge) -> None:
    typed = "khai sinh " * 49 + "đăng ký k"  # 499 characters; finishing "k" would pass 500
    found = look_up(knowledge, typed)
    assert found.kind is LookupKind.SEARCH and found.searched == typed.strip()


def test_the_query_is_escaped(client: TestClient) -> None:
    q = '<img src=x onerror="alert(1)">'
    for path in ("/staff/lookup", "/staff/lookup/results"):
        html = client.get(path, params={"q": q}).text
        assert "<img" not in html
        assert "&lt;img src=x onerror=" in html


# --- a procedure's card -------------------------------------------------------------------------


def test_the_card_is_a_checklist_with_quantities_forms_and_conditions(client: TestClient) -> None:
    response = client.get("/staff/procedures/1.000001")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == STAFF_CSP
    html = response.text
    text = _visible(html)
    assert '<h1 id="procedure-name">Đăng ký khai sinh</h1>' in html
    assert "Mã thủ tục 1.000001 · Hộ tịch · Quyết định 163/QĐ-BTP" in text
    boxes = re.findall(r'<input type="checkbox" id="([^"]+)"><label for="([^"]+)">', html)
    assert len(boxes) == 4 and all(a == b for a, b in boxes)
    assert len({a for a, _ in boxes}) == 4  # every box has its own label
    assert "Giấy tờ phải nộp Tờ khai đăng ký khai sinh — 1 bản chính (mẫu TK-KS)" in text
    assert "Giấy chứng sinh — 1 bản chính Không phải nộp bản giấy nếu đã có" in text
    assert (
        "Mang theo bản chính để xuất trình Thẻ căn cước của người đi đăng ký — 1 bản chính" in text
    )
    assert (
        "Chỉ cần trong một số trường hợp Văn bản ủy quyền — 2 bản sao có chứng thực "
        "Khi nhờ người khác đi đăng ký thay." in text
    )


def test_the_card_gives_fees_time_place_law_and_links(client: TestClient) -> None:
    text = _visible(client.get("/staff/procedures/1.000001").text)
    assert "Áp dụng hôm nay, 03/12/2026: • Lệ phí: miễn phí." in text
    assert "trong ngày làm việc (nộp sau 15 giờ thì nhận vào ngày làm việc tiếp theo)" in text
    assert "Nhận hồ sơ hôm nay (03/12/2026): dự kiến trả kết quả 03/12/2026" in text
    assert "Nơi nộp Trung tâm Phục vụ hành chính công cấp xã" in text
    assert "Cơ quan giải quyết Ủy ban nhân dân cấp xã" in text
    assert "Cách nộp Nộp trực tiếp, Nộp trực tuyến" in text
    assert "Có thể nộp trực tuyến tại Cổng Dịch vụ công quốc gia" in text
    assert "Căn cứ pháp lý Luật Hộ tịch 2014" in text
    assert "Đã xác minh, đối chiếu lần cuối ngày 01/11/2026." in text
    html = client.get("/staff/procedures/1.000001").text
    assert 'href="https://dichvucong.gov.vn/p/1" rel="noopener noreferrer"' in html
    assert 'href="/staff/procedures/1.000001/print"' in html
    # related procedures the catalogue holds, as links; an unknown code is left out
    assert '<a href="/staff/procedures/1.000002">Đăng ký kết hôn</a>' in html
    assert "1.999999" not in html


def test_editors_notes_are_for_staff_only(client: TestClient) -> None:
    card = client.get("/staff/procedures/1.000001").text
    assert "Ghi chú nội bộ" in card and EDITOR_NOTE in card
    printed = client.get("/staff/procedures/1.000001/print").text
    assert EDITOR_NOTE not in printed and "Ghi chú" not in printed
    assert "Ghi chú nội bộ" not in client.get("/staff/procedures/1.000002").text  # none there


def test_cases_fees_in_force_and_a_time_per_channel(client: TestClient) -> None:
    html = client.get("/staff/procedures/1.000006").text
    text = _visible(html)
    # documents of every case first, then each case's own
    assert text.index("Trường hợp nào cũng cần") < text.index("Tờ khai căn cước")
    assert text.index("Trường hợp: Thẻ bị mất") < text.index("Đơn trình báo mất thẻ")
    assert text.index("Trường hợp: Thẻ bị hỏng") < text.index("Thẻ căn cước bị hỏng")
    assert text.index("Đơn trình báo mất thẻ") < text.index("Trường hợp: Thẻ bị hỏng")
    assert "(Mẫu CC01)" in text
    # the fee in force today says until when; the next one from when; the old one is gone
    assert (
        "Lệ phí cấp đổi (giảm 50%): 25.000 đồng mỗi lần (áp dụng đến hết ngày 31/12/2026)" in text
    )
    assert "Từ ngày 01/01/2027 • Lệ phí cấp đổi: 50.000 đồng mỗi lần." in text
    assert "70.000" not in text and "Lệ phí cũ" not in text
    # working days skip the weekend: Thursday + 7 = Monday 14th, + 5 = Thursday 10th
    assert "Nộp trực tiếp 7 ngày làm việc Nhận hồ sơ hôm nay (03/12/2026): dự kiến" in text
    assert "dự kiến trả kết quả 14/12/2026 (không tính thứ Bảy, Chủ nhật và ngày lễ)" in text
    assert "Nộp trực tuyến 5 ngày làm việc" in text and "trả kết quả 10/12/2026" in text
    assert "Bạn không bắt buộc phải nộp ở nơi mình cư trú." in text
    assert f"Chưa xác minh (đối chiếu lần cuối ngày 01/11/2026): {UNVERIFIED_REASON}" in text


def test_exemptions_and_channel_fees(client: TestClient) -> None:
    text = _visible(client.get("/staff/procedures/1.000004").text)
    assert "• Lệ phí: 20.000 đồng mỗi lần (khi nộp trực tiếp). – Miễn: hộ nghèo" in text
    assert "• Lệ phí: 10.000 đồng mỗi lần (khi nộp trực tuyến)." in text
    assert "dự kiến trả kết quả 14/12/2026" in text


def test_a_replaced_procedure_links_to_its_successor(client: TestClient) -> None:
    html = client.get("/staff/procedures/1.000007").text
    assert 'role="note">Thủ tục này đã được thay bằng' in html
    assert '<a href="/staff/procedures/1.000004">Đăng ký thường trú (1.000004)</a>' in html
    assert "Gộp vào thủ tục về cư trú." in html


def test_the_province_overlay_applies(tmp_path: Path, knowledge: Knowledge) -> None:
    with TestClient(staff_app(lookup_settings(tmp_path), knowledge)) as client:
        national = _visible(client.get("/staff/procedures/1.000005").text)
    assert "do Hội đồng nhân dân tỉnh quy định" in national and "15.000" not in national
    app = staff_app(lookup_settings(tmp_path, province="96"), knowledge)
    with TestClient(app) as client:
        text = _visible(client.get("/staff/procedures/1.000005").text)
        printed = _visible(client.get("/staff/procedures/1.000005/print").text)
    assert "Theo quy định của Tỉnh Cà Mau." in text
    assert "• Lệ phí xác nhận: 15.000 đồng mỗi lần." in text
    assert "Cơ quan giải quyết Ủy ban nhân dân xã, phường thuộc tỉnh Cà Mau" in text
    assert "Cà Mau: mức thu theo nghị quyết của tỉnh (mẫu)." in text  # a note, for staff
    assert "Mã thủ tục 1.000005 · Tỉnh Cà Mau" in printed and "15.000 đồng" in printed
    assert "mức thu theo nghị quyết" not in printed


@pytest.mark.parametrize("path", ["/staff/procedures/9.999999", "/staff/procedures/9.999999/print"])
def test_an_unknown_code_gets_a_404_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == STAFF_CSP
    assert "<h1>Không có thủ tục mã 9.999999</h1>" in response.text
    assert 'action="/staff/lookup"' in response.text  # a way on: search by name
    odd = client.get("/staff/procedures/%3Cb%3Ex")
    assert odd.status_code == 404 and "&lt;b&gt;x" in odd.text and "<b>x" not in odd.text


# --- the printed checklist ----------------------------------------------------------------------


def test_the_print_view_has_the_center_hotline_checklist_and_qr(client: TestClient) -> None:
    response = client.get("/staff/procedures/1.000001/print")
    assert response.status_code == 200
    html = response.text
    text = _visible(html)
    assert CENTER in text
    assert f"Tổng đài hỗ trợ: {HOTLINE} (7:30–17:00, thứ Hai đến thứ Sáu)" in text
    assert "☐ Tờ khai đăng ký khai sinh — 1 bản chính (mẫu TK-KS)" in text
    assert "☐ Thẻ căn cước của người đi đăng ký — 1 bản chính" in text
    assert "Nộp hôm nay (03/12/2026) thì dự kiến có kết quả ngày 03/12/2026" in text
    assert "in ngày 03/12/2026" in text
    assert 'type="checkbox"' not in html  # paper has printed boxes
    assert '<button type="button" data-print hidden>' in html  # shown by the script only
    # the QR code is the procedure's page on the portal
    assert qr_svg("https://dichvucong.gov.vn/p/1", "x").split("</title>")[1] in html
    assert '<svg role="img" viewBox=' in html and "<title>Mã QR: Cổng Dịch vụ công quốc gia" in html


def test_an_unverified_record_prints_a_caution_without_the_editors_reason(
    client: TestClient,
) -> None:
    text = _visible(client.get("/staff/procedures/1.000006/print").text)
    assert "Một số thông tin chưa được xác minh đầy đủ, bạn nên hỏi lại cán bộ." in text
    assert UNVERIFIED_REASON not in text
    assert "Trường hợp: Thẻ bị mất Giấy tờ phải nộp ☐ Đơn trình báo mất thẻ" in text


def test_the_qr_code_encodes_the_url() -> None:
    url = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"
    svg = str(qr_svg(url, "Mã QR"))
    assert svg.startswith('<svg role="img" viewBox="0 0 ') and "<title>Mã QR</title>" in svg
    expected = segno.make(url, error="m", micro=False).svg_inline(scale=1, omitsize=True)
    path = re.search(r' d="([^"]+)"', expected)
    assert path and f'd="{path.group(1)}"' in svg
    other = segno.make(url + "x", error="m", micro=False).svg_inline(scale=1, omitsize=True)
    other_path = re.search(r' d="([^"]+)"', other)
    assert other_path and other_path.group(1) not in svg


def test_the_style_sheet_prints_on_a4(client: TestClient) -> None:
    css = client.get("/staff/static/staff.css").text
    assert "@page { size: A4;" in css and "@media print" in css


# --- who may see it ------------------------------------------------------------------------------


def test_every_lookup_route_needs_a_signed_in_officer(tmp_path: Path, knowledge: Knowledge) -> None:
    app = staff_app(lookup_settings(tmp_path), knowledge, signed_in=False)
    html = {"Accept": "text/html"}
    paths = [
        "/staff/lookup?q=khai",
        "/staff/lookup/results?q=khai",
        "/staff/procedures/1.000001",
        "/staff/procedures/1.000001/print",
    ]
    with TestClient(app, follow_redirects=False) as client:
        for path in paths:
            page = client.get(path, headers=html)
            assert page.status_code == 303, path
            assert page.headers["location"].startswith("/staff/login?next=")
            assert client.get(path).status_code == 401, path  # a script is not redirected


def test_without_the_index_the_lookup_is_unavailable(tmp_path: Path) -> None:
    with TestClient(staff_app(lookup_settings(tmp_path), None)) as client:
        response = client.get("/staff/lookup/results", params={"q": "khai sinh"})
    assert response.status_code == 503 and response.json()["error"] == "IndexUnavailable"


def test_lookup_kinds_cover_every_branch(knowledge: Knowledge) -> None:
    kinds = {
        look_up(knowledge, q).kind
        for q in ("", "1.000001", "1.999999", "1.0", "khai sinh", "x" * 600)
    }
    assert kinds == set(LookupKind)
