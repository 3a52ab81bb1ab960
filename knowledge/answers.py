"""Answers a citizen reads, rendered from one catalogue record in the citizen's language.

Every fact comes from the record; every sentence around the facts comes from the message
catalogue (``helpdesk/messages.yml``, keys ``answer.*``), so a ward rewords an answer there and
a new language is one more text per key. Where a fee or the processing time is set by the
province and the record has no figure, or the record gives no time or no legal basis, the
answer says so and never puts a figure of its own in its place. Every answer ends with its
source: a short line naming the procedure, its decision and its law, and one link titled with
the portal's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from helpdesk.language import Lang
from helpdesk.messages import text
from knowledge.fees import is_page_priced, page_fee
from knowledge.model import (
    ChannelKind,
    Document,
    DocumentAction,
    Fee,
    NoTime,
    OnlineLevel,
    Procedure,
    ProcessingTime,
    TimeUnit,
)
from knowledge.workdays import expected_date

MAX_OPTIONAL_DOCUMENTS = 6
# units whose expected date skips weekends and public holidays
_WORKING_UNITS = frozenset({TimeUnit.WORKING_DAYS, TimeUnit.HOURS, TimeUnit.SAME_DAY})


class Topic(StrEnum):
    """What a citizen asked about one procedure."""

    OVERVIEW = "overview"
    DOCUMENTS = "documents"
    FEE = "fee"
    TIME = "time"
    WHERE = "where"
    ONLINE = "online"
    LEGAL = "legal"


TOPICS: tuple[Topic, ...] = tuple(Topic)


@dataclass(frozen=True, slots=True)
class SourceLink:
    """The page an answer comes from, titled with the portal's name."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer: its text (ending with the source line) and the source's link."""

    text: str
    link: SourceLink


# --- numbers, money, dates -----------------------------------------------------------------


def number(value: float | int, lang: Lang) -> str:
    """A number with the language's digit grouping and decimal mark (1.000,5 / 1,000.5)."""
    whole = float(value).is_integer()
    raw = f"{int(value):,}" if whole else f"{value:,}"
    group = text("answer.number.group", lang)
    decimal = text("answer.number.decimal", lang)
    return raw.replace(",", "\0").replace(".", decimal).replace("\0", group)


def money(amount: int, lang: Lang) -> str:
    """ "200.000 đồng", "200,000 VND"."""
    return text("answer.money", lang, amount=number(amount, lang))


def day_text(day: date, lang: Lang) -> str:
    """A calendar date in the language's usual form."""
    return day.strftime(text("answer.date_format", lang))


def _capitalised(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


def _in_sentence(phrase: str) -> str:
    """A phrase written to stand alone ("Nhận thừa kế"), set inside a sentence ("nhận thừa
    kế"); a leading abbreviation ("UBND") keeps its capitals."""
    first = phrase.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return phrase
    return phrase[:1].lower() + phrase[1:]


def _without_stop(phrase: str | None) -> str | None:
    return phrase.rstrip(" .") if phrase else phrase


def _join(lines: Iterable[str]) -> str:
    return "\n".join(line for line in lines if line)


# --- time ---------------------------------------------------------------------------------


def describe_time(time: ProcessingTime, lang: Lang) -> str:
    """ "7 ngày làm việc", "the same working day (if received after 15:00, the next working day)";
    a time whose unit the source left open says it is not certain."""
    if time.unit is TimeUnit.SAME_DAY:
        amount = (
            text("answer.time.same_day", lang)
            if time.cutoff_hour is None
            else text("answer.time.same_day_cutoff", lang, hour=time.cutoff_hour)
        )
    else:
        high = number(time.value or 0, lang)
        span = (
            text("answer.time.range", lang, low=number(time.min_value, lang), high=high)
            if time.min_value is not None
            else high
        )
        unit = text(f"answer.time.unit.{time.unit.value}", lang)
        amount = text("answer.time.amount", lang, span=span, unit=unit)
    if time.unit_assumed:
        return text("answer.time.uncertain", lang, amount=amount)
    return amount


def _time_note(time: ProcessingTime, lang: Lang) -> str:
    # the record's notes on time are written in Vietnamese only
    return time.note or "" if lang == "vi" else ""


def _no_time(procedure: Procedure, lang: Lang, province_name: str | None) -> str:
    """Why the record has no processing time, and whom to ask (the whole time answer)."""
    if procedure.no_time is NoTime.SET_BY_PROVINCE:
        if province_name:
            return text("answer.time.by_province", lang, province=province_name)
        return text("answer.time.by_province_unnamed", lang)
    return text("answer.time.not_given", lang)


def _time_phrase(procedure: Procedure, lang: Lang) -> str:
    """The procedure's time in a few words for a summary line; what stands in for it when
    the record has none."""
    time = procedure.time_for()
    if time is not None:
        return describe_time(time, lang)
    if procedure.no_time is NoTime.SET_BY_PROVINCE:
        return text("answer.time.brief_by_province", lang)
    return text("answer.time.brief_not_given", lang)


def answer_time(
    procedure: Procedure,
    lang: Lang,
    now: datetime | None = None,
    province_name: str | None = None,
) -> str:
    main = procedure.time_for()
    if main is None:
        return _no_time(procedure, lang, province_name)
    now = now or datetime.now()
    times = {c.kind: c.time for c in procedure.channels if c.time}
    distinct = {t.model_dump_json() for t in times.values()}
    if len(distinct) > 1:
        lines = [text("answer.time.heading", lang)]
        for kind, time in times.items():
            lines.append(
                text(
                    "answer.time.channel_line",
                    lang,
                    channel=_capitalised(text(f"answer.channel.{kind.value}", lang)),
                    time=describe_time(time, lang),
                    due=day_text(expected_date(time, now), lang),
                )
            )
        if any(t.unit in _WORKING_UNITS for t in times.values()):
            lines.append(text("answer.time.days_off_not_counted", lang))
        lines.append(_time_note(main, lang))
        return _join(lines)
    main = next(iter(times.values()), main)
    due = day_text(expected_date(main, now), lang)
    expected = (
        "answer.time.expected_working" if main.unit in _WORKING_UNITS else "answer.time.expected"
    )
    return _join(
        [
            text("answer.time.single", lang, time=describe_time(main, lang)),
            _time_note(main, lang),
            text(expected, lang, today=day_text(now.date(), lang), due=due),
        ]
    )


# --- fees ---------------------------------------------------------------------------------


def _fee_amount(fee: Fee, lang: Lang, province_name: str | None) -> str:
    if fee.free:
        return text("answer.fee.free", lang)
    if fee.page_tiers:
        tiers = [
            text("answer.fee.tier_from", lang, amount=money(tier.amount, lang), page=tier.from_page)
            if i
            else text("answer.fee.tier_first", lang, amount=money(tier.amount, lang))
            for i, tier in enumerate(fee.page_tiers)
        ]
        amount = "; ".join(tiers)
        if fee.cap is not None:
            amount += "; " + text("answer.fee.cap", lang, amount=money(fee.cap, lang))
        return amount
    if fee.amount is not None:
        return text(
            "answer.fee.amount",
            lang,
            amount=money(fee.amount, lang),
            unit=text(f"answer.fee.unit.{fee.unit.value}", lang),
        )
    # set by the province, and the catalogue has no figure for it
    if province_name:
        return text("answer.fee.by_province", lang, province=province_name)
    return text("answer.fee.by_province_unnamed", lang)


def describe_fee(fee: Fee, lang: Lang, province_name: str | None = None) -> str:
    """One fee line: its name, amount, channels, and (in Vietnamese) its conditions."""
    name = fee.name if lang == "vi" else fee.name_en or text("answer.fee.unnamed", lang)
    line = text("answer.fee.line", lang, name=name, amount=_fee_amount(fee, lang, province_name))
    if fee.channels:
        channels = ", ".join(text(f"answer.channel.{c.value}", lang) for c in fee.channels)
        line += " " + text("answer.fee.when", lang, channels=channels)
    if fee.valid_until is not None:
        line += " " + text("answer.fee.until", lang, day=day_text(fee.valid_until, lang))
    line += "."
    if lang != "vi":
        # conditions and exemptions are written in Vietnamese only
        if fee.exemptions:
            line += " " + text("answer.fee.exempt_some", lang)
        return line
    if fee.conditions:
        line += f" {fee.conditions}"
    return _join([line, *(text("answer.fee.exemption", lang, who=who) for who in fee.exemptions)])


def answer_fee(
    procedure: Procedure,
    lang: Lang,
    province_name: str | None = None,
    pages: int | None = None,
    copies: int = 1,
    today: date | None = None,
) -> str:
    """The fees in force ``today`` (each saying until when, if it ends), then those that start
    later; fees whose period has ended are left out."""
    today = today or date.today()
    every = list(procedure.fees)
    for channel in procedure.channels:
        every.extend(f for f in channel.fees if f not in every)
    if not every:
        return text("answer.fee.none", lang)
    fees = [f for f in every if f.in_force(today)]
    later = sorted(
        (f for f in every if f.valid_from is not None and f.valid_from > today),
        key=lambda f: f.valid_from or today,
    )
    lines = [text("answer.fee.heading", lang)]
    if fees:
        lines.extend(describe_fee(f, lang, province_name) for f in fees)
    else:
        lines.append(text("answer.fee.none_today", lang))
    for start in dict.fromkeys(f.valid_from for f in later if f.valid_from):
        lines.append(text("answer.fee.from_day", lang, day=day_text(start, lang)))
        lines.extend(describe_fee(f, lang, province_name) for f in later if f.valid_from == start)
    page_fees = [f for f in fees if is_page_priced(f)]
    if page_fees and pages:
        total = page_fee(page_fees[0], pages, copies)
        lines.append(
            text(
                "answer.fee.page_total", lang, copies=copies, pages=pages, total=money(total, lang)
            )
        )
    elif page_fees:
        lines.append(text("answer.fee.ask_pages", lang))
    return _join(lines)


# --- documents ----------------------------------------------------------------------------


def _document_line(document: Document, lang: Lang, with_condition: bool) -> str:
    form = text(f"answer.document.form.{document.form.value}", lang)
    name = document.name if lang == "vi" else document.name_en or document.name
    count = (
        text("answer.document.count", lang, quantity=document.quantity, form=form)
        if document.quantity
        else form
    )
    line = text("answer.document.line", lang, name=name, count=count)
    if document.form_code:
        code = document.form_code
        named = code.lower().startswith(("mẫu", "form", "tờ khai"))
        line += f" ({code})" if named else " " + text("answer.document.form_code", lang, code=code)
    if with_condition and document.condition and lang == "vi":
        line += f". {document.condition}"
    return line


def _document_group(documents: list[Document], lang: Lang) -> list[str]:
    hand_in = [d for d in documents if d.action is DocumentAction.SUBMIT and d.required]
    show = [d for d in documents if d.action is DocumentAction.SHOW and d.required]
    optional = [d for d in documents if not d.required]
    lines: list[str] = []
    if hand_in:
        lines.append(text("answer.documents.hand_in", lang))
        lines.extend(_document_line(d, lang, True) for d in hand_in)
    if show:
        lines.append(text("answer.documents.show", lang))
        lines.extend(_document_line(d, lang, True) for d in show)
    if optional:
        lines.append(text("answer.documents.optional", lang))
        for document in optional[:MAX_OPTIONAL_DOCUMENTS]:
            line = _document_line(document, lang, False)
            if document.condition and lang == "vi":
                line += f" — {document.condition}"
            lines.append(line)
        if len(optional) > MAX_OPTIONAL_DOCUMENTS:
            more = len(optional) - MAX_OPTIONAL_DOCUMENTS
            lines.append(text("answer.documents.more", lang, count=more))
    return lines


def answer_documents(procedure: Procedure, lang: Lang) -> str:
    """The documents to hand in and to show; where they differ by case, the documents of every
    case first, then each case's own list under its name (never merged)."""
    lines = [text("answer.documents.heading", lang, procedure=_name(procedure, lang))]
    common = [d for d in procedure.documents if d.case is None]
    if not procedure.cases:
        return _join([*lines, *_document_group(common, lang)])
    if common:
        lines.append(text("answer.documents.every_case", lang))
        lines.extend(_document_group(common, lang))
    for case in procedure.cases:
        own = [d for d in procedure.documents if d.case == case.id]
        name = case.name if lang == "vi" else case.name_en
        lines.append(text("answer.documents.case", lang, case=_in_sentence(name)))
        lines.extend(_document_group(own, lang))
    return _join(lines)


# --- where, online, legal, overview -------------------------------------------------------


def _name(procedure: Procedure, lang: Lang) -> str:
    return procedure.name if lang == "vi" else procedure.name_en


def answer_where(procedure: Procedure, lang: Lang) -> str:
    place: str | None = procedure.submit_at if lang == "vi" else procedure.submit_at_en
    agency: str | None = procedure.agency if lang == "vi" else procedure.agency_en
    # the sentence around them ends with its own full stop
    place, agency = (_without_stop(place), _without_stop(agency))
    lines = [
        text("answer.where.place", lang, place=place)
        if place
        else text("answer.where.place_unknown", lang),
        text("answer.where.agency", lang, agency=agency) if agency else "",
    ]
    if procedure.boundary_free:
        lines.append(text("answer.where.anywhere", lang))
    return _join(lines)


def answer_online(procedure: Procedure, lang: Lang) -> str:
    online = procedure.channel(ChannelKind.ONLINE)
    if online is None:
        first = text("answer.online.no", lang)
    elif procedure.online_level is OnlineLevel.FULL:
        first = text("answer.online.full", lang)
    else:
        first = text("answer.online.partial", lang)
    detail = online.description if online is not None and lang == "vi" else None
    postal = procedure.channel(ChannelKind.POSTAL) is not None
    return _join([first, detail or "", text("answer.online.postal", lang) if postal else ""])


def answer_legal(procedure: Procedure, lang: Lang) -> str:
    if not procedure.legal_basis:
        return text("answer.legal.none", lang)
    items = (text("answer.legal.item", lang, title=item.title) for item in procedure.legal_basis)
    return _join([text("answer.legal.heading", lang), *items])


def answer_overview(procedure: Procedure, lang: Lang) -> str:
    required = sum(1 for d in procedure.documents if d.required)
    summary = procedure.summary if lang == "vi" else procedure.summary_en
    name = (
        procedure.name
        if lang == "vi"
        else text(
            "answer.overview.name_with_original",
            lang,
            name=procedure.name_en,
            original=procedure.name,
        )
    )
    return _join(
        [
            text("answer.overview.name", lang, name=name),
            summary or "",
            text(
                "answer.overview.facts",
                lang,
                time=_time_phrase(procedure, lang),
                required=required,
            ),
            text(
                "answer.overview.online" if procedure.online else "answer.overview.in_person", lang
            ),
            text("answer.overview.ask_more", lang),
        ]
    )


# --- the source ---------------------------------------------------------------------------


def source_link(procedure: Procedure, lang: Lang) -> SourceLink:
    """The procedure's page on the national portal, titled with the portal's name."""
    return SourceLink(title=text("answer.source.portal", lang), url=procedure.source_url)


def source_line(procedure: Procedure, lang: Lang) -> str:
    """ "Nguồn: thủ tục 1.001193, Quyết định 163/QĐ-BTP, Luật Hộ tịch 2014." (the link apart)."""
    parts = [text("answer.source.procedure", lang, code=procedure.code)]
    if procedure.decision:
        parts.append(text("answer.source.decision", lang, decision=procedure.decision))
    if procedure.legal_basis:
        parts.append(procedure.legal_basis[0].title)
    line = text("answer.source.line", lang, parts="; ".join(parts))
    if not procedure.verified:
        line += "\n" + text("answer.source.unverified", lang)
    return line


def render(
    topic: Topic | str,
    procedure: Procedure,
    lang: Lang = "vi",
    *,
    province_name: str | None = None,
    pages: int | None = None,
    now: datetime | None = None,
) -> Answer:
    """The full answer for ``topic``: its text, ending with the source line, and the link."""
    match Topic(topic):
        case Topic.DOCUMENTS:
            body = answer_documents(procedure, lang)
        case Topic.FEE:
            today = now.date() if now else None
            body = answer_fee(procedure, lang, province_name, pages, today=today)
        case Topic.TIME:
            body = answer_time(procedure, lang, now, province_name)
        case Topic.WHERE:
            body = answer_where(procedure, lang)
        case Topic.ONLINE:
            body = answer_online(procedure, lang)
        case Topic.LEGAL:
            body = answer_legal(procedure, lang)
        case Topic.OVERVIEW:
            body = answer_overview(procedure, lang)
    return Answer(
        text=f"{body}\n\n{source_line(procedure, lang)}", link=source_link(procedure, lang)
    )
