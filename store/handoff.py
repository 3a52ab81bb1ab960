"""Handoff to ward staff: notes asking an officer to follow a conversation up, and live
handoffs, where a conversation waits in the staff inbox, an officer claims it and answers
the citizen in the same thread while the bot is paused, then hands it back or closes it.

Everything kept is cleaned of personal data first (:func:`store.personal.scrub`, e-mail
addresses), but the contact a citizen gives, only after agreeing to be contacted. Every step
an officer takes is written to the audit log in the transaction of the change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import FeedbackInvalid, StoreUnavailable
from store import audit
from store.db import write_lock
from store.hashing import log_hash
from store.models import LIVE_ACTIVE_STATES, HandoffNote, LiveHandoff, LiveHandoffMessage
from store.personal import scrub
from store.status import utc_now

T = TypeVar("T")

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


# --- live handoff: a conversation in the staff inbox ----------------------------------------

LIVE_ACTIVE = LIVE_ACTIVE_STATES
CLAIMABLE = ("waiting", "pending")
STAFF_SEES = ("staff", "system")
MAX_MESSAGE_CHARS = 4000
MAX_CONTACT_CHARS = 200
MAX_TRANSCRIPT = 40
DEFAULT_WAIT = timedelta(minutes=5)
WAIT_WINDOW = timedelta(days=7)
WAIT_SAMPLE = 50
ASKING_EXPIRES = timedelta(minutes=30)
DELIVERY_GRACE = timedelta(seconds=30)
"""A message never tried this long after it was stored was left by a gateway that stopped."""
DELIVERY_RETRY = timedelta(minutes=1)
MAX_DELIVERY_TRIES = 5
CONSENT_YES = '/handoff_contact{"consent":"yes"}'
"""The payload of "yes, contact me" (outside hours); the gateway takes it, never the bot."""
CONSENT_NO = '/handoff_contact{"consent":"no"}'


@dataclass(frozen=True, slots=True)
class LiveView:
    """A handed-off conversation as the inbox and the gateway read it."""

    id: int
    conversation_id: str
    channel: str
    language: str
    state: str
    step: str | None
    after_hours: bool
    procedure_code: str | None
    question: str | None
    contact: str | None
    created_at: datetime
    updated_at: datetime
    claimed_at: datetime | None
    claimed_by: str | None
    closed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.state in LIVE_ACTIVE

    def waited(self, now: datetime) -> timedelta:
        """How long the citizen has waited (until claimed, or until ``now``)."""
        return (self.claimed_at or now) - self.created_at


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """One stored message; ``id`` is the widget stream's event id."""

    id: int
    author: str
    kind: str
    staff: str | None
    text: str
    at: datetime


def _live(row: LiveHandoff) -> LiveView:
    return LiveView(
        id=row.id,
        conversation_id=row.conversation_id,
        channel=row.channel,
        language=row.language,
        state=row.state,
        step=row.step,
        after_hours=row.after_hours,
        procedure_code=row.procedure_code,
        question=row.question,
        contact=row.contact,
        created_at=row.created_at,
        updated_at=row.updated_at,
        claimed_at=row.claimed_at,
        claimed_by=row.claimed_by,
        closed_at=row.closed_at,
    )


def _message(row: LiveHandoffMessage) -> LiveMessage:
    return LiveMessage(row.id, row.author, row.kind, row.staff, row.text, row.at)


def clean_message(text: str, keep: Collection[str] = ()) -> str:
    """A message as stored: personal data hidden (as in notes), line breaks kept; numbers
    whose digits are in ``keep`` (public phone numbers, :func:`store.personal.public_digits`)
    stay."""
    text = _EMAIL.sub(REDACTED_EMAIL, text[: MAX_MESSAGE_CHARS * 2])
    lines = [" ".join(scrub(line, keep).split()) for line in text.splitlines()]
    return "\n".join(lines).strip()[:MAX_MESSAGE_CHARS]


def conversation_subject(secret: str, conversation_id: str) -> str:
    """The audit subject of a handed-off conversation: a keyed hash of its id (the same
    hash the gateway's logs use), never the id itself."""
    return "conversation:" + log_hash(secret, "conversation:" + conversation_id)


def _delivery(row: LiveHandoff, author: str) -> str | None:
    """``pending`` for what staff or the system say to a Telegram, Zalo or Messenger user;
    None for everything else (the widget's stream reads the store itself)."""
    return "pending" if author in STAFF_SEES and row.channel != "web" else None


def _store(session: Session, row: LiveHandoff, author: str, text: str, **extra: Any) -> None:
    session.add(
        LiveHandoffMessage(
            handoff_id=row.id,
            conversation_id=row.conversation_id,
            author=author,
            kind=extra.get("kind", "text"),
            staff=extra.get("staff"),
            text=clean_message(text),
            at=extra.get("now") or utc_now(),
            delivery=_delivery(row, author),
        )
    )


def _changed(result: Any) -> int:
    """How many rows an UPDATE changed."""
    return int(getattr(result, "rowcount", 0) or 0)


def _guard(operation: Callable[[], T]) -> T:
    try:
        return operation()
    except SQLAlchemyError as exc:
        raise StoreUnavailable("the record store cannot be reached") from exc


def open_live(
    session_factory: sessionmaker[Session],
    *,
    conversation_id: str,
    channel: str,
    language: str,
    state: str,
    transcript: Sequence[tuple[str, str]] = (),
    procedure_code: str | None = None,
    question: str | None = None,
    step: str | None = None,
    now: datetime | None = None,
) -> tuple[LiveView, bool]:
    """Put a conversation in the staff inbox (``waiting``), or start taking its question
    outside office hours (``asking`` at ``step``); returns it and whether it is new.

    A conversation already in the inbox is returned as it is (a second request for staff
    does not queue it twice).

    Args:
        transcript: The conversation so far, ``(author, text)`` with author ``citizen`` or
            ``bot``; its last :data:`MAX_TRANSCRIPT` messages are kept, cleaned.

    Raises:
        FeedbackInvalid: A bad conversation id, state or procedure code.
        StoreUnavailable: The database cannot be reached.
    """
    if not conversation_id or len(conversation_id) > 128:
        raise FeedbackInvalid("conversation_id is required (at most 128 characters)")
    if state not in ("waiting", "asking", "pending"):
        raise FeedbackInvalid(f"a handoff cannot open as {state!r}")
    if procedure_code is not None and len(procedure_code) > 16:
        procedure_code = None
    moment = now or utc_now()

    def insert() -> tuple[LiveView, bool]:
        try:
            with session_factory.begin() as session:
                row = LiveHandoff(
                    conversation_id=conversation_id,
                    channel=channel[:16],
                    language=language[:2],
                    state=state,
                    step=step,
                    after_hours=state != "waiting",
                    procedure_code=procedure_code,
                    question=clean_message(question) if question else None,
                    created_at=moment,
                    updated_at=moment,
                )
                session.add(row)
                session.flush()
                for author, text in list(transcript)[-MAX_TRANSCRIPT:]:
                    if author in ("citizen", "bot") and text.strip():
                        _store(session, row, author, text, now=moment)
                return _live(row), True
        except IntegrityError:
            existing = active_live(session_factory, conversation_id)
            if existing is None:
                raise
            return existing, False

    return _guard(insert)


def active_live(session_factory: sessionmaker[Session], conversation_id: str) -> LiveView | None:
    """The conversation's handoff in an active state, if any.

    Raises:
        StoreUnavailable: The database cannot be reached.
    """

    def read() -> LiveView | None:
        with session_factory() as session:
            row = session.scalars(
                select(LiveHandoff).where(
                    LiveHandoff.conversation_id == conversation_id,
                    LiveHandoff.state.in_(LIVE_ACTIVE),
                )
            ).first()
            return _live(row) if row is not None else None

    return _guard(read)


def get_live(session_factory: sessionmaker[Session], handoff_id: int) -> LiveView | None:
    """One handoff by id (any state)."""

    def read() -> LiveView | None:
        with session_factory() as session:
            row = session.get(LiveHandoff, handoff_id)
            return _live(row) if row is not None else None

    return _guard(read)


def live_inbox(session_factory: sessionmaker[Session], limit: int = 200) -> list[LiveView]:
    """The inbox: conversations waiting, claimed or left outside hours, oldest first."""

    def read() -> list[LiveView]:
        with session_factory() as session:
            rows = session.scalars(
                select(LiveHandoff)
                .where(LiveHandoff.state.in_(("waiting", "pending", "claimed")))
                .order_by(LiveHandoff.created_at, LiveHandoff.id)
                .limit(limit)
            ).all()
            return [_live(row) for row in rows]

    return _guard(read)


def live_messages(session_factory: sessionmaker[Session], handoff_id: int) -> list[LiveMessage]:
    """Every message of one handoff, in order."""

    def read() -> list[LiveMessage]:
        with session_factory() as session:
            rows = session.scalars(
                select(LiveHandoffMessage)
                .where(LiveHandoffMessage.handoff_id == handoff_id)
                .order_by(LiveHandoffMessage.id)
            ).all()
            return [_message(row) for row in rows]

    return _guard(read)


def messages_after(
    session_factory: sessionmaker[Session],
    conversation_id: str,
    after_id: int,
    authors: tuple[str, ...] = STAFF_SEES,
    limit: int = 100,
) -> list[LiveMessage]:
    """The conversation's messages by ``authors`` with an id above ``after_id``, in order:
    what a citizen's stream has not delivered yet."""

    def read() -> list[LiveMessage]:
        with session_factory() as session:
            rows = session.scalars(
                select(LiveHandoffMessage)
                .where(
                    LiveHandoffMessage.conversation_id == conversation_id,
                    LiveHandoffMessage.id > after_id,
                    LiveHandoffMessage.author.in_(authors),
                )
                .order_by(LiveHandoffMessage.id)
                .limit(limit)
            ).all()
            return [_message(row) for row in rows]

    return _guard(read)


def record_turn(
    session_factory: sessionmaker[Session],
    handoff_id: int,
    messages: Sequence[tuple[str, str]],
    now: datetime | None = None,
) -> None:
    """Add a turn of the conversation (``(author, text)``, citizen or bot), cleaned.

    Raises:
        StoreUnavailable: The database cannot be reached.
    """

    def write() -> None:
        with session_factory.begin() as session:
            row = session.get(LiveHandoff, handoff_id)
            if row is None:
                return
            for author, text in messages:
                if author in ("citizen", "bot") and text.strip():
                    _store(session, row, author, text, now=now)

    _guard(write)


def answer_step(
    session_factory: sessionmaker[Session],
    handoff_id: int,
    *,
    step: str | None,
    state: str = "asking",
    question: str | None = None,
    contact: str | None = None,
    now: datetime | None = None,
) -> LiveView | None:
    """Move a conversation that is ``asking`` to its next step (or to ``pending`` once the
    question is taken, or ``closed`` when the citizen went on with the bot).

    ``contact`` is stored only here, once the citizen agreed to be contacted.
    """
    moment = now or utc_now()
    values: dict[str, Any] = {"step": step, "state": state, "updated_at": moment}
    if question is not None:
        values["question"] = clean_message(question)
    if contact is not None:
        values["contact"] = " ".join(contact.split())[:MAX_CONTACT_CHARS]
    if state == "closed":
        values["closed_at"] = moment

    def write() -> LiveView | None:
        with session_factory.begin() as session:
            done = session.execute(
                update(LiveHandoff)
                .where(LiveHandoff.id == handoff_id, LiveHandoff.state == "asking")
                .values(**values)
            )
            if _changed(done) != 1:
                return None
            row = session.get(LiveHandoff, handoff_id)
            return _live(row) if row is not None else None

    return _guard(write)


def claim_live(
    session_factory: sessionmaker[Session],
    handoff_id: int,
    *,
    actor: str,
    secret: str,
    notice: str,
    client: str | None = None,
    now: datetime | None = None,
) -> LiveView | None:
    """Take a waiting conversation for ``actor``: None when another officer already has it.

    One conditional UPDATE (``waiting``/``pending`` → ``claimed``): of two replicas claiming
    at once exactly one changes the row. The winner's transaction also writes the audit row
    and ``notice`` (what the citizen is told) as a system message.
    """
    moment = now or utc_now()

    def write() -> LiveView | None:
        with session_factory.begin() as session:
            done = session.execute(
                update(LiveHandoff)
                .where(LiveHandoff.id == handoff_id, LiveHandoff.state.in_(CLAIMABLE))
                .values(state="claimed", claimed_by=actor, claimed_at=moment, updated_at=moment)
            )
            if _changed(done) != 1:
                return None
            row = session.get(LiveHandoff, handoff_id)
            assert row is not None
            subject = conversation_subject(secret, row.conversation_id)
            audit.append(
                session,
                actor=actor,
                action="handoff_claim",
                subject=subject,
                client=client,
                now=moment,
            )
            _store(session, row, "system", notice, kind="claimed", now=moment)
            return _live(row)

    return _guard(write)


def staff_reply(
    session_factory: sessionmaker[Session],
    handoff_id: int,
    *,
    actor: str,
    secret: str,
    text: str,
    client: str | None = None,
    public: Collection[str] = (),
    now: datetime | None = None,
) -> LiveMessage | None:
    """Store an officer's reply (cleaned); None unless ``actor`` holds the conversation.

    The reply is cleaned as the citizen's messages are, but for the public phone numbers in
    ``public`` (digits: the hotline, the centers' numbers), which an officer may give.

    Raises:
        FeedbackInvalid: An empty reply.
    """
    cleaned = clean_message(text, public)
    if not cleaned:
        raise FeedbackInvalid("the reply is empty")
    moment = now or utc_now()

    def write() -> LiveMessage | None:
        with session_factory.begin() as session:
            row = session.get(LiveHandoff, handoff_id)
            if row is None or row.state != "claimed" or row.claimed_by != actor:
                return None
            message = LiveHandoffMessage(
                handoff_id=row.id,
                conversation_id=row.conversation_id,
                author="staff",
                kind="text",
                staff=actor,
                text=cleaned,
                at=moment,
                delivery=_delivery(row, "staff"),
            )
            session.add(message)
            row.updated_at = moment
            audit.append(
                session,
                actor=actor,
                action="handoff_reply",
                subject=conversation_subject(secret, row.conversation_id),
                client=client,
                now=moment,
            )
            session.flush()
            return _message(message)

    return _guard(write)


def end_live(
    session_factory: sessionmaker[Session],
    handoff_id: int,
    *,
    to: str,
    actor: str,
    secret: str,
    notice: str,
    client: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> tuple[LiveView, str] | None:
    """Hand a claimed conversation back to the bot (``to="returned"``) or close an active
    one (``to="closed"``); returns it and the state it was in, None when it was not in a
    state it can leave that way (already ended, or handed back while not claimed).
    """
    if to not in ("returned", "closed"):
        raise ValueError(f"a handoff ends as returned or closed, not {to!r}")
    moment = now or utc_now()
    leaving = ("claimed",) if to == "returned" else LIVE_ACTIVE
    action = "handoff_return" if to == "returned" else "handoff_close"

    def write() -> tuple[LiveView, str] | None:
        with session_factory.begin() as session:
            row = session.get(LiveHandoff, handoff_id)
            if row is None or row.state not in leaving:
                return None
            before = row.state
            done = session.execute(
                update(LiveHandoff)
                .where(LiveHandoff.id == handoff_id, LiveHandoff.state == before)
                .values(state=to, closed_at=moment, updated_at=moment)
            )
            if _changed(done) != 1:
                return None
            session.refresh(row)
            audit.append(
                session,
                actor=actor,
                action=action,
                subject=conversation_subject(secret, row.conversation_id),
                reason=reason,
                client=client,
                now=moment,
            )
            _store(session, row, "system", notice, kind=to, now=moment)
            return _live(row), before

    return _guard(write)


def expected_wait(
    session_factory: sessionmaker[Session],
    now: datetime | None = None,
    default: timedelta = DEFAULT_WAIT,
) -> timedelta:
    """How long a citizen joining the line now will likely wait: the median wait of the
    conversations claimed in the last :data:`WAIT_WINDOW` (office hours only), else
    ``default``."""
    moment = now or utc_now()

    def read() -> list[tuple[datetime, datetime]]:
        with session_factory() as session:
            rows = session.execute(
                select(LiveHandoff.created_at, LiveHandoff.claimed_at)
                .where(
                    LiveHandoff.claimed_at.is_not(None),
                    LiveHandoff.claimed_at >= moment - WAIT_WINDOW,
                    LiveHandoff.after_hours.is_(False),
                )
                .order_by(LiveHandoff.claimed_at.desc())
                .limit(WAIT_SAMPLE)
            ).all()
            return [(created, claimed) for created, claimed in rows if claimed is not None]

    waits = [(claimed - created).total_seconds() for created, claimed in _guard(read)]
    if not waits:
        return default
    return timedelta(seconds=median(waits))


# --- delivery to Telegram, Zalo and Messenger users --------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A stored staff or system message taken for sending (its ``tries`` include this one)."""

    id: int
    conversation_id: str
    text: str
    tries: int


def take_deliveries(
    session_factory: sessionmaker[Session],
    *,
    conversation_id: str | None = None,
    now: datetime | None = None,
    limit: int = 50,
) -> list[Outgoing]:
    """Pending messages to send now, in order, each taken by one caller only.

    With ``conversation_id``: that conversation's messages never tried yet (what a step just
    stored). Without: any conversation's messages left behind, never tried for
    :data:`DELIVERY_GRACE` (the gateway that stored them stopped first) or last tried more
    than :data:`DELIVERY_RETRY` ago. Taking a message is a conditional UPDATE of its try
    count, so two replicas never send the same message.

    Raises:
        StoreUnavailable: The database cannot be reached.
    """
    moment = now or utc_now()
    pending = LiveHandoffMessage.delivery == "pending"
    if conversation_id is not None:
        due = (LiveHandoffMessage.conversation_id == conversation_id) & (
            LiveHandoffMessage.tried_at.is_(None)
        )
    else:
        due = (
            LiveHandoffMessage.tried_at.is_(None)
            & (LiveHandoffMessage.at <= moment - DELIVERY_GRACE)
        ) | (LiveHandoffMessage.tried_at <= moment - DELIVERY_RETRY)

    def write() -> list[Outgoing]:
        taken: list[Outgoing] = []
        with session_factory.begin() as session:
            write_lock(session)
            rows = session.execute(
                select(
                    LiveHandoffMessage.id,
                    LiveHandoffMessage.conversation_id,
                    LiveHandoffMessage.text,
                    LiveHandoffMessage.tries,
                )
                .where(pending, due)
                .order_by(LiveHandoffMessage.id)
                .limit(limit)
            ).all()
            for message_id, conversation, text, tries in rows:
                done = session.execute(
                    update(LiveHandoffMessage)
                    .where(
                        LiveHandoffMessage.id == message_id,
                        pending,
                        LiveHandoffMessage.tries == tries,
                    )
                    .values(tries=tries + 1, tried_at=moment)
                )
                if _changed(done) == 1:
                    taken.append(Outgoing(message_id, conversation, text, tries + 1))
        return taken

    return _guard(write)


def finish_delivery(
    session_factory: sessionmaker[Session], outgoing: Outgoing, *, sent: bool
) -> str:
    """Record how sending went: ``sent``; else ``pending`` again (tried later) or, after
    :data:`MAX_DELIVERY_TRIES`, ``failed``. Returns the new state."""
    state = "sent" if sent else "failed" if outgoing.tries >= MAX_DELIVERY_TRIES else "pending"

    def write() -> str:
        with session_factory.begin() as session:
            session.execute(
                update(LiveHandoffMessage)
                .where(
                    LiveHandoffMessage.id == outgoing.id, LiveHandoffMessage.delivery == "pending"
                )
                .values(delivery=state)
            )
        return state

    return _guard(write)
