"""Answers a citizen reads, rendered from one catalogue record, in Vietnamese or English.

Every sentence is built from catalogue fields; nothing is estimated. Where a fee is set by the
province and the catalogue has no figure, the answer says so. Every answer ends with its
source: procedure code, decision, legal basis and link.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from helpdesk.language import Lang
from knowledge.fees import is_page_priced, page_fee, vnd, vnd_en
from knowledge.model import (
    ChannelKind,
    Document,
    DocumentAction,
    DocumentForm,
    Fee,
    FeeUnit,
    OnlineLevel,
    Procedure,
    ProcessingTime,
    TimeUnit,
)
from knowledge.workdays import expected_date

Topic = Literal["overview", "documents", "fee", "time", "where", "online", "legal"]
TOPICS: tuple[Topic, ...] = ("overview", "documents", "fee", "time", "where", "online", "legal")
MAX_OPTIONAL_DOCUMENTS = 6

FORM_VI = {
    DocumentForm.ORIGINAL: "bản chính",
    DocumentForm.COPY: "bản sao",
    DocumentForm.CERTIFIED_COPY: "bản sao có chứng thực",
    DocumentForm.ORIGINAL_OR_COPY: "bản chính hoặc bản sao",
    DocumentForm.ELECTRONIC: "bản điện tử",
}
FORM_EN = {
    DocumentForm.ORIGINAL: "original",
    DocumentForm.COPY: "copy",
    DocumentForm.CERTIFIED_COPY: "certified copy",
    DocumentForm.ORIGINAL_OR_COPY: "original or copy",
    DocumentForm.ELECTRONIC: "electronic copy",
}
UNIT_VI = {
    FeeUnit.PER_CASE: "mỗi lần",
    FeeUnit.PER_COPY: "mỗi bản",
    FeeUnit.PER_PAGE: "mỗi trang",
    FeeUnit.PER_CONTRACT: "mỗi hợp đồng, giao dịch",
    FeeUnit.PER_CERTIFICATE: "mỗi giấy chứng nhận",
}
UNIT_EN = {
    FeeUnit.PER_CASE: "per application",
    FeeUnit.PER_COPY: "per copy",
    FeeUnit.PER_PAGE: "per page",
    FeeUnit.PER_CONTRACT: "per contract or transaction",
    FeeUnit.PER_CERTIFICATE: "per certificate",
}
CHANNEL_VI = {
    ChannelKind.IN_PERSON: "nộp trực tiếp",
    ChannelKind.ONLINE: "nộp trực tuyến",
    ChannelKind.POSTAL: "gửi qua bưu điện",
}
CHANNEL_EN = {
    ChannelKind.IN_PERSON: "in person",
    ChannelKind.ONLINE: "online",
    ChannelKind.POSTAL: "by post",
}
PORTAL = "https://dichvucong.gov.vn"


def _vi_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _en_date(day: date) -> str:
    return day.strftime("%d %b %Y")


# --- time ---------------------------------------------------------------------------------


def describe_time(time: ProcessingTime, lang: Lang) -> str:
    """ "7 ngày làm việc", "same day (after 15:00: next working day)"."""
    if time.unit is TimeUnit.SAME_DAY:
        if lang == "en":
            text = "same working day"
            if time.cutoff_hour is not None:
                text += f" (if received after {time.cutoff_hour}:00, the next working day)"
            return text
        text = "trong ngày làm việc"
        if time.cutoff_hour is not None:
            text += f" (nộp sau {time.cutoff_hour} giờ thì nhận vào ngày làm việc tiếp theo)"
        return text
    value = _number(time.value or 0)
    span = f"{_number(time.min_value)}–{value}" if time.min_value is not None else value
    if lang == "en":
        unit = {
            TimeUnit.WORKING_DAYS: "working days",
            TimeUnit.DAYS: "days",
            TimeUnit.HOURS: "working hours",
        }[time.unit]
        text = f"{span} {unit}"
        if time.unit_assumed:
            text += " (the source gives only a number; read as working days)"
        return text
    unit_vi = {
        TimeUnit.WORKING_DAYS: "ngày làm việc",
        TimeUnit.DAYS: "ngày",
        TimeUnit.HOURS: "giờ làm việc",
    }[time.unit]
    text = f"{span} {unit_vi}"
    if time.unit_assumed:
        text += " (nguồn chỉ ghi số, không ghi đơn vị; hiểu là ngày làm việc)"
    return text


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def answer_time(procedure: Procedure, lang: Lang, now: datetime | None = None) -> str:
    now = now or datetime.now()
    lines = []
    times = {c.kind: c.time for c in procedure.channels if c.time}
    distinct = {t.model_dump_json() for t in times.values()}
    main = procedure.time_for()
    if len(distinct) > 1:
        head = "Processing time:" if lang == "en" else "Thời hạn giải quyết:"
        lines.append(head)
        for kind, time in times.items():
            label = CHANNEL_EN[kind] if lang == "en" else CHANNEL_VI[kind].capitalize()
            due = expected_date(time, now)
            when = (
                f"if applied today: {_en_date(due)}"
                if lang == "en"
                else f"nộp hôm nay thì có kết quả ngày {_vi_date(due)}"
            )
            lines.append(f"• {label}: {describe_time(time, lang)} ({when}).")
        lines.append(
            "Weekends and public holidays are not counted."
            if lang == "en"
            else "Không tính thứ Bảy, Chủ nhật và ngày lễ."
        )
        if main.note:
            lines.append(main.note)
        return "\n".join(lines)
    else:
        main = next(iter(times.values())) if times else main
        if lang == "en":
            lines.append(f"Processing time: {describe_time(main, lang)}.")
        else:
            lines.append(f"Thời hạn giải quyết: {describe_time(main, lang)}.")
    if main.note:
        lines.append(main.note)
    due = expected_date(main, now)
    if lang == "en":
        lines.append(
            f"If you apply today ({_en_date(now.date())}), expect the result on "
            f"{_en_date(due)} (weekends and public holidays not counted)."
        )
    else:
        lines.append(
            f"Nếu nộp hôm nay ({_vi_date(now.date())}), dự kiến có kết quả ngày "
            f"{_vi_date(due)} (không tính thứ Bảy, Chủ nhật và ngày lễ)."
        )
    return "\n".join(lines)


# --- fees ---------------------------------------------------------------------------------


def describe_fee(fee: Fee, lang: Lang, province_name: str | None = None) -> str:
    name = (fee.name_en or fee.name) if lang == "en" else fee.name
    if fee.free:
        amount = "free" if lang == "en" else "miễn phí"
    elif fee.page_tiers:
        parts = []
        for i, tier in enumerate(fee.page_tiers):
            money = vnd_en(tier.amount) if lang == "en" else vnd(tier.amount)
            if lang == "en":
                parts.append(f"{money}/page" + (f" from page {tier.from_page}" if i else ""))
            else:
                parts.append(f"{money}/trang" + (f" từ trang {tier.from_page}" if i else ""))
        amount = "; ".join(parts)
        if fee.cap is not None:
            cap = vnd_en(fee.cap) if lang == "en" else vnd(fee.cap)
            amount += f"; at most {cap} per copy" if lang == "en" else f"; tối đa {cap} mỗi bản"
    elif fee.amount is not None:
        money = vnd_en(fee.amount) if lang == "en" else vnd(fee.amount)
        unit = UNIT_EN[fee.unit] if lang == "en" else UNIT_VI[fee.unit]
        amount = f"{money} {unit}"
    else:  # set by the province and no figure in the catalogue
        where = province_name or ("your province" if lang == "en" else "tỉnh")
        amount = (
            f"set by the People's Council of {where}; the catalogue has no figure for it yet, "
            "please ask the staff at the counter"
            if lang == "en"
            else f"do Hội đồng nhân dân {where} quy định; dữ liệu chưa có mức cụ thể, "
            "vui lòng hỏi cán bộ tiếp nhận"
        )
    text = f"• {name}: {amount}"
    if fee.channels:
        labels = CHANNEL_EN if lang == "en" else CHANNEL_VI
        joined = ", ".join(labels[c] for c in fee.channels)
        text += f" ({'when' if lang == 'en' else 'khi'} {joined})"
    text += "."
    if fee.conditions and lang == "vi":
        text += f" {fee.conditions}"
    for exemption in fee.exemptions if lang == "vi" else []:
        text += f"\n  – Miễn: {exemption}"
    if fee.exemptions and lang == "en":
        text += " Some people are exempt (ask staff, or read the Vietnamese answer)."
    return text


def answer_fee(
    procedure: Procedure,
    lang: Lang,
    province_name: str | None = None,
    pages: int | None = None,
    copies: int = 1,
) -> str:
    fees = list(procedure.fees)
    for channel in procedure.channels:
        fees.extend(f for f in channel.fees if f not in fees)
    if not fees:
        return (
            "The official source lists no fee or charge for this procedure."
            if lang == "en"
            else "Nguồn chính thức không nêu phí, lệ phí cho thủ tục này."
        )
    head = "Fees and charges:" if lang == "en" else "Phí, lệ phí:"
    lines = [head, *(describe_fee(f, lang, province_name) for f in fees)]
    page_fees = [f for f in fees if is_page_priced(f)]
    if page_fees and pages:
        total = page_fee(page_fees[0], pages, copies)
        if lang == "en":
            lines.append(f"For {copies} copy(ies) of {pages} page(s): {vnd_en(total)} in total.")
        else:
            lines.append(f"Với {copies} bản, mỗi bản {pages} trang: tổng cộng {vnd(total)}.")
    elif page_fees:
        lines.append(
            "Tell me the number of pages and I will work out the total."
            if lang == "en"
            else "Cho tôi biết giấy tờ có bao nhiêu trang, tôi sẽ tính tổng tiền."
        )
    return "\n".join(lines)


# --- documents ----------------------------------------------------------------------------


def _document_line(document: Document, lang: Lang, with_condition: bool) -> str:
    form = FORM_EN[document.form] if lang == "en" else FORM_VI[document.form]
    name = (document.name_en or document.name) if lang == "en" else document.name
    count = f"{document.quantity} {form}" if document.quantity else form
    line = f"☐ {name} — {count}"
    if document.form_code:
        code = document.form_code
        prefixed = code.lower().startswith(("mẫu", "form", "tờ khai"))
        line += f" ({code})" if prefixed else f" ({'form' if lang == 'en' else 'mẫu'} {code})"
    if with_condition and document.condition and lang == "vi":
        line += f". {document.condition}"
    return line


def answer_documents(procedure: Procedure, lang: Lang) -> str:
    hand_in = [d for d in procedure.documents if d.action is DocumentAction.SUBMIT and d.required]
    show = [d for d in procedure.documents if d.action is DocumentAction.SHOW and d.required]
    optional = [d for d in procedure.documents if not d.required]
    name = procedure.name_en if lang == "en" else procedure.name
    lines = [
        f"Documents for “{name}”:" if lang == "en" else f"Hồ sơ cho thủ tục “{name}”:",
    ]
    if hand_in:
        lines.append("To hand in:" if lang == "en" else "Giấy tờ phải nộp:")
        lines.extend(_document_line(d, lang, True) for d in hand_in)
    if show:
        lines.append(
            "To show (bring the original):" if lang == "en" else "Mang theo để xuất trình:"
        )
        lines.extend(_document_line(d, lang, True) for d in show)
    if optional:
        lines.append("Only in some cases:" if lang == "en" else "Chỉ cần trong một số trường hợp:")
        for document in optional[:MAX_OPTIONAL_DOCUMENTS]:
            line = _document_line(document, lang, False)
            if document.condition and lang == "vi":
                line += f" — {document.condition}"
            lines.append(line)
        if len(optional) > MAX_OPTIONAL_DOCUMENTS:
            more = len(optional) - MAX_OPTIONAL_DOCUMENTS
            lines.append(
                f"(and {more} more special cases: see the source link)"
                if lang == "en"
                else f"(còn {more} trường hợp đặc biệt khác: xem đường dẫn nguồn)"
            )
    return "\n".join(lines)


# --- where, online, legal, overview -------------------------------------------------------


def answer_where(procedure: Procedure, lang: Lang) -> str:
    if lang == "en":
        lines = [
            f"Where to apply: {procedure.submit_at}.",
            f"Handled by: {procedure.agency}.",
        ]
        if procedure.boundary_free:
            lines.append(
                "You may apply at any service center in the province, not only where you live."
            )
        return "\n".join(lines)
    lines = [f"Nơi nộp hồ sơ: {procedure.submit_at}.", f"Cơ quan giải quyết: {procedure.agency}."]
    if procedure.boundary_free:
        lines.append(
            "Có thể nộp ở Trung tâm Phục vụ hành chính công bất kỳ trong tỉnh, "
            "không phụ thuộc nơi cư trú."
        )
    return "\n".join(lines)


def answer_online(procedure: Procedure, lang: Lang) -> str:
    online = procedure.channel(ChannelKind.ONLINE)
    postal = procedure.channel(ChannelKind.POSTAL)
    if lang == "en":
        if online is None:
            lines = ["This procedure cannot be done online yet. Please apply in person."]
        elif procedure.online_level is OnlineLevel.FULL:
            lines = [f"Yes, fully online on the National Public Service Portal ({PORTAL})."]
        else:
            lines = [
                f"Yes, you can apply online ({PORTAL}), but part of it is done in person "
                "(e.g. showing originals or collecting the result)."
            ]
        if postal is not None:
            lines.append("You can also send the application by post.")
        return "\n".join(lines)
    if online is None:
        lines = ["Thủ tục này chưa nộp trực tuyến được. Vui lòng nộp trực tiếp."]
    elif procedure.online_level is OnlineLevel.FULL:
        lines = [f"Có. Làm trọn vẹn trên mạng tại Cổng Dịch vụ công quốc gia ({PORTAL})."]
    else:
        lines = [
            f"Có thể nộp trực tuyến ({PORTAL}), nhưng vẫn phải đến một lần "
            "(ví dụ xuất trình bản chính hoặc nhận kết quả)."
        ]
    if online is not None and online.description:
        lines.append(online.description)
    if postal is not None:
        lines.append("Cũng có thể gửi hồ sơ qua bưu điện.")
    return "\n".join(lines)


def answer_legal(procedure: Procedure, lang: Lang) -> str:
    head = "Legal basis:" if lang == "en" else "Căn cứ pháp lý:"
    return "\n".join([head, *(f"• {item.title}" for item in procedure.legal_basis)])


def answer_overview(
    procedure: Procedure, lang: Lang, province_name: str | None = None, now: datetime | None = None
) -> str:
    time = describe_time(procedure.time_for(), lang)
    required = sum(1 for d in procedure.documents if d.required)
    if lang == "en":
        lines = [
            f"{procedure.name_en} ({procedure.name}).",
            procedure.summary_en,
            f"Time: {time}. Documents: {required} required.",
            "Online: yes." if procedure.online else "Online: no, apply in person.",
            "Ask me about the documents, fees, time or where to apply.",
        ]
    else:
        lines = [
            f"{procedure.name}.",
            procedure.summary or "",
            f"Thời hạn: {time}. Hồ sơ: {required} giấy tờ bắt buộc.",
            "Nộp trực tuyến: có." if procedure.online else "Nộp trực tuyến: chưa, nộp trực tiếp.",
            "Bạn có thể hỏi tiếp: giấy tờ, lệ phí, thời gian, nơi nộp.",
        ]
    return "\n".join(line for line in lines if line)


def source_line(procedure: Procedure, lang: Lang) -> str:
    """ "Nguồn: thủ tục 1.001193, Quyết định 163/QĐ-BTP; Luật Hộ tịch 2014; <link>"."""
    parts = [f"{'procedure' if lang == 'en' else 'thủ tục'} {procedure.code}"]
    if procedure.decision:
        parts.append(f"{'decision' if lang == 'en' else 'Quyết định'} {procedure.decision}")
    if procedure.legal_basis:
        parts.append(procedure.legal_basis[0].title)
    parts.append(procedure.source_url)
    text = ("Source: " if lang == "en" else "Nguồn: ") + "; ".join(parts)
    if not procedure.verified:
        text += (
            "\n(Some details are not yet confirmed; please check with the staff.)"
            if lang == "en"
            else "\n(Một số thông tin chưa được xác minh đầy đủ; vui lòng hỏi lại cán bộ.)"
        )
    return text


def render(
    topic: Topic,
    procedure: Procedure,
    lang: Lang = "vi",
    *,
    province_name: str | None = None,
    pages: int | None = None,
    now: datetime | None = None,
) -> str:
    """The full answer for ``topic``, ending with its source."""
    if topic == "documents":
        body = answer_documents(procedure, lang)
    elif topic == "fee":
        body = answer_fee(procedure, lang, province_name, pages)
    elif topic == "time":
        body = answer_time(procedure, lang, now)
    elif topic == "where":
        body = answer_where(procedure, lang)
    elif topic == "online":
        body = answer_online(procedure, lang)
    elif topic == "legal":
        body = answer_legal(procedure, lang)
    else:
        body = answer_overview(procedure, lang, province_name, now)
    return f"{body}\n\n{source_line(procedure, lang)}"
