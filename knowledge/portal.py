"""Procedure pages of the National Public Service Portal, read into draft catalogue entries.

A page is a JSON object with one text cell per section of the portal's procedure page
(``ma_thu_tuc``, ``ten_thu_tuc``, ``cach_thuc_thuc_hien``, ``thanh_phan_ho_so`` ...). Table
cells arrive run together, so each section is re-split by pattern.

Only facts are taken: codes, names, decisions, levels, field, agencies, channels with their
times and fees, document names, quantities and form files, results and legal-basis titles.
Descriptive prose (steps, descriptions, notes) is never copied: where the catalogue's model
needs words, a draft gets :data:`knowledge.model.DRAFT_PLACEHOLDER` and stays a draft
(``draft: true``, ``verified: false``) until an editor writes them.

Everything that cannot be read is reported as a :class:`ParseGap`, never guessed silently.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from dataclasses import field as _list_field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.model import (
    CODE_PATTERN,
    DRAFT_PLACEHOLDER,
    ChannelKind,
    DocumentAction,
    DocumentForm,
    Level,
    Procedure,
    TimeUnit,
)

NO_INFO = "Không có thông tin"
REQUIRED_KEYS = ("ma_thu_tuc", "ten_thu_tuc")

CHANNEL_LABELS = {
    "Trực tuyến": ChannelKind.ONLINE,
    "Dịch vụ bưu chính": ChannelKind.POSTAL,
    "Trực tiếp": ChannelKind.IN_PERSON,
}
LEVEL_LABELS = {"Cấp bộ": Level.CENTRAL, "Cấp tỉnh": Level.PROVINCE, "Cấp xã": Level.COMMUNE}
TIME_UNITS = {
    "ngày làm việc": TimeUnit.WORKING_DAYS,
    "ngày": TimeUnit.DAYS,
    "giờ": TimeUnit.HOURS,
    "giờ làm việc": TimeUnit.HOURS,
}

# A decision as the portal publishes it: "163/QĐ-BTP", "4864/QĐ-BCA-C06", "1/QĐ-TTg".
DECISION = re.compile(r"^\d+[\d.]*(?:/\d{4})?/QĐ-[A-ZĐ0-9]+(?:-[A-ZĐ0-9]+)*$")

_LABEL = "|".join(re.escape(label) for label in CHANNEL_LABELS)
_AMOUNT = r"\d[\d,.]*\s*(?:VNĐ|Việt Nam Đồng|Việt Nam đồng|đồng|Đồng|USD)"
# One channel row: label, time (a number with or without a unit, or "no information"),
# then the fee cell ("Miễn phí", "no information" or an amount).
CHANNEL_ROW = re.compile(
    rf"(?P<label>{_LABEL})"
    r"(?:(?P<number>\d+(?:[.,]\d+)?)(?:\s*(?P<unit>Ngày làm việc|Ngày|Giờ làm việc|Giờ))?"
    rf"|(?P<notime>{NO_INFO}))?"
    rf"(?P<fee>Miễn phí|{NO_INFO}|{_AMOUNT})"
)
AMOUNT = re.compile(r"(?P<number>\d[\d,.]*)\s*(?P<currency>VNĐ|Việt Nam [Đđ]ồng|[Đđ]ồng|USD)")
NOTE_AMOUNT = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+)\s*(?:đ|đồng|VNĐ)\b")

# A legal document number: "123/2015/NĐ-CP", "60/2014/QH13", "2222/QĐ-BHXH".
_BODIES = (
    "UBTVQH\\d{2}|BLĐTBXH|BNNPTNT|BVHTTDL|BGDĐT|BKHĐT|TANDTC|VKSNDTC|BGTVT|BTTTT|BTNMT|BNNMT"
    "|BKHCN|BHXH|NHNN|UBND|HĐND|HĐTP|UBDT|BTC|BTP|BCA|BXD|BNV|BYT|BQP|BCT|BNG|BTNN|TTg|CP"
    "|C\\d{2}"
)
_KINDS = "TTLT|NĐ|TT|QĐ|NQ|PL|CT|VBHN|L"
LEGAL_CODE = re.compile(
    rf"\d+(?:\.\d+)?(?:/\d{{4}})?/(?:QH\d{{2}}|(?:{_KINDS})(?:-(?:{_BODIES}))+"
    rf"|(?:{_KINDS})(?:-[A-ZĐ]+\d*)+(?![A-Za-zÀ-ỹ]))"
)
KIND_WORDS = (
    "Thông tư liên tịch",
    "Bộ luật",
    "Luật",
    "Nghị định",
    "Thông tư",
    "Quyết định",
    "Nghị quyết",
    "Pháp lệnh",
    "Chỉ thị",
)
KIND_BY_BODY = {
    "TTLT": "Thông tư liên tịch",
    "NĐ": "Nghị định",
    "TT": "Thông tư",
    "QĐ": "Quyết định",
    "NQ": "Nghị quyết",
    "PL": "Pháp lệnh",
    "CT": "Chỉ thị",
    "VBHN": "Văn bản hợp nhất",
    "L": "Luật",
}

# Documents: each item ends at its quantity, "1 bản chính", "0 bản chính,1 bản sao".
QUANTITY = re.compile(
    r"(?P<first>\d+)\s*bản\s*(?P<first_form>chính|sao)(?:\s*,\s*(?P<second>\d+)\s*bản\s*sao)?"
    r"(?!\s+[a-zà-ỹđ])"
)
DOC_HEADER = re.compile(
    r"(?:\*\s*(?P<title>[^:*]{1,80}):\s*)?-*Tên giấy tờMẫu đơn, tờ khaiSố lượng"
)
FORM_EXTENSION = re.compile(r"\.(?:docx?|pdf|xlsx?|rtf|odt)$")
RESULT_CODE = re.compile(r"Mã:\s*(?P<code>[^\s]+?)(?=Từ khóa|$|[A-ZĐÀ-Ỹ][a-zà-ỹ])")
RESULT_TAIL = re.compile(r"Từ khóa.*$", re.S)


@dataclass(frozen=True, slots=True)
class ParseGap:
    """Something a page did not let the parser read: which procedure, which field, why."""

    code: str
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedTime:
    value: float | None
    unit: TimeUnit
    unit_assumed: bool = False


@dataclass(frozen=True, slots=True)
class ParsedFee:
    amount: int | None = None
    free: bool = False
    set_by_province: bool = False
    legal_basis: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedChannel:
    kind: ChannelKind
    time: ParsedTime | None
    fees: list[ParsedFee]


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    name: str
    quantity: int
    form: DocumentForm
    form_code: str | None = None
    action: DocumentAction = DocumentAction.SUBMIT


@dataclass(frozen=True, slots=True)
class ParsedResult:
    name: str
    code: str | None = None


@dataclass
class ParsedPage:
    """The facts read from one portal page, and the gaps where reading failed."""

    code: str
    name: str
    source: str
    source_url: str | None = None
    decision: str | None = None
    levels: list[Level] = _list_field(default_factory=list)
    kind: str | None = None
    field: str | None = None
    applicants: str | None = None
    agency: str | None = None
    receiving_agency: str | None = None
    submit_at: str | None = None
    channels: list[ParsedChannel] = _list_field(default_factory=list)
    documents: list[ParsedDocument] = _list_field(default_factory=list)
    document_notes: int = 0
    results: list[ParsedResult] = _list_field(default_factory=list)
    legal_basis: list[str] = _list_field(default_factory=list)
    gaps: list[ParseGap] = _list_field(default_factory=list)

    def gap(self, field_name: str, reason: str) -> None:
        self.gaps.append(ParseGap(self.code, field_name, reason))


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs between the catalogue entry and a fresh draft."""

    field: str
    old: Any
    new: Any


class NotAPortalPage(ValueError):
    """The input is not JSON, or not a procedure page of the portal."""


# --- small text helpers ------------------------------------------------------------------


def clean(text: object) -> str:
    """Collapse whitespace (including non-breaking spaces) and trim."""
    if not isinstance(text, str):
        return ""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def _cell(raw: dict[str, Any], key: str) -> str | None:
    value = clean(raw.get(key))
    return None if value in ("", NO_INFO) else value


def slug(text: str) -> str:
    """A folder name for a field: "Hộ tịch" → "ho-tich"."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = plain.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "khac"


def _number(text: str) -> float:
    return float(text.replace(",", "."))


# --- the page ----------------------------------------------------------------------------


def load_page(raw: dict[str, Any] | str) -> dict[str, Any]:
    """The page as a mapping; raise :class:`NotAPortalPage` for anything else."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise NotAPortalPage(f"not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(raw, dict):
        raise NotAPortalPage("not a procedure page: expected a JSON object")
    missing = [key for key in REQUIRED_KEYS if not clean(raw.get(key))]
    if missing:
        raise NotAPortalPage(f"not a procedure page: no {', '.join(missing)}")
    return raw


def parse_page(raw: dict[str, Any] | str, *, source: str) -> ParsedPage:
    """Read one portal page into facts and gaps; raise :class:`NotAPortalPage` if it is none."""
    page = load_page(raw)
    code = clean(page["ma_thu_tuc"])
    parsed = ParsedPage(code=code, name=_name(clean(page["ten_thu_tuc"])), source=source)
    if not CODE_PATTERN.match(code):
        parsed.gap("code", f"not a procedure code: {code!r}")
    _read_header(page, parsed)
    _read_channels(page, parsed)
    _read_documents(clean(page.get("thanh_phan_ho_so")), parsed)
    _read_results(clean(page.get("ket_qua_xu_ly")), parsed)
    _read_legal_basis(clean(page.get("can_cu_phap_ly")), parsed)
    return parsed


def _name(text: str) -> str:
    """The name without the portal's "Thủ tục" prefix, capitalised like the catalogue's."""
    text = re.sub(r"^Thủ tục\s+", "", text)
    return text[:1].upper() + text[1:]


def _read_header(page: dict[str, Any], parsed: ParsedPage) -> None:
    url = clean(page.get("detail_url"))
    if url.startswith("https://"):
        parsed.source_url = url
    else:
        parsed.gap("source_url", "no https link to the page")
    parsed.decision = _decision(clean(page.get("so_quyet_dinh")), parsed)
    parsed.levels = _levels(clean(page.get("cap_thuc_hien")), parsed)
    parsed.kind = _cell(page, "loai_thu_tuc")
    parsed.field = _cell(page, "linh_vuc")
    if parsed.field is None:
        parsed.gap("field", "no field (lĩnh vực) on the page")
    parsed.applicants = _cell(page, "doi_tuong_thuc_hien")
    if parsed.applicants is None:
        parsed.gap("applicants", "no applicants (đối tượng thực hiện) on the page")
    competent = _cell(page, "co_quan_co_tham_quyen")
    implementing = _cell(page, "co_quan_thuc_hien")
    parsed.agency = competent or implementing
    if implementing and implementing != parsed.agency:
        parsed.receiving_agency = implementing
    if parsed.agency is None:
        parsed.gap("agency", "neither the competent nor the implementing agency is given")
    parsed.submit_at = _cell(page, "dia_chi_tiep_nhan")
    if parsed.submit_at is None:
        parsed.gap("submit_at", "the receiving address is empty")


def _decision(text: str, parsed: ParsedPage) -> str | None:
    if DECISION.match(text):
        return text
    reason = "no decision" if not text else f"placeholder or malformed decision {text!r}"
    parsed.gap("decision", reason)
    return None


def _levels(text: str, parsed: ParsedPage) -> list[Level]:
    levels = []
    for part in (clean(p) for p in text.split(",")):
        if part in LEVEL_LABELS:
            levels.append(LEVEL_LABELS[part])
        elif part:
            parsed.gap("levels", f"level {part!r} has no counterpart in the catalogue")
    if not levels:
        parsed.gap("level", "no level on the page")
    return levels


# --- channels, times and fees ------------------------------------------------------------


def _read_channels(page: dict[str, Any], parsed: ParsedPage) -> None:
    text = clean(page.get("cach_thuc_thuc_hien"))
    steps = clean(page.get("trinh_tu_thuc_hien"))
    # a label opening a row is followed by a time, a fee or "no information", not by prose
    starts = len(re.findall(rf"(?:{_LABEL})(?=\d|[A-ZĐÀ-Ỹ]|$)", text))
    rows = list(CHANNEL_ROW.finditer(text))
    if starts > len(rows):
        parsed.gap("channels", f"{starts - len(rows)} of {starts} channel rows could not be read")
    by_kind: dict[ChannelKind, ParsedChannel] = {}
    for index, row in enumerate(rows):
        kind = CHANNEL_LABELS[row["label"]]
        end = rows[index + 1].start() if index + 1 < len(rows) else len(text)
        time = _time(row, steps, parsed, kind)
        fee = _fee(row["fee"], text[row.end() : end], parsed, kind)
        fees = [fee] if fee else []
        first = by_kind.get(kind)
        if first is None:
            by_kind[kind] = ParsedChannel(kind, time, fees)
            continue
        if time is not None and first.time is not None and time != first.time:
            parsed.gap("channels", f"{row['label']} is listed twice with different times")
        merged = [*first.fees, *(f for f in fees if f not in first.fees)]
        by_kind[kind] = ParsedChannel(kind, first.time or time, merged)
    parsed.channels = list(by_kind.values())
    if not parsed.channels:
        parsed.gap("channels", "no channel row could be read")


def _time(
    row: re.Match[str], steps: str, parsed: ParsedPage, kind: ChannelKind
) -> ParsedTime | None:
    number = row["number"]
    if number is None or _number(number) == 0:
        parsed.gap("time", f"{kind.value}: no processing time on the page")
        return None
    value = _number(number)
    if row["unit"]:
        return ParsedTime(value, TIME_UNITS[row["unit"].lower()])
    parsed.gap("time", f"{kind.value}: the time {number} has no unit; the unit is assumed")
    return ParsedTime(value, _unit_from_steps(number, steps), unit_assumed=True)


def _unit_from_steps(number: str, steps: str) -> TimeUnit:
    """The unit the steps use with this number, else working days (the usual legal unit)."""
    padded = rf"0?{re.escape(number)}"
    for pattern, unit in (
        (rf"\b{padded} ngày làm việc", TimeUnit.WORKING_DAYS),
        (rf"\b{padded} giờ", TimeUnit.HOURS),
        (rf"\b{padded} ngày\b", TimeUnit.DAYS),
    ):
        if re.search(pattern, steps, re.I):
            return unit
    return TimeUnit.WORKING_DAYS


def _fee(cell: str, note: str, parsed: ParsedPage, kind: ChannelKind) -> ParsedFee | None:
    remark = _parenthesised(note)
    basis = _first_code(remark)
    if cell == NO_INFO:
        parsed.gap("fees", f"{kind.value}: no fee information on the page")
        return None
    if cell == "Miễn phí":
        if re.search(r"Hội đồng nhân dân|HĐND", remark):
            parsed.gap("fees", f"{kind.value}: 'Miễn phí' but the note leaves it to the province")
            return ParsedFee(set_by_province=True, legal_basis=basis)
        if basis or re.search(r"Thông tư|Nghị định|Luật", remark):
            parsed.gap("fees", f"{kind.value}: 'Miễn phí' qualified by a note citing a circular")
        return ParsedFee(free=True, legal_basis=basis)
    match = AMOUNT.search(cell)
    if match is None or match["currency"] == "USD":
        parsed.gap("fees", f"{kind.value}: fee {cell!r} is not an amount in đồng")
        return None
    amount = int(re.sub(r"[,.]", "", match["number"]))
    stated = [int(m.group(1).replace(".", "")) for m in NOTE_AMOUNT.finditer(remark)]
    if stated and amount not in stated:
        parsed.gap("fees", f"{kind.value}: amount {amount} differs from the note's {stated[0]}")
    return ParsedFee(amount=amount, legal_basis=basis)


def _parenthesised(note: str) -> str:
    """The remark in brackets right after a fee cell, or empty."""
    if not note.startswith("("):
        return ""
    depth = 0
    for index, char in enumerate(note):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return note[1:index]
    return note[1:]


def _first_code(text: str) -> str | None:
    match = LEGAL_CODE.search(text)
    return _legal_title("", match.group(0)) if match else None


# --- documents ---------------------------------------------------------------------------


def _read_documents(text: str, parsed: ParsedPage) -> None:
    if not text or text == NO_INFO:
        parsed.gap("documents", "no documents section on the page")
        return
    action = DocumentAction.SUBMIT
    notes_section = False
    start = 0
    items = 0
    for match in QUANTITY.finditer(text):
        chunk = text[start : match.start()]
        start = match.end()
        headers = list(DOC_HEADER.finditer(chunk))
        if headers:
            header = headers[-1]
            title = (header["title"] or "").lower()
            action = DocumentAction.SHOW if "xuất trình" in title else DocumentAction.SUBMIT
            notes_section = "lưu ý" in title
            chunk = chunk[header.end() :]
        items += 1
        quantity, form = _quantity(match)
        if quantity == 0 or notes_section:
            parsed.document_notes += 1
            continue
        document = _document(chunk, quantity, form, action)
        if document is None:
            parsed.gap("documents", "an item with a quantity but no name")
            continue
        parsed.documents.append(document)
    if items == 0:
        parsed.gap("documents", "no 'N bản chính / bản sao' marker to split the items on")
    elif not parsed.documents:
        parsed.gap("documents", "every item is a note ('0 bản'); no document to hand in")


def _quantity(match: re.Match[str]) -> tuple[int, DocumentForm]:
    first = int(match["first"])
    if match["first_form"] == "sao":
        return first, DocumentForm.COPY
    copies = int(match["second"]) if match["second"] else 0
    if first and copies:
        return max(first, copies), DocumentForm.ORIGINAL_OR_COPY
    if copies:
        return copies, DocumentForm.COPY
    return first, DocumentForm.ORIGINAL


def _document(
    chunk: str, quantity: int, form: DocumentForm, action: DocumentAction
) -> ParsedDocument | None:
    text, form_code = _split_form(chunk.strip())
    name = _document_name(text)
    if not name:
        return None
    return ParsedDocument(name, quantity, form, form_code, action)


def _split_form(chunk: str) -> tuple[str, str | None]:
    """Split a form's file name ("Mẫu DC02 Phiếu ... .doc") off the end of a document cell.

    The file name is glued to the name: it starts at the last "Mẫu"/"Mau" written without a
    space before it, or after the last full stop or bracket followed by a capital letter.
    """
    extension = FORM_EXTENSION.search(chunk)
    if extension is None:
        return chunk, None
    stem = chunk[: extension.start()]
    glued = [m.start() for m in re.finditer(r"(?<=\S)(?:Mẫu|Mau)", stem)]
    marks = [m.start() + 1 for m in re.finditer(r"[.)](?=[A-ZĐ])", stem)]
    cuts = glued + marks
    if not cuts:
        return stem, None
    cut = max(cuts)
    return stem[:cut], stem[cut:].strip() or None


def _document_name(chunk: str) -> str:
    """The document's name: the item's first sentence, without list marks."""
    text = re.sub(r"^[\s\-+•;,.]*(?:[a-zđ]\)|\d+[.)]|\([ivx]+\))?\s*", "", chunk)
    first = re.split(r"(?<=[.;])\s*(?=[A-ZĐÀ-Ỹ])", text, maxsplit=1)[0]
    return first.strip(" .;:,")


# --- results and legal basis -------------------------------------------------------------


def _read_results(text: str, parsed: ParsedPage) -> None:
    text = RESULT_TAIL.sub("", text).strip()
    if not text or text == NO_INFO:
        parsed.gap("results", "no result document on the page")
        return
    parts = re.split(r"Mã:\s*", text)
    names = [parts[0]]
    codes: list[str | None] = []
    for part in parts[1:]:
        code_match = re.match(r"(\S*?\d)(?=[A-ZĐÀ-Ỹ][a-zà-ỹ]|$)", part)
        code = code_match.group(1) if code_match else part.split(" ")[0]
        codes.append(code)
        names.append(part[len(code) :])
    codes.append(None)
    for name, code in zip(names, codes, strict=True):
        name = name.strip(" .;")
        if name:
            parsed.results.append(ParsedResult(name, code))
    if parsed.results and not any((r.code or "").startswith("KQ") for r in parsed.results):
        parsed.gap("results", "no result document code (KQ…) on the page")


def _read_legal_basis(text: str, parsed: ParsedPage) -> None:
    text = re.sub(r"^Tên văn bản pháp lýMã văn bản", "", text).strip()
    if not text or text == NO_INFO:
        parsed.gap("legal_basis", "no legal-basis table on the page")
        return
    start = 0
    titles: list[str] = []
    for match in LEGAL_CODE.finditer(text):
        after = text[match.end() : match.end() + 2]
        if after and not re.match(r"\s*[;,]?\s*[A-ZĐÀ-Ỹ\d\-]", after):
            continue
        row = text[start : match.end()]
        start = match.end()
        title = _legal_title(row, _unglue_date(text[: match.start()], match.group(0)))
        if title not in titles:
            titles.append(title)
    rest = text[start:].strip(" ;,.")
    if rest:
        parsed.gap("legal_basis", f"a row without a document number: {rest[:60]!r}")
    if not titles:
        parsed.gap("legal_basis", "no document number found in the legal-basis table")
    parsed.legal_basis = titles


def _unglue_date(before: str, number: str) -> str:
    """Drop a date's year glued to the number: "ngày 1/1/2020" + "12/2020/QH14"."""
    if re.search(r"\d{1,2}/$", before) and re.match(r"(?:19|20)\d\d\d", number):
        return number[4:]
    return number


def _legal_title(row: str, number: str) -> str:
    """A short title in the catalogue's style: "Nghị định 123/2015/NĐ-CP"."""
    row = re.sub(r"^[\s\-+;,.]+", "", row)
    for word in KIND_WORDS:
        if row.lower().startswith(word.lower()):
            return f"{word} {number}"
    if re.search(r"/QH\d{2}$", number):
        return f"Luật {number}"
    body = number.split("/")[-1].split("-")[0]
    return f"{KIND_BY_BODY.get(body, 'Văn bản')} {number}"


# --- drafts ------------------------------------------------------------------------------

# Fields an editor writes by hand; an import never touches them in an existing entry.
HAND_WRITTEN = (
    "name_en",
    "summary",
    "summary_en",
    "steps",
    "aliases",
    "aliases_en",
    "notes",
    "requirements",
    "field_en",
    "related",
    "boundary_free",
    "online_level",
)
# Fields read from the page, compared one by one when a code is already in the catalogue.
PAGE_FIELDS = (
    "name",
    "decision",
    "level",
    "levels",
    "kind",
    "field",
    "agency",
    "receiving_agency",
    "submit_at",
    "applicants",
    "channels",
    "fees",
    "documents",
    "result",
    "results",
    "legal_basis",
    "source_url",
)


def draft_entry(parsed: ParsedPage, *, today: date | None = None) -> dict[str, Any]:
    """A catalogue entry (a mapping ready for YAML) marked as an unverified draft."""
    levels = parsed.levels or [Level.COMMUNE]
    level = Level.COMMUNE if Level.COMMUNE in levels else levels[0]
    channels, common_fees = _draft_channels(parsed.channels)
    entry: dict[str, Any] = {
        "code": parsed.code,
        "name": parsed.name,
        "name_en": DRAFT_PLACEHOLDER,
        "summary_en": DRAFT_PLACEHOLDER,
        "decision": parsed.decision,
        "level": level.value,
        "levels": [lv.value for lv in levels] if len(levels) > 1 else None,
        "kind": parsed.kind,
        "field": parsed.field or DRAFT_PLACEHOLDER,
        "agency": parsed.agency or DRAFT_PLACEHOLDER,
        "receiving_agency": parsed.receiving_agency,
        "submit_at": parsed.submit_at or DRAFT_PLACEHOLDER,
        "applicants": parsed.applicants or DRAFT_PLACEHOLDER,
        "steps": [DRAFT_PLACEHOLDER],
        "channels": channels or [{"kind": ChannelKind.IN_PERSON.value}],
        "documents": [_draft_document(d) for d in parsed.documents]
        or [{"name": DRAFT_PLACEHOLDER}],
        "fees": common_fees or None,
        "result": "; ".join(r.name for r in parsed.results) or DRAFT_PLACEHOLDER,
        "results": [r.name for r in parsed.results] if len(parsed.results) > 1 else None,
        "legal_basis": [{"title": t} for t in parsed.legal_basis] or [{"title": DRAFT_PLACEHOLDER}],
        "source_url": parsed.source_url or "https://dichvucong.gov.vn/",
        "verified_on": (today or date.today()).isoformat(),
        "verified": False,
        "draft": True,
        "unverified_reason": _reason(parsed),
        "notes": _editor_notes(parsed),
    }
    return {key: value for key, value in entry.items() if value is not None}


def _editor_notes(parsed: ParsedPage) -> list[str] | None:
    """What the editor must know and the citizen never reads (kept apart in ``notes``)."""
    notes = [
        f"{channel.kind.value}: the page gives a bare number of days; read as working days."
        for channel in parsed.channels
        if channel.time is not None and channel.time.unit_assumed
    ]
    return notes or None


def _draft_channels(
    channels: list[ParsedChannel],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Channels as catalogue mappings; a fee shared by every channel moves to the procedure."""
    fees = [[_draft_fee(f) for f in c.fees] for c in channels]
    shared = bool(channels) and all(f == fees[0] for f in fees)
    drafted = []
    for channel, own in zip(channels, fees, strict=True):
        item: dict[str, Any] = {"kind": channel.kind.value}
        if channel.time is not None:
            item["time"] = _draft_time(channel.time)
        if own and not shared:
            item["fees"] = own
        drafted.append(item)
    return drafted, fees[0] if shared else []


def _draft_time(time: ParsedTime) -> dict[str, Any]:
    value: int | float = int(time.value) if time.value and time.value.is_integer() else 0
    if time.value and not time.value.is_integer():
        value = time.value
    item: dict[str, Any] = {"value": value, "unit": time.unit.value}
    if time.unit_assumed:
        # the citizen is told the time is uncertain by the flag; why it is lives in the notes
        item["unit_assumed"] = True
    return item


def _draft_fee(fee: ParsedFee) -> dict[str, Any]:
    item: dict[str, Any] = {"name": "Phí, lệ phí"}
    if fee.amount is not None:
        item["amount"] = fee.amount
    if fee.free:
        item["free"] = True
    if fee.set_by_province:
        item["set_by_province"] = True
    if fee.legal_basis:
        item["legal_basis"] = fee.legal_basis
    return item


def _draft_document(document: ParsedDocument) -> dict[str, Any]:
    item: dict[str, Any] = {"name": document.name}
    if document.quantity != 1:
        item["quantity"] = document.quantity
    if document.form is not DocumentForm.ORIGINAL:
        item["form"] = document.form.value
    if document.form_code:
        item["form_code"] = document.form_code
    if document.action is not DocumentAction.SUBMIT:
        item["action"] = document.action.value
    return item


def _reason(parsed: ParsedPage) -> str:
    fields = sorted({gap.field for gap in parsed.gaps})
    reason = (
        "Draft read from the National Public Service Portal page; names, summaries and steps "
        "are still to be written and every fact is to be checked against the page."
    )
    if parsed.document_notes:
        reason += f" The page has {parsed.document_notes} note(s) under documents, not copied."
    if fields:
        reason += f" Not read from the page: {', '.join(fields)}."
    return reason


def check_draft(entry: dict[str, Any]) -> list[str]:
    """Problems that keep a draft from validating as a catalogue entry (empty if none)."""
    try:
        Procedure.model_validate(entry)
    except ValidationError as exc:
        return [
            f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']}" for e in exc.errors()
        ]
    return []


# --- diffs -------------------------------------------------------------------------------


def diff_entry(existing: dict[str, Any], draft: dict[str, Any]) -> list[FieldChange]:
    """The page facts that differ between an entry and a fresh draft, field by field.

    Hand-written fields are never compared; a draft's placeholder never counts as news.
    """
    changes = []
    for name in PAGE_FIELDS:
        old = _comparable(name, existing.get(name), existing.get("time"))
        new = _comparable(name, draft.get(name), draft.get("time"))
        if new is None or _is_placeholder(new):
            continue
        if old != new:
            changes.append(FieldChange(name, old, new))
    return changes


def _is_placeholder(value: Any) -> bool:
    return DRAFT_PLACEHOLDER in repr(value)


def _comparable(name: str, value: Any, procedure_time: Any = None) -> Any:
    """A value reduced to what a page states, so hand-written detail does not show as change.

    A channel without its own time takes the procedure's, as answers do: an entry that keeps
    one time for every channel says the same as a page that repeats it on each row."""
    if value in (None, [], ""):
        return None
    if name == "documents":
        return [
            f"{d.get('name')} ({d.get('quantity', 1)} {d.get('form', DocumentForm.ORIGINAL.value)})"
            for d in value
        ]
    if name == "legal_basis":
        return sorted(_legal_number(item.get("title", "")) for item in value)
    if name == "channels":
        return sorted(_channel_summary(item, procedure_time) for item in value)
    if name == "fees":
        return [_fee_summary(item) for item in value]
    return value


def _legal_number(title: str) -> str:
    match = LEGAL_CODE.search(title)
    return match.group(0) if match else title


def _channel_summary(channel: dict[str, Any], procedure_time: Any = None) -> str:
    time = channel.get("time") or procedure_time
    text = str(channel.get("kind"))
    if isinstance(time, dict):
        text += f": {time.get('value')} {time.get('unit')}"
    fees = channel.get("fees") or []
    if fees:
        text += "; " + ", ".join(_fee_summary(f) for f in fees)
    return text


def _fee_summary(fee: dict[str, Any]) -> str:
    if fee.get("amount") is not None:
        return f"{fee['amount']} đồng"
    if fee.get("set_by_province"):
        return "set by the province"
    if fee.get("free"):
        return "free"
    return "other"


# --- importing pages into a catalogue folder ---------------------------------------------


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """What happened to one page: a draft written (or due), a diff shown, or a refusal."""

    source: str
    code: str | None
    name: str | None = None
    written: str | None = None
    existing: str | None = None
    changes: list[FieldChange] = _list_field(default_factory=list)
    gaps: list[ParseGap] = _list_field(default_factory=list)
    error: str | None = None


def page_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The JSON page files named by ``paths`` (files or folders), and paths that do not exist."""
    files: list[Path] = []
    missing: list[str] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(str(path))
    return files, missing


def existing_entries(root: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every national entry under a catalogue folder, as written, by code."""
    entries: dict[str, tuple[Path, dict[str, Any]]] = {}
    national = root / "national"
    if not national.is_dir():
        return entries
    for path in sorted(national.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            entries[data["code"]] = (path, data)
    return entries


def import_page(
    path: Path,
    root: Path,
    known: dict[str, tuple[Path, dict[str, Any]]],
    *,
    folder: str | None = "drafts",
    dry_run: bool = False,
    today: date | None = None,
) -> PageOutcome:
    """Read one page; write a draft for a new code, or compare it with the existing entry.

    An existing entry is never overwritten. ``folder`` None files a draft under its field's
    slug. ``known`` is updated with drafts written, so a page read twice yields a diff.
    """
    try:
        parsed = parse_page(path.read_text(encoding="utf-8"), source=str(path))
    except (NotAPortalPage, UnicodeDecodeError) as exc:
        return PageOutcome(str(path), None, error=str(exc))
    draft = draft_entry(parsed, today=today)
    outcome = PageOutcome(str(path), parsed.code, parsed.name, gaps=parsed.gaps)
    if parsed.code in known:
        where, existing = known[parsed.code]
        changes = diff_entry(existing, draft)
        return replace(outcome, existing=str(where), changes=changes)
    problems = check_draft(draft)
    if problems:
        return replace(outcome, error="draft is not valid: " + "; ".join(problems))
    if not CODE_PATTERN.match(parsed.code):
        return replace(outcome, error=f"not a procedure code: {parsed.code!r}")
    target = root / "national" / (folder or slug(parsed.field or "khac")) / f"{parsed.code}.yaml"
    if not dry_run:
        write_draft(target, draft)
    known[parsed.code] = (target, draft)
    return replace(outcome, written=str(target))


def write_draft(path: Path, entry: dict[str, Any]) -> None:
    """Write a draft entry as YAML, headed by a line saying it is an unverified draft."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# {entry['name']} — DRAFT read from the National Public Service Portal; not verified.\n"
        "# Write name_en, summary_en and steps in plain words, check every fact, then remove\n"
        "# draft: true and unverified_reason and set verified: true.\n"
    )
    body = yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + body, encoding="utf-8")
