"""The audit log: who did what on the staff side, to what, why, when and from where.

Rows are only ever added (:func:`append`, inside the transaction of the change they record,
so that no change happens without its row) and read (:func:`newest`). There is no code that
updates or deletes one, and the database refuses to (triggers made by the migration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import StoreUnavailable
from store.models import AUDIT_ACTIONS, AuditEntry
from store.status import utc_now

CLI_ACTOR = "cli"
"""The actor of changes made with the ``helpdesk`` command (no username can be ``cli``)."""

MAX_PAGE = 200
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


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Rows newest first; ``older`` is the ``before`` of the next page, None on the last."""

    events: tuple[AuditEvent, ...]
    older: int | None


def user_subject(username: str) -> str:
    """The subject of a change to an account: ``user:<username>``."""
    return f"user:{username}"


def record_subject(code: str) -> str:
    """The subject of an access to a record: ``record:<canonical code>``."""
    return f"record:{code}"


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
    except SQLAlchemyError as exc:
        raise StoreUnavailable("the record store cannot be reached") from exc
    events = tuple(
        AuditEvent(r.id, r.at, r.actor, r.action, r.subject, r.reason, r.client)
        for r in rows[:limit]
    )
    older = events[-1].id if len(rows) > limit else None
    return AuditPage(events, older)
