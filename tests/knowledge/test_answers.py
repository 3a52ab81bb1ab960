from datetime import date, datetime

import pytest

from knowledge.answers import TOPICS, render
from knowledge.fees import page_fee
from knowledge.model import Fee, ProcessingTime
from knowledge.workdays import expected_date, is_working_day
from tests.factories import make_procedure, small_catalogue

COPY_FEE = Fee.model_validate(
    {
        "name": "Phí chứng thực bản sao",
        "unit": "per_page",
        "page_tiers": [{"from_page": 1, "amount": 2000}, {"from_page": 3, "amount": 1000}],
        "cap": 200000,
    }
)


@pytest.mark.parametrize(
    ("pages", "copies", "total"),
    [(1, 1, 2000), (2, 1, 4000), (3, 1, 5000), (12, 1, 14000), (12, 3, 42000), (500, 1, 200000)],
)
def test_certified_copy_fee(pages: int, copies: int, total: int) -> None:
    assert page_fee(COPY_FEE, pages, copies) == total


def test_vietnamese_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 9, 2))  # National Day
    assert not is_working_day(date(2026, 2, 17))  # Tết Nguyên Đán 2026 (lunar new year)
    assert not is_working_day(date(2026, 11, 28))  # a Saturday
    assert not is_working_day(date(2026, 11, 24))  # Vietnam Cultural Day, from 2026
    assert is_working_day(date(2026, 11, 25))


def test_same_day_cut_off() -> None:
    same_day = ProcessingTime(unit="same_day", cutoff_hour=15)
    assert expected_date(same_day, datetime(2026, 11, 25, 9)) == date(2026, 11, 25)
    assert expected_date(same_day, datetime(2026, 11, 25, 15, 30)) == date(2026, 11, 26)
    assert expected_date(same_day, datetime(2026, 11, 24, 9)) == date(2026, 11, 25)  # holiday
    assert expected_date(same_day, datetime(2026, 11, 27, 16)) == date(2026, 11, 30)  # Fri→Mon


def test_working_days_skip_weekends_and_tet() -> None:
    three = ProcessingTime(unit="working_days", value=3)
    assert expected_date(three, datetime(2026, 11, 25, 9)) == date(2026, 11, 30)
    assert expected_date(three, datetime(2026, 11, 27, 9)) == date(2026, 12, 2)
    # received just before Tết 2026: the whole holiday is skipped
    due = expected_date(three, datetime(2026, 2, 13, 9))
    assert due > date(2026, 2, 22) and is_working_day(due)


def test_fee_answer_computes_pages_and_cites_source() -> None:
    procedure = small_catalogue().get("2.000003")
    text = render("fee", procedure, "vi", pages=12).text
    assert "2.000 đồng/trang" in text and "tối đa 200.000 đồng" in text
    assert "tổng cộng 14.000 đồng" in text
    assert "Nguồn: thủ tục 2.000003" in text and procedure.source_url not in text


def test_province_fee_without_figure_says_so() -> None:
    procedure = small_catalogue().get("1.000005")
    vi = render("fee", procedure, "vi", province_name="tỉnh Cà Mau").text
    assert "Hội đồng nhân dân tỉnh Cà Mau" in vi and "chưa có mức cụ thể" in vi
    en = render("fee", procedure, "en").text
    assert "People's Council" in en and "no figure" in en
    assert not any(ch.isdigit() for ch in vi.split("Nguồn")[0])  # no invented figure


def test_channel_fees_are_labelled() -> None:
    text = render("fee", small_catalogue().get("1.000004"), "vi").text
    assert "20.000 đồng mỗi lần (khi nộp trực tiếp)" in text
    assert "10.000 đồng mỗi lần (khi nộp trực tuyến)" in text


def test_documents_checklist_separates_hand_in_show_and_optional() -> None:
    procedure = make_procedure(
        documents=[
            {"name": "Tờ khai", "form_code": "CT01"},
            {"name": "Thẻ căn cước", "action": "xuat_trinh"},
            {"name": "Giấy ủy quyền", "required": False, "condition": "Khi nhờ người khác."},
        ]
    )
    text = render("documents", procedure, "vi").text
    assert "Giấy tờ phải nộp:\n☐ Tờ khai — 1 bản chính (mẫu CT01)" in text
    assert "Mang theo để xuất trình:\n☐ Thẻ căn cước" in text
    assert "Chỉ cần trong một số trường hợp:" in text and "Khi nhờ người khác." in text


def test_time_answer_gives_expected_date() -> None:
    text = render(
        "time", small_catalogue().get("1.000002"), "en", now=datetime(2026, 11, 27, 9)
    ).text
    assert "1 working days" in text and "30 Nov 2026" in text


def test_unverified_records_warn() -> None:
    text = render("where", make_procedure(verified=False), "vi").text
    assert "chưa được xác minh" in text


HALVED_THEN_FULL = [
    {
        "name": "Lệ phí (giảm 50%)",
        "name_en": "Charge (halved)",
        "amount": 25000,
        "valid_from": "2025-07-01",
        "valid_until": "2026-12-31",
    },
    {"name": "Lệ phí", "name_en": "Charge", "amount": 50000, "valid_from": "2027-01-01"},
]


def test_fee_answer_states_what_is_due_today_and_until_when() -> None:
    procedure = make_procedure(fees=HALVED_THEN_FULL)
    vi = render("fee", procedure, "vi", now=datetime(2026, 12, 1, 9)).text
    today, _, later = vi.partition("Từ ngày 01/01/2027:")
    assert "25.000 đồng mỗi lần (áp dụng đến hết ngày 31/12/2026)" in today
    assert "50.000" not in today and "50.000 đồng mỗi lần" in later
    en = render("fee", procedure, "en", now=datetime(2026, 12, 1, 9)).text
    assert "25,000 VND per application (until 31 Dec 2026)" in en and "From 01 Jan 2027:" in en


def test_fee_answer_leaves_out_a_period_that_has_ended() -> None:
    text = render("fee", make_procedure(fees=HALVED_THEN_FULL), "vi", now=datetime(2027, 3, 1)).text
    assert "50.000 đồng mỗi lần" in text
    assert "25.000" not in text and "Từ ngày" not in text


def test_documents_by_case_are_listed_apart_never_merged() -> None:
    procedure = make_procedure(
        documents=[
            {"name": "Đơn đề nghị", "name_en": "Application"},
            {"name": "Bản vẽ nhà", "name_en": "House drawings", "case": "house"},
            {"name": "Văn bản chấp thuận tuyến", "name_en": "Route approval", "case": "road"},
        ],
        cases=[
            {"id": "house", "name": "Nhà ở riêng lẻ", "name_en": "A separate house"},
            {"id": "road", "name": "công trình theo tuyến", "name_en": "linear works"},
        ],
    )
    vi = render("documents", procedure, "vi").text
    every, _, cases = vi.partition("Nếu nhà ở riêng lẻ:")
    assert "Trường hợp nào cũng cần:" in every and "Đơn đề nghị" in every
    assert "Bản vẽ nhà" not in every and "Văn bản chấp thuận tuyến" not in every
    house, _, road = cases.partition("Nếu công trình theo tuyến:")
    assert "Bản vẽ nhà" in house and "Văn bản chấp thuận tuyến" not in house
    assert "Văn bản chấp thuận tuyến" in road
    en = render("documents", procedure, "en").text
    assert "If a separate house:" in en and "If linear works:" in en


def test_a_place_written_as_a_sentence_gets_one_full_stop() -> None:
    procedure = make_procedure(
        submit_at="Công an cấp xã gần nhất, hoặc gửi qua bưu điện.",
        submit_at_en="The nearest commune police, or by post.",
    )
    vi = render("where", procedure, "vi").text
    assert "Nơi nộp hồ sơ: Công an cấp xã gần nhất, hoặc gửi qua bưu điện.\n" in vi
    assert ".." not in vi
    assert ".." not in render("where", procedure, "en").text


NO_TIMES = {"time": None, "channels": [{"kind": "truc_tiep"}, {"kind": "truc_tuyen"}]}
NOW = datetime(2026, 12, 2, 9)


def _body(answer_text: str) -> str:
    """The answer without its source line (which holds the procedure code's digits)."""
    return answer_text.rsplit("\n\n", 1)[0]


def test_time_answer_says_the_source_gives_no_time_and_invents_none() -> None:
    procedure = make_procedure(**NO_TIMES, no_time="not_given")
    vi = _body(render("time", procedure, "vi", now=NOW).text)
    assert vi.startswith("Thông tin thủ tục chưa ghi thời hạn giải quyết.")
    assert "cán bộ tiếp nhận" in vi
    en = _body(render("time", procedure, "en", now=NOW).text)
    assert "gives no processing time" in en and "ask the staff" in en
    for text in (vi, en):
        assert not any(ch.isdigit() for ch in text)  # no date, no figure
        assert "None" not in text


def test_time_answer_names_the_province_that_sets_the_time() -> None:
    procedure = make_procedure(**NO_TIMES, no_time="set_by_province")
    vi = _body(render("time", procedure, "vi", province_name="tỉnh Cà Mau", now=NOW).text)
    assert "do Ủy ban nhân dân tỉnh Cà Mau quy định" in vi and "chưa có con số cụ thể" in vi
    unnamed = _body(render("time", procedure, "vi", now=NOW).text)
    assert "do Ủy ban nhân dân tỉnh, thành phố quy định" in unnamed
    en = _body(render("time", procedure, "en", province_name="Cà Mau province", now=NOW).text)
    assert "set by the People's Committee of Cà Mau province" in en and "no figure" in en
    en_unnamed = _body(render("time", procedure, "en", now=NOW).text)
    assert "People's Committee of your province" in en_unnamed
    for text in (vi, unnamed, en, en_unnamed):
        assert not any(ch.isdigit() for ch in text) and "None" not in text


@pytest.mark.parametrize(
    ("why", "vi_phrase", "en_phrase"),
    [
        ("not_given", "Thời hạn: chưa ghi trong thông tin thủ tục.", "Time: not given"),
        ("set_by_province", "Thời hạn: do tỉnh, thành phố quy định.", "Time: set by the province."),
    ],
)
def test_every_answer_about_a_procedure_without_time_renders(
    why: str, vi_phrase: str, en_phrase: str
) -> None:
    procedure = make_procedure(**NO_TIMES, no_time=why)
    for topic in TOPICS:
        for lang in ("vi", "en"):
            text = render(topic, procedure, lang, now=NOW).text
            assert text and "None" not in text, (topic, lang)
    assert vi_phrase in render("overview", procedure, "vi").text
    assert en_phrase in render("overview", procedure, "en").text


def test_legal_answer_without_legal_basis_says_so() -> None:
    procedure = make_procedure(
        legal_basis=[], no_legal_basis_reason="The page lists none.", verified=False
    )
    vi = render("legal", procedure, "vi").text
    assert vi.startswith("Thông tin thủ tục chưa ghi căn cứ pháp lý.")
    assert "Căn cứ pháp lý:" not in vi and "The page lists none." not in vi
    en = render("legal", procedure, "en").text
    assert en.startswith("The official information on this procedure names no legal basis.")
    # the source line names the procedure and its decision, and still warns it is unverified
    assert "Nguồn: thủ tục 1.000001; Quyết định 163/QĐ-BTP." in vi
    assert "chưa được xác minh" in vi and "not yet confirmed" in en
    for topic in TOPICS:
        for lang in ("vi", "en"):
            assert "None" not in render(topic, procedure, lang).text, (topic, lang)
