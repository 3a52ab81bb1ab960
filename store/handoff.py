"""Notes asking a human officer to follow up a conversation, cleaned of personal data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import FeedbackInvalid
from store.models import HandoffNote
from store.personal import scrub
from store.status import utc_now

MAX_NOTE_CHARS = 2000
MAX_TOPIC_CHARS = 64
REDACTED_EMAIL = "[email đã ẩn]"

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def sanitize_note(text: str) -> str:
    """The note without anything personal (:func:`store.personal.scrub`: phone and ID
    numbers, any run of 4 or more digits, the tail of record codes, names introduced as
    such) and without e-mail addresses; trimmed to MAX_NOTE_CHARS."""
    text = text[: MAX_NOTE_CHARS * 2]
    text = _EMAIL.sub(REDACTED_EMAIL, text)
    text = scrub(text)
    text = " ".join(text.split())
    return text[:MAX_NOTE_CHARS]


@dataclass(frozen=True, slots=True)
class HandoffView:
    id: int
    conversation_id: str
    topic: str | None
    note: str
    status: str
    created_at: datetime
    closed_at: datetime | None


def _view(row: HandoffNote) -> HandoffView:
    return HandoffView(
        id=row.id,
        conversation_id=row.conversation_id,
        topic=row.topic,
        note=row.note,
        status=row.status,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


def open_handoff(
    session_factory: sessionmaker[Session],
    *,
    conversation_id: str,
    note: str,
    topic: str | None = None,
    now: datetime | None = None,
) -> HandoffView:
    """Store a note for an officer (numbers that look personal are removed first).

    Args:
        session_factory: Sessions on the record store.
        conversation_id: The conversation to follow up.
        note: What the citizen needs, in a sentence or two.
        topic: A procedure code or a short topic name.
        now: The time to record; defaults to the clock.

    Raises:
        FeedbackInvalid: No conversation id, an empty note, or an over-long topic.
    """
    if not conversation_id or len(conversation_id) > 128:
        raise FeedbackInvalid("conversation_id is required (at most 128 characters)")
    cleaned = sanitize_note(note)
    if not cleaned:
        raise FeedbackInvalid("the handoff note is empty")
    if topic is not None and len(topic) > MAX_TOPIC_CHARS:
        raise FeedbackInvalid(f"topic is longer than {MAX_TOPIC_CHARS} characters")
    row = HandoffNote(
        conversation_id=conversation_id,
        topic=topic or None,
        note=cleaned,
        status="open",
        created_at=now or utc_now(),
    )
    with session_factory.begin() as session:
        session.add(row)
        session.flush()
        return _view(row)


def close_handoff(
    session_factory: sessionmaker[Session], note_id: int, now: datetime | None = None
) -> HandoffView:
    """Mark a note as handled.

    Raises:
        FeedbackInvalid: No note with this id.
    """
    with session_factory.begin() as session:
        row = session.get(HandoffNote, note_id)
        if row is None:
            raise FeedbackInvalid(f"no handoff note with id {note_id}")
        if row.status != "closed":
            row.status = "closed"
            row.closed_at = now or utc_now()
        return _view(row)


def open_handoffs(session_factory: sessionmaker[Session], limit: int = 100) -> list[HandoffView]:
    """The notes still waiting for an officer, oldest first."""
    with session_factory() as session:
        rows = session.scalars(
            select(HandoffNote)
            .where(HandoffNote.status == "open")
            .order_by(HandoffNote.created_at, HandoffNote.id)
            .limit(limit)
        ).all()
        return [_view(row) for row in rows]
