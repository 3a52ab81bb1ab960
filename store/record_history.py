"""A record's full history for counter staff: no second factor, but never without an audit row.

A signed-in officer opens a record by its code and a reason; :func:`open_for_staff` writes who,
when, which record, why and from where to the audit log in the same transaction as the read,
so no history is ever returned without its row (a code that matches nothing is logged too).
The log names the record by its row id, never by its code (a code that matches nothing only
by its last characters, see :mod:`store.audit`). The citizens' lookup (:mod:`store.lookup`) is
untouched: it still needs the second factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from helpdesk.errors import AccessReasonMissing, StoreUnavailable
from store import audit
from store.codes import parse_record_code
from store.models import Record
from store.status import DeadlineClass, RecordStatus, record_deadline, utc_now
from store.vocabulary import Channel, ResultDelivery

REASON_MIN_CHARS = 5
REASON_MAX_CHARS = 300


@dataclass(frozen=True, slots=True)
class StatusStep:
    """One step of a record's history."""

    status: RecordStatus
    at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class RecordHistory:
    """What an officer sees of a record: every fact the store holds but the factor hashes."""

    code: str
    procedure_code: str
    receiving_commune: str
    receiving_unit_code: str | None
    channel: Channel
    status: RecordStatus
    deadline: DeadlineClass | None
    received_at: datetime
    due_at: datetime | None
    finished_at: datetime | None
    missing_documents: tuple[str, ...]
    result_delivery: ResultDelivery | None
    collect_at: str | None
    updated_at: datetime
    steps: tuple[StatusStep, ...]


def check_reason(text: str) -> str:
    """The reason, spaces collapsed, if it is long enough to mean something.

    Raises:
        AccessReasonMissing: Fewer than :data:`REASON_MIN_CHARS` or more than
            :data:`REASON_MAX_CHARS` characters.
    """
    reason = " ".join(text.split())
    if len(reason) < REASON_MIN_CHARS:
        raise AccessReasonMissing(f"a reason of at least {REASON_MIN_CHARS} characters is needed")
    if len(reason) > REASON_MAX_CHARS:
        raise AccessReasonMissing(f"a reason has at most {REASON_MAX_CHARS} characters")
    return reason


def open_for_staff(
    session_factory: sessionmaker[Session],
    code_text: str,
    *,
    actor: str,
    reason: str,
    client: str | None = None,
    now: datetime | None = None,
) -> tuple[str, RecordHistory | None]:
    """A record's history by its code, for a signed-in officer, with the access audited.

    Returns:
        The canonical code, and the history (None when no record has that code). The audit
        log gets ``record_view`` or ``record_not_found`` with the reason.

    Raises:
        RecordCodeInvalid: The code cannot be parsed (nothing was read or logged).
        AccessReasonMissing: No usable reason (nothing was read or logged).
        StoreUnavailable: The database cannot be reached.
    """
    code = parse_record_code(code_text).canonical
    why = check_reason(reason)
    now = now or utc_now()
    try:
        with session_factory.begin() as session:
            record = session.scalars(
                select(Record).where(Record.code == code).options(selectinload(Record.events))
            ).one_or_none()
            audit.append(
                session,
                actor=actor,
                action="record_view" if record is not None else "record_not_found",
                subject=audit.record_subject(record.id)
                if record is not None
                else audit.unmatched_code_subject(code),
                reason=why,
                client=client,
                now=now,
            )
            history = _history(record, now) if record is not None else None
    except SQLAlchemyError as exc:
        raise StoreUnavailable("the record store cannot be reached") from exc
    return code, history


def _history(record: Record, now: datetime) -> RecordHistory:
    status = RecordStatus(record.status)
    return RecordHistory(
        code=record.code,
        procedure_code=record.procedure_code,
        receiving_commune=record.receiving_commune,
        receiving_unit_code=record.receiving_unit_code,
        channel=Channel(record.channel),
        status=status,
        deadline=record_deadline(status, record.due_at, record.finished_at, now),
        received_at=record.received_at,
        due_at=record.due_at,
        finished_at=record.finished_at,
        missing_documents=tuple(record.missing_documents or ()),
        result_delivery=ResultDelivery(record.result_delivery) if record.result_delivery else None,
        collect_at=record.collect_at,
        updated_at=record.updated_at,
        steps=tuple(StatusStep(RecordStatus(e.status), e.at, e.note) for e in record.events),
    )
