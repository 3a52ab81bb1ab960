"""What citizens ask: every relayed turn, kept without personal data, and the dashboard's figures.

Each message a channel relays (``connectors/rasa_client.py``) becomes one row of ``turns``:
when, the channel, the language, the intent and its confidence, the procedure found, whether
the bot answered, how long the answer took, a rating given, and whether the conversation went
to a person. The conversation is kept only as a keyed hash (:func:`conversation_hash`); the
question only as :func:`question_text` leaves it (record codes, phone and ID numbers, names and
every digit hidden); a button's payload is not kept at all.

Rows are written by a :class:`TurnRecorder` in a background thread, in batches: a citizen's
answer never waits for the database, and a database error costs that batch's rows (logged),
never an answer. The dashboard's figures (:func:`dashboard`) are plain aggregate queries, the
same on SQLite and PostgreSQL, each reading one covering index of ``turns`` in the order of
its GROUP BY (``store/models.py``); percentiles are computed from counts per value. A month
of 100,000 turns takes a fraction of a second (``bench/analytics.py``).
"""

from __future__ import annotations

import logging
import math
import queue
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any

from sqlalchemy import String, and_, case, distinct, func, insert, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement

from helpdesk.errors import FeedbackInvalid
from store.feedback import normalise_rating
from store.hashing import key_hash
from store.models import LiveHandoff, Turn
from store.personal import MASK, scrub
from store.status import VN_TZ, utc_now

logger = logging.getLogger(__name__)

LANGUAGES = ("vi", "en")
LOW_CONFIDENCE = 0.9
"""Below this, an understood message is near the NLU's fallback threshold (0.8 in
``config.yml``): the work queue shows it even when the bot answered."""
SATISFIED = ("up", "4", "5")
"""Ratings that count as satisfied (a thumbs up, 4 or 5 of 5); every other rating does not."""
SATISFACTION_TARGET = 0.95
PERIODS = (7, 30)
TOP_PROCEDURES = 10
QUEUE_SIZE = 50
MAX_QUESTION_CHARS = 300
MAX_KEY_CHARS = 200
UNKNOWN_CHANNEL = "other"

_CONVERSATION_KIND = "analytics-conversation"
# a word holding a digit: a record code, a phone or ID number, a date, an amount
_WORD_WITH_DIGIT = re.compile(r"[^\s,;!?()\"']*\d[^\s,;!?()\"']*")
_INTENT = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_PROCEDURE = re.compile(r"^\d\.\d{6}$")
_CHANNEL = re.compile(r"^[a-z0-9_]{1,16}$")
_KEY_JUNK = re.compile(r"[^\w*]+")


# --- what is kept of a turn ------------------------------------------------------------------


def conversation_hash(secret: str, conversation_id: str) -> str:
    """The only form in which ``turns`` knows a conversation (a keyed hash of its channel id).

    The live handoff passes the same hash to :func:`mark_handed_off`.
    """
    return key_hash(secret, _CONVERSATION_KIND, conversation_id)


def question_text(text: str) -> str | None:
    """A citizen's message as the analytics keep it, or None for a button's payload.

    :func:`store.personal.scrub` first (record codes lose their tail; phone and ID numbers,
    groups of 4 or 8 digits and names introduced as such are hidden), then every word that
    still holds a digit (what is left of a code, a date, an amount) becomes ``***``. At most
    :data:`MAX_QUESTION_CHARS` characters.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not text or text.startswith("/"):
        return None
    cleaned = " ".join(_WORD_WITH_DIGIT.sub(MASK, scrub(text)).split())
    return cleaned[:MAX_QUESTION_CHARS] or None


def question_key(question: str) -> str:
    """What groups the same question typed differently: lower case, no diacritics, no
    punctuation ("Khai sinh cần gì?" and "khai sinh can gi" are one question)."""
    decomposed = unicodedata.normalize("NFD", question.lower().replace("đ", "d"))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_KEY_JUNK.sub(" ", folded).split())[:MAX_KEY_CHARS]


def _string(value: object, pattern: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and pattern.match(value) else None


@dataclass(frozen=True, slots=True)
class TurnFacts:
    """What the bot knows of a turn, as its answer carried it (``{"custom": {"turn": …}}``).

    Built by :meth:`from_raw`, which keeps only well-formed values: anything else is None.
    """

    intent: str | None = None
    confidence: float | None = None
    procedure: str | None = None
    answered: bool | None = None
    language: str | None = None
    feedback: str | None = None
    handoff: bool = False

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> TurnFacts:
        raw_confidence = raw.get("confidence")
        confidence = None
        if isinstance(raw_confidence, int | float) and not isinstance(raw_confidence, bool):
            confidence = float(raw_confidence) if 0.0 <= raw_confidence <= 1.0 else None
        answered = raw.get("answered")
        language = raw.get("language")
        rating = raw.get("feedback")
        feedback = None
        if isinstance(rating, str | int) and not isinstance(rating, bool):
            try:
                feedback = normalise_rating(rating)
            except FeedbackInvalid:
                feedback = None
        return cls(
            intent=_string(raw.get("intent"), _INTENT),
            confidence=confidence,
            procedure=_string(raw.get("procedure"), _PROCEDURE),
            answered=answered if isinstance(answered, bool) else None,
            language=language if language in LANGUAGES else None,
            feedback=feedback,
            handoff=raw.get("handoff") is True,
        )


@dataclass(frozen=True, slots=True)
class TurnEvent:
    """One relayed turn as the gateway saw it. Held in memory only until written:
    :func:`turn_row` decides what of it is kept."""

    at: datetime
    conversation_id: str
    channel: str | None
    text: str
    latency_ms: float
    facts: TurnFacts = field(default_factory=TurnFacts)


def local_day(moment: datetime) -> str:
    """The date in Vietnam of a moment, ISO ``yyyy-mm-dd`` (the ``day`` column)."""
    return moment.astimezone(VN_TZ).date().isoformat()


def turn_row(secret: str, event: TurnEvent) -> dict[str, Any]:
    """The ``turns`` row of a turn: hashed, cleaned, nothing personal."""
    question = question_text(event.text)
    facts = event.facts
    channel = (event.channel or "").lower()
    return {
        "at": event.at,
        "day": local_day(event.at),
        "conversation_hash": conversation_hash(secret, event.conversation_id),
        "channel": channel if _CHANNEL.match(channel) else UNKNOWN_CHANNEL,
        "language": facts.language,
        "intent": facts.intent,
        "confidence": facts.confidence,
        "procedure_code": facts.procedure,
        "answered": facts.answered,
        "question": question,
        "question_key": question_key(question) if question else None,
        "latency_ms": max(0, round(event.latency_ms)),
        "feedback": facts.feedback,
        "handed_off": facts.handoff,
    }


def record_turns(sessions: sessionmaker[Session], secret: str, events: Sequence[TurnEvent]) -> None:
    """Write turns now, in one transaction (what the recorder's thread does)."""
    if not events:
        return
    rows = [turn_row(secret, event) for event in events]
    with sessions.begin() as session:
        session.execute(insert(Turn), rows)


class TurnRecorder:
    """Writes turns in a background thread, a batch at a time; :meth:`record` never waits.

    Args:
        sessions: Sessions on the record store.
        secret: The install's secret (conversation hashes).
        batch_size: The most rows written in one transaction.
        linger_seconds: How long a batch waits for more turns before it is written.
        max_pending: Turns held while the database is slow; more are dropped and counted.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        secret: str,
        *,
        batch_size: int = 500,
        linger_seconds: float = 0.5,
        max_pending: int = 10_000,
    ) -> None:
        self._sessions = sessions
        self._secret = secret
        self._batch_size = batch_size
        self._linger = linger_seconds
        self._queue: queue.Queue[TurnEvent | None] = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.failed = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="turn-recorder", daemon=True)
            self._thread.start()

    def record(self, event: TurnEvent) -> None:
        """Queue a turn for writing; when the queue is full the turn is dropped (and counted)."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning(
                    "analytics: %d turns dropped, the database is too slow", self.dropped
                )

    def flush(self) -> None:
        """Wait until every turn queued so far is written (or given up)."""
        self._queue.join()

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued and stop the thread (waiting at most ``timeout`` seconds)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            logger.warning("analytics: stopped with turns still queued")
            return
        thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.task_done()
                return
            batch, stop = self._gather(first)
            self._write(batch)
            for _ in range(len(batch) + stop):
                self._queue.task_done()
            if stop:
                return

    def _gather(self, first: TurnEvent) -> tuple[list[TurnEvent], bool]:
        """A batch: ``first`` and what else arrives within the linger time; True at the end."""
        batch = [first]
        until = monotonic() + self._linger
        while len(batch) < self._batch_size:
            try:
                item = self._queue.get(timeout=max(0.0, until - monotonic()))
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _write(self, batch: list[TurnEvent]) -> None:
        try:
            record_turns(self._sessions, self._secret, batch)
        except Exception as exc:  # never the rows: only how many and why
            self.failed += len(batch)
            logger.warning("analytics: %d turns not recorded (%s)", len(batch), type(exc).__name__)


# --- handoffs ----------------------------------------------------------------------------------


def mark_handed_off(
    sessions: sessionmaker[Session], conversation_hash: str, at: datetime | None = None
) -> int:
    """Mark a conversation as handed to a person: its latest turn (up to ``at``) says so.

    ``conversation_hash`` is :func:`conversation_hash` of the conversation's id. Returns the
    number of turns marked: 0 when none is recorded yet (the turn that asked for a person also
    carries the bot's own ``handoff`` fact, so it is marked when it is written).
    """
    moment = at or utc_now()
    with sessions.begin() as session:
        latest = session.scalar(
            select(Turn.id)
            .where(Turn.conversation_hash == conversation_hash, Turn.at <= moment)
            .order_by(Turn.at.desc(), Turn.id.desc())
            .limit(1)
        )
        if latest is None:
            return 0
        session.execute(update(Turn).where(Turn.id == latest).values(handed_off=True))
        return 1


# --- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """The last ``days`` days in Vietnam, today included."""

    days: int
    first: date
    last: date

    @classmethod
    def last_days(cls, days: int, now: datetime | None = None) -> Period:
        today = (now or utc_now()).astimezone(VN_TZ).date()
        return cls(days, today - timedelta(days=days - 1), today)

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    @property
    def start(self) -> datetime:
        """The period's first moment (midnight in Vietnam), in UTC."""
        return datetime.combine(self.first, time(0), VN_TZ).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The moment after the period (the next midnight in Vietnam), in UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(0), VN_TZ).astimezone(UTC)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class Summary:
    """The period's headline figures."""

    turns: int
    conversations: int
    questions: int
    answered: int
    handed_off: int
    ratings: int
    satisfied: int
    median_ms: float | None
    p90_ms: float | None

    @property
    def containment(self) -> float | None:
        """Share of conversations the bot handled without a person."""
        return _share(self.conversations - self.handed_off, self.conversations)

    @property
    def answer_rate(self) -> float | None:
        """Share of questions the bot answered."""
        return _share(self.answered, self.questions)

    @property
    def satisfaction(self) -> float | None:
        return _share(self.satisfied, self.ratings)


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    channel: str
    turns: int


@dataclass(frozen=True, slots=True)
class ProcedureCount:
    code: str
    asked: int
    answered: int


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A question the bot did not answer, or answered unsure, with how often it was asked."""

    question: str
    language: str | None
    asked: int
    unanswered: int
    low_confidence: int
    last_at: datetime
    procedure: str | None
    confidence: float | None


@dataclass(frozen=True, slots=True)
class ChannelFigures:
    channel: str
    turns: int
    conversations: int
    questions: int
    answered: int
    handed_off: int
    ratings: int
    satisfied: int
    median_ms: float | None

    @property
    def answer_rate(self) -> float | None:
        return _share(self.answered, self.questions)


@dataclass(frozen=True, slots=True)
class SatisfactionDay:
    day: date
    ratings: int
    satisfied: int

    @property
    def share(self) -> float | None:
        return _share(self.satisfied, self.ratings)


@dataclass(frozen=True, slots=True)
class HandoffDay:
    """The conversations handed to staff on a day, during office hours and outside them."""

    day: date
    requests: int
    claimed: int
    after_hours: int
    median_wait: timedelta | None
    longest_wait: timedelta | None


@dataclass(frozen=True, slots=True)
class HandoffWaits:
    """Waits in line (office hours) for an officer, over the period."""

    requests: int
    claimed: int
    waiting: int
    after_hours: int
    median_wait: timedelta | None
    p90_wait: timedelta | None
    days: tuple[HandoffDay, ...]


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Every figure of the dashboard, for one period."""

    period: Period
    summary: Summary
    daily: tuple[DayCount, ...]
    procedures: tuple[ProcedureCount, ...]
    queue: tuple[QueueItem, ...]
    channels: tuple[ChannelFigures, ...]
    satisfaction: tuple[SatisfactionDay, ...]
    handoffs: HandoffWaits


def _in_period(period: Period) -> Any:
    return and_(Turn.day >= period.first.isoformat(), Turn.day <= period.last.isoformat())


class _unindexed(FunctionElement[str]):
    """A column SQLite must not look rows up by (``+day``): the query is served better by a
    covering index in the order of its GROUP BY, which SQLite's planner, without statistics,
    would pass over for the index on the day. Other databases get the plain column."""

    inherit_cache = True
    type = String()


@compiles(_unindexed)
def _plain_column(element: _unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_unindexed, "sqlite")
def _unary_plus(element: _unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


def _scanned_in(period: Period) -> Any:
    """The period as a filter checked on each index entry read, never looked up by day."""
    day = _unindexed(Turn.day)
    return and_(day >= period.first.isoformat(), day <= period.last.isoformat())


def _mostly_in(session: Session, period: Period) -> bool:
    """Whether the period holds at least half of the turns kept (ids only ever grow)."""
    inside = session.scalar(select(func.count()).select_from(Turn).where(_in_period(period)))
    first: int | None = session.scalar(select(func.min(Turn.id)))
    last: int | None = session.scalar(select(func.max(Turn.id)))
    if first is None or last is None:
        return True
    return (inside or 0) * 2 >= last - first + 1


def _within(session: Session, period: Period) -> Any:
    """The period as a filter, written for the way SQLite should read the turns.

    When the period holds most of the table (a month of a month's turns), each dashboard
    query is fastest reading a covering index in the order of its GROUP BY and checking each
    entry's day (:func:`_scanned_in`); when it holds a small part (a month of a year's), looking
    its days up in the day index reads less. Decided once per session. PostgreSQL's planner
    makes that choice itself, from its statistics.
    """
    if session.get_bind().dialect.name != "sqlite":
        return _in_period(period)
    key = ("analytics-read-whole-indexes", period)
    if key not in session.info:
        session.info[key] = _mostly_in(session, period)
    return _scanned_in(period) if session.info[key] else _in_period(period)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_QUESTION = Turn.answered.is_not(None)
_ANSWERED = Turn.answered.is_(True)
_SATISFIED = Turn.feedback.in_(SATISFIED)


def _nth(counts: Sequence[tuple[float, int]], index: int) -> float:
    """The ``index``-th value (0-based) of the sorted values counted in ``counts``."""
    seen = 0
    for value, n in counts:
        seen += n
        if index < seen:
            return value
    raise IndexError(index)


def percentile(counts: Iterable[tuple[float, int]], share: float) -> float | None:
    """A percentile of values given as (value, how many): the median (0.5) averages the two
    middle values of an even count; others take the nearest rank. None without values."""
    ordered = sorted((float(v), int(n)) for v, n in counts if n > 0)
    total = sum(n for _, n in ordered)
    if not total:
        return None
    if share == 0.5:
        return (_nth(ordered, (total - 1) // 2) + _nth(ordered, total // 2)) / 2
    return _nth(ordered, max(0, math.ceil(share * total) - 1))


def latency_counts(session: Session, period: Period) -> dict[str, list[tuple[float, int]]]:
    """How many turns of each channel took each number of milliseconds."""
    query = (
        select(Turn.channel, Turn.latency_ms, func.count())
        .where(_within(session, period))
        .group_by(Turn.channel, Turn.latency_ms)
    )
    found: dict[str, list[tuple[float, int]]] = {}
    for channel, latency, n in session.execute(query):
        found.setdefault(channel, []).append((float(latency), int(n)))
    return found


def summary_of(
    channels: Sequence[ChannelFigures], latencies: Iterable[tuple[float, int]]
) -> Summary:
    """The period's headline figures: the channels' added up (a conversation stays in its
    channel, so its conversations add up too), percentiles of every response time."""
    counts = list(latencies)
    return Summary(
        turns=sum(c.turns for c in channels),
        conversations=sum(c.conversations for c in channels),
        questions=sum(c.questions for c in channels),
        answered=sum(c.answered for c in channels),
        handed_off=sum(c.handed_off for c in channels),
        ratings=sum(c.ratings for c in channels),
        satisfied=sum(c.satisfied for c in channels),
        median_ms=percentile(counts, 0.5),
        p90_ms=percentile(counts, 0.9),
    )


def _days(session: Session, period: Period) -> list[tuple[date, str, int, int, int]]:
    """(day, channel, turns, ratings, satisfied): read from the index on (day, channel,
    feedback) alone, in its order."""
    query = (
        select(
            Turn.day,
            Turn.channel,
            func.count(),
            func.count(Turn.feedback),
            _count_if(_SATISFIED),
        )
        .where(_in_period(period))
        .group_by(Turn.day, Turn.channel)
        .order_by(Turn.day, Turn.channel)
    )
    rows = session.execute(query)
    return [
        (date.fromisoformat(day), channel, int(n), int(ratings), int(satisfied))
        for day, channel, n, ratings, satisfied in rows
    ]


def daily_counts(
    session: Session, period: Period, days: list[tuple[date, str, int, int, int]] | None = None
) -> tuple[DayCount, ...]:
    """Turns per day and channel (days without turns are absent)."""
    rows = _days(session, period) if days is None else days
    return tuple(DayCount(day, channel, n) for day, channel, n, _, _ in rows)


def top_procedures(
    session: Session, period: Period, limit: int = TOP_PROCEDURES
) -> tuple[ProcedureCount, ...]:
    """The procedures asked about most (turns naming a procedure), most asked first."""
    asked = func.count()
    query = (
        select(Turn.procedure_code, asked, _count_if(_ANSWERED))
        .where(_within(session, period), Turn.procedure_code.is_not(None))
        .group_by(Turn.procedure_code)
        .order_by(asked.desc(), Turn.procedure_code)
        .limit(limit)
    )
    return tuple(
        ProcedureCount(str(code), int(n), int(answered))
        for code, n, answered in session.execute(query)
    )


def work_queue(
    session: Session,
    period: Period,
    *,
    low_confidence: float = LOW_CONFIDENCE,
    limit: int = QUEUE_SIZE,
) -> tuple[QueueItem, ...]:
    """Typed questions the bot did not answer or was unsure of, grouped by
    :func:`question_key`; the most asked first (then the most recent).

    The groups and their counts come from the question index alone; the question as shown,
    its language and a procedure named with it are then read for those groups only.
    """
    missed = and_(
        _within(session, period),
        Turn.question_key.is_not(None),
        Turn.answered.is_(False) | (Turn.confidence < low_confidence),
    )
    asked = func.count()
    last_at = func.max(Turn.at)
    groups = (
        select(
            Turn.question_key,
            asked,
            _count_if(Turn.answered.is_(False)),
            _count_if(Turn.confidence < low_confidence),
            last_at,
            func.avg(Turn.confidence),
        )
        .where(missed)
        .group_by(Turn.question_key)
        .order_by(asked.desc(), last_at.desc(), Turn.question_key)
        .limit(limit)
    )
    found = session.execute(groups).all()
    if not found:
        return ()
    details = (
        select(
            Turn.question_key,
            func.max(Turn.question),
            func.max(Turn.language),
            func.max(Turn.procedure_code),
        )
        .where(missed, Turn.question_key.in_([row[0] for row in found]))
        .group_by(Turn.question_key)
    )
    shown = {key: rest for key, *rest in session.execute(details)}
    items = []
    for key, n, unanswered, unsure, last, confidence in found:
        question, language, procedure = shown[key]
        items.append(
            QueueItem(
                question=str(question),
                language=language,
                asked=int(n),
                unanswered=int(unanswered),
                low_confidence=int(unsure),
                last_at=last.astimezone(UTC),
                procedure=procedure,
                confidence=None if confidence is None else round(float(confidence), 4),
            )
        )
    return tuple(items)


def channel_figures(
    session: Session, period: Period, latencies: Mapping[str, list[tuple[float, int]]]
) -> tuple[ChannelFigures, ...]:
    turns = func.count()
    query = (
        select(
            Turn.channel,
            turns,
            func.count(distinct(Turn.conversation_hash)),
            _count_if(_QUESTION),
            _count_if(_ANSWERED),
            func.count(distinct(case((Turn.handed_off.is_(True), Turn.conversation_hash)))),
            func.count(Turn.feedback),
            _count_if(_SATISFIED),
        )
        .where(_within(session, period))
        .group_by(Turn.channel)
        .order_by(turns.desc(), Turn.channel)
    )
    rows = session.execute(query)
    return tuple(
        ChannelFigures(
            channel=row[0],
            turns=int(row[1]),
            conversations=int(row[2]),
            questions=int(row[3]),
            answered=int(row[4]),
            handed_off=int(row[5]),
            ratings=int(row[6]),
            satisfied=int(row[7]),
            median_ms=percentile(latencies.get(row[0], []), 0.5),
        )
        for row in rows
    )


def satisfaction_days(
    session: Session, period: Period, days: list[tuple[date, str, int, int, int]] | None = None
) -> tuple[SatisfactionDay, ...]:
    """Ratings per day and how many were satisfied (days without ratings are absent)."""
    rows = _days(session, period) if days is None else days
    by_day: dict[date, tuple[int, int]] = {}
    for day, _channel, _n, ratings, satisfied in rows:
        before = by_day.get(day, (0, 0))
        by_day[day] = (before[0] + ratings, before[1] + satisfied)
    return tuple(SatisfactionDay(day, n, ok) for day, (n, ok) in sorted(by_day.items()) if n)


def _median(values: Sequence[timedelta]) -> timedelta | None:
    seconds = percentile(((v.total_seconds(), 1) for v in values), 0.5)
    return None if seconds is None else timedelta(seconds=seconds)


def handoff_waits(session: Session, period: Period) -> HandoffWaits:
    """How long citizens waited in line for an officer (the live handoff's conversations).

    A wait runs from joining the line to an officer taking the conversation. Requests made
    outside office hours are counted apart: they wait for the morning by design.
    """
    query = select(
        LiveHandoff.created_at, LiveHandoff.claimed_at, LiveHandoff.after_hours, LiveHandoff.state
    ).where(LiveHandoff.created_at >= period.start, LiveHandoff.created_at < period.end)
    by_day: dict[date, list[tuple[datetime, datetime | None, bool]]] = {}
    waiting = 0
    for created, claimed, after_hours, state in session.execute(query):
        by_day.setdefault(created.astimezone(VN_TZ).date(), []).append(
            (created, claimed, bool(after_hours))
        )
        waiting += state == "waiting"
    all_waits: list[timedelta] = []
    days = []
    for day in sorted(by_day):
        rows = by_day[day]
        waits = [claimed - created for created, claimed, late in rows if claimed and not late]
        all_waits.extend(waits)
        days.append(
            HandoffDay(
                day=day,
                requests=len(rows),
                claimed=sum(1 for _, claimed, _late in rows if claimed is not None),
                after_hours=sum(1 for *_, late in rows if late),
                median_wait=_median(waits),
                longest_wait=max(waits) if waits else None,
            )
        )
    p90 = percentile(((w.total_seconds(), 1) for w in all_waits), 0.9)
    return HandoffWaits(
        requests=sum(d.requests for d in days),
        claimed=sum(d.claimed for d in days),
        waiting=waiting,
        after_hours=sum(d.after_hours for d in days),
        median_wait=_median(all_waits),
        p90_wait=None if p90 is None else timedelta(seconds=p90),
        days=tuple(days),
    )


def dashboard(
    sessions: sessionmaker[Session],
    period: Period,
    *,
    low_confidence: float = LOW_CONFIDENCE,
) -> Dashboard:
    """Every figure of the dashboard for ``period``, read in one session."""
    with sessions() as session:
        latencies = latency_counts(session, period)
        overall: dict[float, int] = {}
        for counts in latencies.values():
            for value, n in counts:
                overall[value] = overall.get(value, 0) + n
        channels = channel_figures(session, period, latencies)
        days = _days(session, period)
        return Dashboard(
            period=period,
            summary=summary_of(channels, overall.items()),
            daily=daily_counts(session, period, days),
            procedures=top_procedures(session, period),
            queue=work_queue(session, period, low_confidence=low_confidence),
            channels=channels,
            satisfaction=satisfaction_days(session, period, days),
            handoffs=handoff_waits(session, period),
        )
