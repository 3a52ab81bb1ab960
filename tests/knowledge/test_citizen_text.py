"""Nothing a citizen reads says where a figure came from: that is for the editor's ``notes``.

The portal page that lacks a unit, the number read as working days, the remark that a figure
is not yet verified: all of it lives in ``notes``. A citizen reads the fact, and when a unit
is uncertain the answer says so in its own words (``unit_assumed``).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from helpdesk.settings import PROJECT_ROOT
from knowledge.answers import render
from knowledge.catalogue import Catalogue, load_catalogue, validate
from knowledge.citizen_text import (
    HOUSEHOLD_BOOK,
    PROBLEM,
    abolished_documents,
    abolished_papers,
    citizen_texts,
    provenance_phrases,
    source_remarks,
)
from knowledge.normalize import fold
from tests.factories import procedure_data

BUNDLED = PROJECT_ROOT / "knowledge" / "catalogue"
NOW = datetime(2026, 12, 1, 9)
TOPICS = ("overview", "documents", "fee", "time", "where", "online", "legal")
LANGS = ("vi", "en")

# Folded words that only an editor's remark about a source would use.
PROVENANCE = (
    "cong chi ghi",
    "chi ghi so",
    "khong ghi don vi",
    "khong kem don vi",
    "tren trang cong",
    "trang cong khong",
    "trang cong chi",
    "trang thu tuc",
    "catalogue",
    "bang pham vi",
    "du an ghi",
    "lay tu phan",
    "lay tu trang",
    "chua doi chieu",
    "chua kiem chung",
    "ban ghi nay",
    "cong ghi",
    "cong in",
    "in so",
    "trinh tu ghi",
)


def _words(text: str) -> str:
    """Folded, with punctuation turned into spaces, padded so phrases match whole words."""
    return " " + " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split()) + " "


def _found(text: str) -> list[str]:
    words = _words(text)
    return [phrase for phrase in PROVENANCE if f" {phrase} " in words]


@pytest.fixture(scope="module")
def bundled() -> Catalogue:
    return load_catalogue(BUNDLED)


def _text(answer: object) -> str:
    # ``render`` returns the text, or an answer object carrying it
    return answer if isinstance(answer, str) else answer.text  # type: ignore[attr-defined]


def test_no_rendered_answer_mentions_its_source(bundled: Catalogue) -> None:
    leaks = []
    for procedure in bundled:
        for topic in TOPICS:
            for lang in LANGS:
                text = _text(render(topic, procedure, lang, now=NOW))
                for phrase in _found(text):
                    line = next(ln for ln in text.splitlines() if f" {phrase} " in _words(ln))
                    leaks.append(f"{procedure.code} {topic}/{lang}: «{phrase}» in {line!r}")
    assert not leaks, "answers cite their source:\n" + "\n".join(leaks)


def test_no_rendered_province_answer_mentions_its_source(bundled: Catalogue) -> None:
    leaks = []
    for province, overlay in bundled.overlays.items():
        for code in overlay.overrides:
            procedure = bundled.get(code, province)
            for topic in TOPICS:
                text = _text(
                    render(topic, procedure, "vi", province_name=overlay.province_name, now=NOW)
                )
                leaks.extend(f"{province}/{code} {topic}: «{p}»" for p in _found(text))
    assert not leaks, "\n".join(leaks)


def test_citizen_fields_of_the_catalogue_hold_no_source_remarks(bundled: Catalogue) -> None:
    leaks = []
    for procedure in bundled:
        for loc, text in citizen_texts(procedure.model_dump()):
            found = _found(text) + provenance_phrases(text)
            if found:
                where = ".".join(str(part) for part in loc)
                leaks.append(f"{procedure.code} {where}: {sorted(set(found))} {text!r}")
    for province, overlay in bundled.overlays.items():
        for code, override in overlay.overrides.items():
            leaks.extend(
                f"{province}/{code} {'.'.join(map(str, loc))}: {text!r}"
                for loc, text in citizen_texts(override.model_dump())
                if _found(text) or provenance_phrases(text)
            )
    assert not leaks, "move these to notes:\n" + "\n".join(leaks)


def test_every_citizen_field_is_checked() -> None:
    data = procedure_data(
        summary="s",
        steps=["a", "b"],
        requirements=["r"],
        channels=[
            {
                "kind": "truc_tiep",
                "description": "d",
                "time": {"unit": "days", "value": 1, "note": "n"},
                "fees": [{"name": "f", "free": True, "conditions": "c", "exemptions": ["e"]}],
            }
        ],
        documents=[{"name": "x", "condition": "c"}],
        time={"unit": "days", "value": 1, "note": "n"},
        fees=[{"name": "f", "free": True, "conditions": "c", "exemptions": ["e"]}],
        legal_basis=[{"title": "t", "note": "n"}],
        online_level="khong",
    )
    places = {".".join(map(str, loc)) for loc, _ in citizen_texts(data)}
    assert places >= {
        "summary",
        "agency",
        "submit_at",
        "applicants",
        "result",
        "steps.0",
        "steps.1",
        "requirements.0",
        "time.note",
        "channels.0.time.note",
        "channels.0.description",
        "channels.0.fees.0.conditions",
        "channels.0.fees.0.exemptions.0",
        "fees.0.conditions",
        "fees.0.exemptions.0",
        "documents.0.condition",
        "legal_basis.0.note",
    }
    assert not any(loc[0] == "notes" for loc, _ in citizen_texts(data))


@pytest.mark.parametrize(
    "remark",
    [
        "Cổng dịch vụ công chỉ ghi số 3, không ghi đơn vị; hiểu là 3 ngày làm việc.",
        'Bảng cách thức thực hiện trên Cổng chỉ in số "1"; catalogue dùng 5 ngày làm việc.',
        "Trang Cổng không ghi thời hạn; tối đa 2 ngày làm việc.",
        "Theo trang thủ tục cũ trên Cổng; chưa đối chiếu với trang hiện hành.",
        "Các bước trên cổng ghi vậy, nên bản ghi này hiểu là trả trong ngày. Chưa kiểm chứng.",
        'Cổng ghi 10 "Ngày" cho cả ba kênh.',
        "Con số 3 ngày làm việc lấy từ phần trình tự thực hiện.",
    ],
)
def test_source_remarks_are_recognised(remark: str) -> None:
    assert provenance_phrases(remark)
    assert _found(remark)


@pytest.mark.parametrize(
    "fact",
    [
        "Nhận hồ sơ sau 15 giờ thì trả kết quả trong ngày làm việc tiếp theo.",
        "Nếu phải xác minh ở xã khác thì xã đó có thêm 3 ngày làm việc để trả lời.",
        "Mang bản chính để đối chiếu; không có bản chính thì nộp bản sao có chứng thực.",
        "Công chức tư pháp - hộ tịch ghi vào Sổ đăng ký khai sinh và lấy số định danh.",
        "Nộp trên Cổng Dịch vụ công quốc gia hoặc ứng dụng VNeID.",
        "Được cấp đổi khi giấy ghi sai thông tin so với thẻ căn cước.",
        "Tính theo số trang của bản chính.",
    ],
)
def test_facts_for_a_citizen_pass(fact: str) -> None:
    assert not provenance_phrases(fact)
    assert not _found(fact)


def test_validator_points_the_editor_at_the_remark(tmp_path: Path) -> None:
    remark = "Cổng dịch vụ công chỉ ghi số 1, không ghi đơn vị; hiểu là 1 ngày làm việc."
    data = procedure_data(
        time={"unit": "working_days", "value": 1, "note": remark},
        notes=["Trang Cổng ghi miễn phí."],  # the editor's notes may say anything
    )
    folder = tmp_path / "national" / "ho-tich"
    folder.mkdir(parents=True)
    (folder / "1.000001.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    _, problems = validate(tmp_path)
    assert [(p.field, p.message, p.code) for p in problems] == [("time.note", PROBLEM, "1.000001")]
    assert problems[0].line is not None


def test_bundled_catalogue_has_no_source_remarks() -> None:
    _, problems = validate(BUNDLED)
    assert not [p for p in problems if p.message == PROBLEM]
    for procedure in load_catalogue(BUNDLED):
        assert not source_remarks(procedure.model_dump()), procedure.code


# Letters only Vietnamese uses; an English answer may show them only inside a parenthesised
# institution name such as "(Ủy ban nhân dân cấp xã)", which helps at the counter.
_VI_ONLY = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
_VI_LETTERS = frozenset(_VI_ONLY + _VI_ONLY.upper())
_PARENTHESISED = re.compile(r"\([^()]*\)")


def test_every_procedure_says_in_english_where_to_apply(bundled: Catalogue) -> None:
    procedures = [(p.code, p) for p in bundled] + [
        (f"{province}/{code}", bundled.get(code, province))
        for province, overlay in bundled.overlays.items()
        for code in overlay.overrides
    ]
    problems = []
    for where, procedure in procedures:
        if not procedure.agency_en or not procedure.submit_at_en:
            problems.append(f"{where}: agency_en or submit_at_en missing")
            continue
        text = render("where", procedure, "en").text
        # the source line that ends every answer names Vietnamese laws; check the place lines
        lines = [
            ln for ln in text.splitlines() if ln.startswith(("Where to apply:", "Handled by:"))
        ]
        if len(lines) != 2:
            problems.append(f"{where}: no place or agency line in {text!r}")
        for line in lines:
            letters = sorted(set(_PARENTHESISED.sub("", line)) & _VI_LETTERS)
            if letters:
                problems.append(f"{where}: Vietnamese letters {letters} in {line!r}")
    assert not problems, "\n".join(problems)


# The household registration book (sổ hộ khẩu) is no longer valid since 2023: no document may
# ask for it. Aliases may still say what citizens type, and a summary may explain the change.
@pytest.mark.parametrize(
    "document",
    [
        {"name": "Sổ hộ khẩu (bản chính) của cha, mẹ"},
        {"name": "Bản sao Giấy khai sinh", "condition": "Kèm sổ hộ khẩu của chủ hộ."},
        {"name": "Phiếu báo thay đổi hộ khẩu, nhân khẩu"},
        {"name": "SO HO KHAU"},
    ],
)
def test_validator_rejects_a_document_asking_for_the_household_book(
    tmp_path: Path, document: dict[str, str]
) -> None:
    data = procedure_data(
        documents=[{"name": "Tờ khai đăng ký khai sinh"}, document],
        summary="Trước đây gọi là nhập hộ khẩu; sổ hộ khẩu giấy không còn dùng từ 2023.",
        aliases=["nhập hộ khẩu cho con", "làm sổ hộ khẩu"],
    )
    folder = tmp_path / "national" / "ho-tich"
    folder.mkdir(parents=True)
    (folder / "1.000001.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    _, problems = validate(tmp_path)
    field = "documents.1.condition" if "condition" in document else "documents.1.name"
    assert [(p.field, p.message, p.code) for p in problems] == [(field, HOUSEHOLD_BOOK, "1.000001")]
    assert problems[0].line is not None


def test_a_document_may_say_residence_is_looked_up(tmp_path: Path) -> None:
    data = procedure_data(
        documents=[
            {
                "name": "Bản sao Giấy khai sinh của trẻ",
                "condition": "Nơi thường trú được tra cứu trong Cơ sở dữ liệu quốc gia về dân cư.",
            }
        ],
        aliases=["nhập hộ khẩu"],
    )
    assert not abolished_documents(data)
    folder = tmp_path / "national" / "ho-tich"
    folder.mkdir(parents=True)
    (folder / "1.000001.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    _, problems = validate(tmp_path)
    assert not problems


def test_no_bundled_document_asks_for_the_household_book(bundled: Catalogue) -> None:
    found = [
        f"{procedure.code} {'.'.join(map(str, loc))}: {text!r}"
        for procedure in [*bundled, *bundled.drafts.values()]
        for loc, text in abolished_documents(procedure.model_dump())
    ]
    assert not found, "\n".join(found)
    assert abolished_papers("Sổ hộ khẩu") == ["so ho khau"]
