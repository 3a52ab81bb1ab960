"""A procedure's card for counter staff, and the checklist printed from it for a citizen.

Built from one catalogue record (with the install's province overlay applied) at one moment:
the documents as a checklist grouped by case, the fees in force that day (each saying until
when, if it ends) and those that start later, the time limit with the day a result is due
for an application received at that moment, where to submit, online or not, the legal basis,
when the record was last checked, and the related procedures the catalogue holds. The words
around the facts are the assistant's own (``knowledge/answers.py`` and the ``answer.*`` keys
of ``helpdesk/messages.yml``), so the counter and the chat say the same thing.

``notes`` are the editors' remarks: the card carries them for staff, the printed checklist
never does (its template does not read them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from helpdesk.language import Lang
from helpdesk.messages import text
from knowledge.answers import (
    answer_legal,
    answer_online,
    answer_time,
    day_text,
    describe_fee,
    describe_time,
    source_link,
)
from knowledge.catalogue import Catalogue
from knowledge.model import (
    Document,
    DocumentAction,
    Fee,
    LegalBasis,
    Procedure,
    ProcessingTime,
    TimeUnit,
)
from knowledge.workdays import expected_date

LANG: Lang = "vi"  # the counter speaks Vietnamese; so does the printed checklist
# form codes written as a name ("Mẫu tờ khai ...") are shown as they are, others as "mẫu X"
_NAMED_FORMS = ("mẫu", "form", "tờ khai")


@dataclass(frozen=True, slots=True)
class DocumentItem:
    """One line of the checklist: "Tờ khai đăng ký khai sinh — 1 bản chính (mẫu TK-KS)"."""

    name: str
    count: str  # how many and in which form: "1 bản chính", "2 bản sao"
    form_code: str | None  # the form to fill in, worded: "(mẫu TK-KS)"
    condition: str | None


@dataclass(frozen=True, slots=True)
class DocumentGroup:
    """The documents of one case (``case`` None: asked in every case, or there are no cases)."""

    case: str | None
    hand_in: tuple[DocumentItem, ...]
    show: tuple[DocumentItem, ...]
    optional: tuple[DocumentItem, ...]


@dataclass(frozen=True, slots=True)
class FeesFrom:
    """Fees that come into force on a later day."""

    day: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """The time limit of one channel (``channel`` None: the same for every channel)."""

    channel: str | None
    limit: str  # "7 ngày làm việc"
    due: str  # the day the result is due for an application received now
    working: bool  # weekends and public holidays are not counted
    note: str | None


@dataclass(frozen=True, slots=True)
class ProcedureLink:
    code: str
    name: str | None  # None: the catalogue does not hold that procedure


@dataclass(frozen=True)
class ProcedureCard:
    """Everything the card and the printed checklist show, worded and dated."""

    procedure: Procedure
    province_name: str | None
    today: str
    documents: tuple[DocumentGroup, ...]
    fees_today: tuple[str, ...]
    fees_later: tuple[FeesFrom, ...]
    fee_note: str | None  # what to say when no fee is listed or none is in force today
    times: tuple[TimeLimit, ...]
    no_time: str | None  # why there is no time limit, when the record has none
    channels: tuple[str, ...]
    online: str
    online_url: str
    online_title: str
    anywhere: str | None  # "you need not apply where you live", when that is so
    verified_on: str
    unverified: str | None  # the caution a citizen reads when the record is not verified
    legal_basis: tuple[LegalBasis, ...]
    no_legal_basis: str | None  # what to say when the record names no legal basis
    related: tuple[ProcedureLink, ...]
    replaced_by: ProcedureLink | None
    notes: tuple[str, ...]  # for staff only

    @property
    def code(self) -> str:
        return self.procedure.code


def build_card(
    catalogue: Catalogue, code: str, now: datetime, province: str | None = None
) -> ProcedureCard:
    """The card of procedure ``code`` as of ``now`` (Vietnam time), with ``province``'s
    overrides; :class:`~helpdesk.errors.ProcedureNotFound` for a code the catalogue lacks."""
    procedure = catalogue.get(code, province)
    province_name = catalogue.province_name(province)
    today = now.date()
    fees_today, fees_later = _fees(procedure, today, province_name)
    link = source_link(procedure, LANG)
    return ProcedureCard(
        procedure=procedure,
        province_name=province_name,
        today=day_text(today, LANG),
        documents=document_groups(procedure),
        fees_today=fees_today,
        fees_later=fees_later,
        fee_note=_fee_note(procedure, fees_today),
        times=time_limits(procedure, now),
        no_time=None
        if procedure.time_for() is not None
        else answer_time(procedure, LANG, now, province_name),
        channels=tuple(_channel(c.kind.value) for c in procedure.channels),
        online=answer_online(procedure, LANG),
        online_url=link.url,
        online_title=link.title,
        anywhere=text("answer.where.anywhere", LANG) if procedure.boundary_free else None,
        verified_on=day_text(procedure.verified_on, LANG),
        unverified=None if procedure.verified else text("answer.source.unverified", LANG),
        legal_basis=tuple(procedure.legal_basis),
        no_legal_basis=None if procedure.legal_basis else answer_legal(procedure, LANG),
        related=tuple(
            ProcedureLink(c, catalogue.procedures[c].name)
            for c in procedure.related
            if c in catalogue.procedures
        ),
        replaced_by=_link(catalogue, procedure.replaced_by),
        notes=tuple(procedure.notes),
    )


# --- documents ---------------------------------------------------------------------------


def document_item(document: Document) -> DocumentItem:
    form = text(f"answer.document.form.{document.form.value}", LANG)
    count = (
        text("answer.document.count", LANG, quantity=document.quantity, form=form)
        if document.quantity
        else form
    )
    code = document.form_code
    worded = None
    if code:
        named = code.lower().startswith(_NAMED_FORMS)
        worded = f"({code})" if named else text("answer.document.form_code", LANG, code=code)
    return DocumentItem(document.name, count, worded, document.condition)


def _group(case: str | None, documents: list[Document]) -> DocumentGroup:
    def items(selected: list[Document]) -> tuple[DocumentItem, ...]:
        return tuple(document_item(d) for d in selected)

    return DocumentGroup(
        case=case,
        hand_in=items([d for d in documents if d.required and d.action is DocumentAction.SUBMIT]),
        show=items([d for d in documents if d.required and d.action is DocumentAction.SHOW]),
        optional=items([d for d in documents if not d.required]),
    )


def document_groups(procedure: Procedure) -> tuple[DocumentGroup, ...]:
    """The documents of every case first, then each case's own, never merged (as the
    assistant's answer lists them)."""
    common = [d for d in procedure.documents if d.case is None]
    groups = [_group(None, common)] if common or not procedure.cases else []
    for case in procedure.cases:
        own = [d for d in procedure.documents if d.case == case.id]
        groups.append(_group(case.name, own))
    return tuple(groups)


# --- fees ----------------------------------------------------------------------------------


def _every_fee(procedure: Procedure) -> list[Fee]:
    every = list(procedure.fees)
    for channel in procedure.channels:
        every.extend(f for f in channel.fees if f not in every)
    return every


def _fees(
    procedure: Procedure, today: date, province_name: str | None
) -> tuple[tuple[str, ...], tuple[FeesFrom, ...]]:
    """The fees in force ``today`` and, by the day they start, those that start later; fees
    whose period has ended are left out."""
    every = _every_fee(procedure)
    now = tuple(describe_fee(f, LANG, province_name) for f in every if f.in_force(today))
    later = sorted(
        (f for f in every if f.valid_from is not None and f.valid_from > today),
        key=lambda f: f.valid_from or today,
    )
    starts = dict.fromkeys(f.valid_from for f in later if f.valid_from)
    return now, tuple(
        FeesFrom(
            day_text(start, LANG),
            tuple(describe_fee(f, LANG, province_name) for f in later if f.valid_from == start),
        )
        for start in starts
    )


def _fee_note(procedure: Procedure, today: tuple[str, ...]) -> str | None:
    if not _every_fee(procedure):
        return text("answer.fee.none", LANG)
    if not today:
        return text("answer.fee.none_today", LANG)
    return None


# --- time ----------------------------------------------------------------------------------


def _limit(channel: str | None, time: ProcessingTime, now: datetime) -> TimeLimit:
    return TimeLimit(
        channel=channel,
        limit=describe_time(time, LANG),
        due=day_text(expected_date(time, now), LANG),
        working=time.unit is not TimeUnit.DAYS,
        note=time.note,
    )


def time_limits(procedure: Procedure, now: datetime) -> tuple[TimeLimit, ...]:
    """One time limit, or one per channel when the channels' limits differ; none when the
    record gives no time (``no_time`` says why)."""
    main = procedure.time_for()
    if main is None:
        return ()
    times = {c.kind: c.time for c in procedure.channels if c.time}
    if len({t.model_dump_json() for t in times.values()}) > 1:
        return tuple(_limit(_channel(kind.value), time, now) for kind, time in times.items())
    return (_limit(None, next(iter(times.values()), main), now),)


# --- small words ---------------------------------------------------------------------------


def _channel(kind: str) -> str:
    words = text(f"answer.channel.{kind}", LANG)
    return words[:1].upper() + words[1:]


def _link(catalogue: Catalogue, code: str | None) -> ProcedureLink | None:
    if code is None:
        return None
    known = catalogue.procedures.get(code)
    return ProcedureLink(code, known.name if known else None)
