"""The audit log: who did what on the staff side, to what, why, when and from where.

Rows are only ever added (:func:`append`, inside the transaction of the change they record,
so that no change happens without its row) and read (:func:`newest`). There is no code that
updates or deletes one, and the database refuses to (triggers made by the migration).

The log never holds a record's code: an access names the record by its row id
(``record:#<id>``), and a code that matched no record only by its last characters
(:func:`mask_code`). Reading the log resolves the id to the record's masked code, enough
for an admin to tell which record it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import StoreUnavailable
from store.models import AUDIT_ACTIONS, AuditEntry, Record
from store.status import utc_now

CLI_ACTOR = "cli"
"""The actor of changes made with the ``helpdesk`` command (no username can be ``cli``)."""

MAX_PAGE = 200
RECORD_PREFIX = "record:"
_RECORD_ID_PREFIX = RECORD_PREFIX + "#"
_MASK = "…"
_KEPT_CHARS = 4
_SUBJECT_CHARS = 128
_CLIENT_CHARS = 64
_ACTOR_CHARS = 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One row of the audit log, as read back."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    reason: str | None
    client: str | None
    record: str | None = None
    """For an access to a record: its code masked (:func:`mask_code`), None otherwise or when
    the record is no longer in the store."""


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Rows newest first; ``older`` is the ``before`` of the next page, None on the last."""

    events: tuple[AuditEvent, ...]
    older: int | None


def user_subject(username: str) -> str:
    """The subject of a change to an account: ``user:<username>``."""
    return f"user:{username}"


def record_subject(record_id: int) -> str:
    """The subject of an access to a record: ``record:#<row id>`` (never its code)."""
    return f"{_RECORD_ID_PREFIX}{record_id}"


def unmatched_code_subject(code: str) -> str:
    """The subject of a lookup of a code no record has: ``record:`` and the code masked."""
    return RECORD_PREFIX + mask_code(code)


def mask_code(code: str) -> str:
    """A record code with all but its last 4 characters hidden: ``…-0001`` for
    ``000.00.12.H12-250701-0001`` (the separator before them is kept, to read as a tail).

    Masking a masked code gives it back unchanged.
    """
    tail = code[-_KEPT_CHARS:]
    before = code[-_KEPT_CHARS - 1 : -_KEPT_CHARS]
    return _MASK + (before if before in {"-", "."} else "") + tail


def subject_record_id(subject: str | None) -> int | None:
    """The record row id a subject names (``record:#<id>``), or None."""
    if subject is None or not subject.startswith(_RECORD_ID_PREFIX):
        return None
    digits = subject[len(_RECORD_ID_PREFIX) :]
    return int(digits) if digits.isascii() and digits.isdigit() else None


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    reason: str | None = None,
    client: str | None = None,
    now: datetime | None = None,
) -> None:
    """Add one row in ``session``'s transaction (committed with the change it records).

    Raises:
        ValueError: An action the log does not know, or no actor.
    """
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if not actor:
        raise ValueError("an audit row needs an actor")
    session.add(
        AuditEntry(
            at=now or utc_now(),
            actor=actor[:_ACTOR_CHARS],
            action=action,
            subject=subject[:_SUBJECT_CHARS] if subject else None,
            reason=reason,
            client=client[:_CLIENT_CHARS] if client else None,
        )
    )


def newest(
    session_factory: sessionmaker[Session], *, before: int | None = None, limit: int = 50
) -> AuditPage:
    """A page of the log, newest first: rows with an id below ``before`` (all when None).

    The records the page's rows name are looked up by id, and given by their masked code.

    Raises:
        StoreUnavailable: The database cannot be reached.
    """
    limit = max(1, min(limit, MAX_PAGE))
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    try:
        with session_factory() as session:
            rows = session.scalars(query).all()
            ids = {i for r in rows[:limit] if (i := subject_record_id(r.subject)) is not None}
            codes = _masked_codes(session, ids)
    except SQLAlchemyError as exc:
        raise StoreUnavailable("the record store cannot be reached") from exc
    events = tuple(
        AuditEvent(
            r.id, r.at, r.actor, r.action, r.subject, r.reason, r.client, _record(r.subject, codes)
        )
        for r in rows[:limit]
    )
    older = events[-1].id if len(rows) > limit else None
    return AuditPage(events, older)


def _masked_codes(session: Session, ids: set[int]) -> dict[int, str]:
    """The masked code of each record of ``ids`` still in the store."""
    if not ids:
        return {}
    found = session.execute(select(Record.id, Record.code).where(Record.id.in_(ids))).all()
    return {record_id: mask_code(code) for record_id, code in found}


def _record(subject: str | None, codes: dict[int, str]) -> str | None:
    """The masked code of the record ``subject`` names, if it names one."""
    if subject is None or not subject.startswith(RECORD_PREFIX):
        return None
    record_id = subject_record_id(subject)
    if record_id is not None:
        return codes.get(record_id)
    # a code that matched no record (or a row written before the log stopped keeping codes)
    return mask_code(subject[len(RECORD_PREFIX) :])
