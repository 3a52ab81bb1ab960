"""The tables of the record store. Created only by the migrations in ``store/migrations``.

Nothing personal is stored: an applicant's phone and ID number appear only as keyed hashes of
their last 4 digits, feedback carries no text, and handoff notes are cleaned of numbers. Staff
accounts keep argon2 password hashes, their sign-in sessions only a hash of the token, and the
audit log is written once and never changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.status import RecordStatus
from store.vocabulary import Channel, ResultDelivery, StaffRole

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RATINGS = ("up", "down", "1", "2", "3", "4", "5")
HANDOFF_STATES = ("open", "closed")
AUDIT_ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "record_view",
    "record_not_found",
    "user_create",
    "user_disable",
    "user_reset_password",
    "catalogue_stage",
    "catalogue_publish",
    "catalogue_rollback",
    "handoff_claim",
    "handoff_reply",
    "handoff_return",
    "handoff_close",
)
RELEASE_STATES = ("invalid", "staged", "building", "failed", "published")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


STATUS_VALUES = tuple(s.value for s in RecordStatus)
CHANNEL_VALUES = tuple(c.value for c in Channel)
DELIVERY_VALUES = tuple(d.value for d in ResultDelivery)
STAFF_ROLES = tuple(r.value for r in StaffRole)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in, timezone-aware (UTC) out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the record store; pass an aware one")
        value = value.astimezone(UTC)
        # SQLite keeps no offset: store UTC wall time, which also sorts correctly as text.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonList = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Record(Base):
    """One application (hồ sơ) as the one-stop system knows it."""

    __tablename__ = "records"
    __table_args__ = (
        CheckConstraint(_in("status", STATUS_VALUES), name="status"),
        CheckConstraint(_in("channel", CHANNEL_VALUES), name="channel"),
        CheckConstraint(
            "result_delivery IS NULL OR " + _in("result_delivery", DELIVERY_VALUES),
            name="result_delivery",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(16), index=True)
    receiving_commune: Mapped[str] = mapped_column(String(200))
    receiving_unit_code: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(24))
    missing_documents: Mapped[list[str]] = mapped_column(JsonList)
    result_delivery: Mapped[str | None] = mapped_column(String(8))
    collect_at: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    id_hash: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    events: Mapped[list[RecordStatusEvent]] = relationship(
        back_populates="record",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RecordStatusEvent.at",
    )


class RecordStatusEvent(Base):
    """One step in a record's history."""

    __tablename__ = "record_status_events"
    __table_args__ = (
        CheckConstraint(_in("status", STATUS_VALUES), name="status"),
        Index("ix_record_status_events_record_at", "record_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)

    record: Mapped[Record] = relationship(back_populates="events")


class LookupFailure(Base):
    """A failed lookup, counted once under each key it counts against.

    ``key_hash`` is a keyed hash (:func:`store.hashing.key_hash`) of the code, of the asker
    (the source, or the conversation standing in for it), or of both together: nothing stored
    reveals a code, digits or who asked. Kept in the database so that every replica counts the
    same failures.
    """

    __tablename__ = "lookup_failures"
    __table_args__ = (Index("ix_lookup_failures_key_at", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Feedback(Base):
    """A rating of one answer: thumbs or 1–5. No text, nothing personal."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint(_in("rating", RATINGS), name="rating"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    rating: Mapped[str] = mapped_column(String(8))
    procedure_code: Mapped[str | None] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class HandoffNote(Base):
    """A request for a human officer to follow up a conversation."""

    __tablename__ = "handoff_notes"
    __table_args__ = (
        CheckConstraint(_in("status", HANDOFF_STATES), name="status"),
        Index("ix_handoff_notes_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FactorToken(Base):
    """A factor sealed under a one-time token's key; deleted when redeemed or expired."""

    __tablename__ = "factor_tokens"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_hash: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class AwaitingFactor(Base):
    """A conversation whose last bot answer asked for a second factor."""

    __tablename__ = "awaiting_factors"

    conversation_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class StaffAccount(Base):
    """A ward officer who signs in to the staff pages (``staff``) or also manages them (``admin``).

    Accounts are disabled, never deleted, so that the audit log's names keep meaning someone.
    """

    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint(_in("role", STAFF_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffSession(Base):
    """A signed-in browser: the SHA-256 of its random token, never the token itself.

    It ends at ``expires_at`` (the absolute limit, set at sign-in) or once ``last_seen_at`` is
    older than the idle limit, whichever comes first (``store/staff_sessions.py``).
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SignInFailure(Base):
    """A failed sign-in, under a keyed hash of the username typed (which may not exist).

    Kept in the database so that every replica counts the same failures; the hash keeps a
    password typed into the username field out of the table.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_at", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class AuditEntry(Base):
    """One thing a person did on the staff side: who, when, what, to what, why, from where.

    Append-only: the code only inserts and reads these rows, and the database refuses to
    update or delete one (triggers made by the migration).
    """

    __tablename__ = "audit_log"
    __table_args__ = (CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(128), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(String(64))


class CatalogueRelease(Base):
    """A whole catalogue an admin uploaded: its files (a zip), its validation report and state.

    ``invalid`` releases have problems and can never be published; ``staged`` ones wait for an
    admin; ``building`` ones have their index being built; ``published`` ones were live once.
    """

    __tablename__ = "catalogue_releases"
    __table_args__ = (CheckConstraint(_in("state", RELEASE_STATES), name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(255))
    base_id: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    procedures: Mapped[int] = mapped_column(Integer)
    problems: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    report: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    archive: Mapped[bytes] = mapped_column(LargeBinary)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[str | None] = mapped_column(String(64))
    build_error: Mapped[str | None] = mapped_column(Text)


class LiveCatalogue(Base):
    """The one row saying which release every process answers from (none: the shipped files).

    ``version`` grows with every publish and rollback; each process compares it with its own.
    """

    __tablename__ = "catalogue_live"
    __table_args__ = (CheckConstraint("id = 1", name="single"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int | None] = mapped_column(Integer)
    previous_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(String(64))


class ChannelEvent(Base):
    """A platform event already taken in (Zalo, Messenger), by a hash of the platform's id.

    Platforms deliver again when an answer is slow or lost; the unique key lets exactly one
    replica take each event.
    """

    __tablename__ = "channel_events"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ChannelContact(Base):
    """When a platform user last wrote to us (the reply window), under a keyed hash of the id."""

    __tablename__ = "channel_contacts"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_inbound_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelToken(Base):
    """A platform's access and refresh tokens (Zalo), sealed under the install's secret.

    Shared by every replica: a refresh token is single-use, so one replica refreshes (holding
    the row's lock) and the others read the new pair.
    """

    __tablename__ = "channel_tokens"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


LIVE_STATES = ("asking", "waiting", "pending", "claimed", "returned", "closed")
LIVE_ACTIVE_STATES = ("asking", "waiting", "pending", "claimed")
LIVE_STEPS = ("question", "consent", "contact")
LIVE_AUTHORS = ("citizen", "bot", "staff", "system")
LIVE_KINDS = ("text", "claimed", "returned", "closed")
LIVE_DELIVERIES = ("pending", "sent", "failed")


class LiveHandoff(Base):
    """A conversation handed to ward staff: in line, taken by an officer, or left for the morning.

    ``asking``: outside office hours, the gateway is taking the question (``step``);
    ``waiting``: in line during office hours; ``pending``: a question left outside hours;
    ``claimed``: an officer (``claimed_by``) answers, the bot is paused; ``returned`` (to the
    bot) and ``closed`` end it. At most one row per conversation is in an active state (a
    partial unique index). ``contact`` is kept only when the citizen agreed to be contacted.
    """

    __tablename__ = "handoff_conversations"
    __table_args__ = (
        CheckConstraint(_in("state", LIVE_STATES), name="state"),
        CheckConstraint("step IS NULL OR " + _in("step", LIVE_STEPS), name="step"),
        Index(
            "uq_handoff_conversations_active",
            "conversation_id",
            unique=True,
            sqlite_where=text(_in("state", LIVE_ACTIVE_STATES)),
            postgresql_where=text(_in("state", LIVE_ACTIVE_STATES)),
        ),
        Index("ix_handoff_conversations_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(8))
    step: Mapped[str | None] = mapped_column(String(8))
    after_hours: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
    procedure_code: Mapped[str | None] = mapped_column(String(16))
    question: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LiveHandoffMessage(Base):
    """One message of a handed-off conversation, cleaned of personal data
    (:func:`store.personal.scrub`). The id orders them and is the event id of the widget's
    stream, which resumes after the last one it saw."""

    __tablename__ = "handoff_messages"
    __table_args__ = (
        CheckConstraint(_in("author", LIVE_AUTHORS), name="author"),
        CheckConstraint(_in("kind", LIVE_KINDS), name="kind"),
        CheckConstraint(_in("delivery", LIVE_DELIVERIES), name="delivery"),
        Index("ix_handoff_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_handoff_messages_delivery", "delivery"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_conversations.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(String(128))
    author: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    staff: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # a staff or system message for a Telegram, Zalo or Messenger user: "pending" until it
    # has left ("sent") or was tried too often ("failed"); NULL when nothing is to be sent
    # (the citizen's and bot's turns; the widget reads the store through its stream)
    delivery: Mapped[str | None] = mapped_column(String(8))
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Turn(Base):
    """One citizen message and the bot's answer to it, for the analytics (``store/analytics.py``).

    Nothing personal: the conversation is a keyed hash, the question is kept only cleaned
    (record codes, phone and ID numbers, names and every digit hidden) and never for a button's
    payload. ``day`` is the date in Vietnam (ISO ``yyyy-mm-dd``), so that the dashboard groups
    by day without time-zone arithmetic in SQL. ``answered`` is None for a message that is not
    a question (a greeting, a rating, a reply to a form).
    """

    __tablename__ = "turns"
    __table_args__ = (
        CheckConstraint("feedback IS NULL OR " + _in("feedback", RATINGS), name="feedback"),
        # each dashboard query reads one of these alone (store/analytics.py: INDEXES)
        Index("ix_turns_day_channel_feedback", "day", "channel", "feedback"),
        Index(
            "ix_turns_channel_conversation",
            "channel",
            "conversation_hash",
            "day",
            "answered",
            "handed_off",
            "feedback",
        ),
        Index("ix_turns_channel_latency", "channel", "latency_ms", "day"),
        Index("ix_turns_procedure_day", "procedure_code", "day", "answered"),
        Index("ix_turns_question_key_day", "question_key", "day", "answered", "confidence", "at"),
        Index("ix_turns_conversation_hash_at", "conversation_hash", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[str] = mapped_column(String(10))
    conversation_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(2))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column()
    procedure_code: Mapped[str | None] = mapped_column(String(16))
    answered: Mapped[bool | None] = mapped_column(Boolean(create_constraint=False))
    question: Mapped[str | None] = mapped_column(Text)
    question_key: Mapped[str | None] = mapped_column(String(200))
    latency_ms: Mapped[int] = mapped_column(Integer)
    feedback: Mapped[str | None] = mapped_column(String(8))
    handed_off: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
