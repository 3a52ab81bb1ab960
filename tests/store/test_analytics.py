"""Analytics turns: what is kept of a turn, the dashboard's figures, handoffs, the recorder.

Every figure is checked on SQLite and on PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from store import analytics
from store.analytics import (
    Period,
    TurnEvent,
    TurnFacts,
    TurnRecorder,
    conversation_hash,
    dashboard,
    mark_handed_off,
    percentile,
    question_key,
    question_text,
    record_turns,
    turn_row,
)
from store.db import make_engine, make_session_factory
from store.models import LiveHandoff
from store.personal import MASK

if TYPE_CHECKING:
    from conftest import Db

SECRET = "test-secret-key-not-for-production"
# Thursday 3 July 2025, 10:00 in Vietnam
NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
WEEK = Period.last_days(7, NOW)
MONTH = Period.last_days(30, NOW)


def turn(
    conversation: str = "web-a",
    *,
    at: datetime = NOW - timedelta(hours=1),
    channel: str | None = "web",
    said: str = "làm giấy khai sinh cần gì",
    ms: float = 800,
    **facts: Any,
) -> TurnEvent:
    return TurnEvent(at, conversation, channel, said, ms, TurnFacts.from_raw(facts))


# --- what is kept of a turn ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("Làm giấy khai sinh cần gì?", "Làm giấy khai sinh cần gì?"),
        ("gọi tôi số 0912 345 678 nhé", f"gọi tôi số {MASK} nhé"),
        ("CCCD 079123456789 mất rồi", f"CCCD {MASK} mất rồi"),
        ("hồ sơ 000.00.12.H12-250701-0001 đến đâu rồi", f"hồ sơ {MASK} đến đâu rồi"),
        ("tôi là Nguyễn Văn An, sinh ngày 12/05/1990", f"tôi là {MASK}, sinh ngày {MASK}"),
        ("lệ phí 5 trang là bao nhiêu", f"lệ phí {MASK} trang là bao nhiêu"),
        ("số ０９１２３４５６７８", f"số {MASK}"),  # full-width digits
        ('/feedback{"rating":"up"}', None),
        ("   ", None),
    ],
)
def test_a_question_is_kept_without_anything_personal(said: str, kept: str | None) -> None:
    assert question_text(said) == kept


def test_the_same_question_typed_differently_is_one_question() -> None:
    assert question_key("Khai sinh cần gì?") == question_key("khai  sinh can gi")
    assert question_key("Đăng ký kết hôn!") == "dang ky ket hon"
    assert question_key("khai sinh") != question_key("kết hôn")


def test_only_well_formed_facts_are_kept() -> None:
    facts = TurnFacts.from_raw(
        {
            "intent": "ask_fee",
            "confidence": 0.93,
            "procedure": "1.000001",
            "answered": True,
            "language": "en",
            "feedback": "👍",
            "handoff": True,
        }
    )
    assert facts == TurnFacts("ask_fee", 0.93, "1.000001", True, "en", "up", True)
    odd = TurnFacts.from_raw(
        {
            "intent": "ask fee; drop table",
            "confidence": 1.5,
            "procedure": "khai sinh",
            "answered": "yes",
            "language": "fr",
            "feedback": "great",
            "handoff": "true",
        }
    )
    assert odd == TurnFacts()
    assert TurnFacts.from_raw({"confidence": True}).confidence is None
    assert TurnFacts.from_raw({"confidence": float("nan")}).confidence is None


def test_a_row_holds_a_keyed_hash_of_the_conversation_never_its_id() -> None:
    row = turn_row(SECRET, turn("tg-123456789", channel="Telegram", ms=812.6))
    assert row["conversation_hash"] == conversation_hash(SECRET, "tg-123456789")
    assert row["conversation_hash"] != conversation_hash("another-secret", "tg-123456789")
    assert "123456789" not in str(row)
    assert row["channel"] == "telegram" and row["latency_ms"] == 813
    assert row["day"] == "2025-07-03"  # the date in Vietnam
    assert turn_row(SECRET, turn(channel=None))["channel"] == "other"
    assert turn_row(SECRET, turn(channel="web; drop"))["channel"] == "other"


def test_percentiles_from_counts() -> None:
    assert percentile([(100, 1), (300, 1)], 0.5) == 200
    assert percentile([(100, 2), (300, 1)], 0.5) == 100
    assert percentile([(v, 1) for v in range(1, 11)], 0.9) == 9
    assert percentile([(5, 3)], 0.9) == 5
    assert percentile([], 0.5) is None


# --- the dashboard's figures ------------------------------------------------------------------


def test_the_dashboard_figures(db: Db) -> None:
    day = timedelta(days=1)
    events = [
        # conversation a (web): a question answered, a rating up
        turn("web-a", intent="ask_fee", confidence=0.97, procedure="1.000001", answered=True),
        turn("web-a", said='/feedback{"rating":"up"}', intent="feedback", feedback="up", ms=200),
        # conversation b (telegram), yesterday: not understood twice, then a person
        turn("tg-b", at=NOW - day, channel="telegram", said="Khai sinh cho con?", ms=1200,
             intent="nlu_fallback", confidence=0.8, answered=False),
        turn("tg-b", at=NOW - day, channel="telegram", said="khai sinh cho con", ms=1000,
             intent="nlu_fallback", confidence=0.8, answered=False),
        turn("tg-b", at=NOW - day, channel="telegram", said="/human_handoff", ms=300,
             intent="human_handoff", confidence=1.0, handoff=True),
        # conversation c (zalo): answered but unsure, rated 2 of 5
        turn("zalo-c", channel="zalo", said="đăng ký kết hôn", ms=600, intent="ask_procedure",
             confidence=0.85, procedure="1.000002", answered=True),
        turn("zalo-c", channel="zalo", said="2 sao", ms=400, intent="feedback", feedback=2),
        # conversation d (web), 10 days ago: only in the 30-day period
        turn("web-d", at=NOW - 10 * day, intent="ask_fee", confidence=0.99,
             procedure="1.000002", answered=True, feedback="5", ms=5000),
    ]  # fmt: skip
    record_turns(db.sessions, SECRET, events)

    week = dashboard(db.sessions, WEEK)
    s = week.summary
    assert (s.turns, s.conversations, s.questions, s.answered) == (7, 3, 4, 2)
    assert s.handed_off == 1 and s.containment == pytest.approx(2 / 3)
    assert s.answer_rate == pytest.approx(0.5)
    assert (s.ratings, s.satisfied, s.satisfaction) == (2, 1, 0.5)
    assert s.median_ms == 600 and s.p90_ms == 1200
    assert [(d.day, d.channel, d.turns) for d in week.daily] == [
        (date(2025, 7, 2), "telegram", 3),
        (date(2025, 7, 3), "web", 2),
        (date(2025, 7, 3), "zalo", 2),
    ]
    assert [(p.code, p.asked, p.answered) for p in week.procedures] == [
        ("1.000001", 1, 1),
        ("1.000002", 1, 1),
    ]
    # the two spellings are one question; the unsure answer is there too; payloads never
    assert [(q.question, q.asked, q.unanswered, q.low_confidence) for q in week.queue] == [
        (week.queue[0].question, 2, 2, 2),
        ("đăng ký kết hôn", 1, 0, 1),
    ]
    assert week.queue[0].question in ("Khai sinh cho con?", "khai sinh cho con")
    assert week.queue[0].last_at == NOW - day
    assert {c.channel: (c.turns, c.handed_off, c.median_ms) for c in week.channels} == {
        "web": (2, 0, 500),
        "telegram": (3, 1, 1000),
        "zalo": (2, 0, 500),
    }
    assert [(d.day, d.ratings, d.satisfied) for d in week.satisfaction] == [
        (date(2025, 7, 3), 2, 1)
    ]

    month = dashboard(db.sessions, MONTH)
    assert month.summary.turns == 8 and month.summary.conversations == 4
    assert month.summary.satisfaction == pytest.approx(2 / 3)
    assert [(p.code, p.asked) for p in month.procedures] == [("1.000002", 2), ("1.000001", 1)]
    assert dashboard(db.sessions, Period.last_days(7, NOW + 30 * day)).summary.turns == 0


@pytest.mark.parametrize("share_in_week", [0.2, 0.8])
def test_either_way_of_reading_the_turns_gives_the_same_figures(
    db: Db, monkeypatch: pytest.MonkeyPatch, share_in_week: float
) -> None:
    events = []
    for n in range(40):
        recent = n < 40 * share_in_week
        at = NOW - timedelta(days=1 if recent else 20, hours=n % 5)
        events.append(
            turn(
                f"web-{n % 7}",
                at=at,
                channel=("web", "telegram", "zalo")[n % 3],
                said=("khai sinh cho con", "kết hôn", "/feedback")[n % 3],
                ms=100 * (n % 9),
                intent="ask_fee",
                confidence=(0.5, 0.95)[n % 2],
                procedure=("1.000001", "1.000002", None)[n % 3],
                answered=(True, False, None)[n % 3],
                feedback=(None, "up", "down")[n % 3],
                handoff=n % 11 == 0,
            )
        )
    record_turns(db.sessions, SECRET, events)
    figures = {}
    for whole_indexes in (True, False):
        monkeypatch.setattr(analytics, "_mostly_in", lambda *_, answer=whole_indexes: answer)
        figures[whole_indexes] = dashboard(db.sessions, WEEK)
    assert figures[True] == figures[False]
    assert figures[True].summary.turns == round(40 * share_in_week)


def test_days_are_counted_in_vietnam_time(db: Db) -> None:
    midnight = datetime(2025, 7, 2, 17, 0, tzinfo=UTC)  # 00:00 on 3 July in Vietnam
    record_turns(
        db.sessions,
        SECRET,
        [turn(at=midnight - timedelta(seconds=1)), turn(at=midnight), turn(at=midnight)],
    )
    daily = dashboard(db.sessions, WEEK).daily
    assert [(d.day, d.turns) for d in daily] == [(date(2025, 7, 2), 1), (date(2025, 7, 3), 2)]
    today = Period.last_days(1, NOW)
    assert dashboard(db.sessions, today).summary.turns == 2
    assert (today.start, today.end) == (midnight, midnight + timedelta(days=1))


# --- handoffs -----------------------------------------------------------------------------------


def test_a_handoff_marks_the_latest_turn_of_its_conversation(db: Db) -> None:
    record_turns(
        db.sessions,
        SECRET,
        [
            turn("web-a", at=NOW - timedelta(minutes=5)),
            turn("web-a", at=NOW - timedelta(minutes=1)),
            turn("web-b", at=NOW - timedelta(minutes=3)),
        ],
    )
    hashed = conversation_hash(SECRET, "web-a")
    assert mark_handed_off(db.sessions, hashed, NOW) == 1
    assert mark_handed_off(db.sessions, conversation_hash(SECRET, "web-z"), NOW) == 0
    rows = db.rows("SELECT conversation_hash, handed_off FROM turns ORDER BY at")
    assert [bool(r.handed_off) for r in rows] == [False, False, True]
    summary = dashboard(db.sessions, WEEK).summary
    assert summary.handed_off == 1 and summary.containment == 0.5


def _handoff(
    conversation: str,
    created: datetime,
    claimed: datetime | None = None,
    *,
    state: str = "claimed",
    after_hours: bool = False,
) -> LiveHandoff:
    return LiveHandoff(
        conversation_id=conversation,
        channel="web",
        language="vi",
        state=state,
        step=None,
        after_hours=after_hours,
        created_at=created,
        updated_at=claimed or created,
        claimed_at=claimed,
    )


def test_waits_for_an_officer(db: Db) -> None:
    minute = timedelta(minutes=1)
    yesterday = NOW - timedelta(days=1)
    with db.sessions.begin() as session:
        session.add_all(
            [
                _handoff("web-1", yesterday, yesterday + 2 * minute),
                _handoff("web-2", yesterday, yesterday + 6 * minute, state="closed"),
                _handoff("web-3", NOW - 30 * minute, NOW - 26 * minute),
                _handoff("web-4", NOW - 3 * minute, state="waiting"),
                _handoff("web-5", NOW - 9 * 60 * minute, state="pending", after_hours=True),
                _handoff("web-6", NOW - timedelta(days=20), NOW - timedelta(days=19)),
            ]
        )
    waits = dashboard(db.sessions, WEEK).handoffs
    assert (waits.requests, waits.claimed, waits.waiting, waits.after_hours) == (5, 3, 1, 1)
    assert waits.median_wait == 4 * minute and waits.p90_wait == 6 * minute
    assert [(d.day, d.requests, d.claimed, d.median_wait, d.longest_wait) for d in waits.days] == [
        (date(2025, 7, 2), 2, 2, 4 * minute, 6 * minute),
        (date(2025, 7, 3), 3, 1, 4 * minute, 4 * minute),
    ]
    assert dashboard(db.sessions, MONTH).handoffs.requests == 6


# --- the recorder -------------------------------------------------------------------------------


def test_the_recorder_writes_in_the_background(db: Db) -> None:
    recorder = TurnRecorder(db.sessions, SECRET, batch_size=3, linger_seconds=0.05)
    recorder.start()
    try:
        for n in range(7):
            recorder.record(turn(f"web-{n}", said=f"câu hỏi {n}"))
        recorder.flush()
        assert db.scalar("SELECT count(*) FROM turns") == 7
        recorder.record(turn("web-last"))
    finally:
        recorder.close()
    assert db.scalar("SELECT count(*) FROM turns") == 8  # written before the thread stopped
    assert recorder.failed == 0 and recorder.dropped == 0


def test_a_database_error_costs_the_batch_never_the_caller(
    db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = TurnRecorder(db.sessions, SECRET, linger_seconds=0)
    recorder.start()
    try:
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE turns RENAME TO turns_away"))
        with caplog.at_level(logging.WARNING, logger="store.analytics"):
            recorder.record(turn(said="số 0912345678"))
            recorder.flush()
        assert recorder.failed == 1
        assert "1 turns not recorded" in caplog.text and "0912345678" not in caplog.text
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE turns_away RENAME TO turns"))
        recorder.record(turn())
        recorder.flush()
        assert db.scalar("SELECT count(*) FROM turns") == 1  # it goes on afterwards
    finally:
        recorder.close()


def test_a_full_queue_drops_turns_and_counts_them(db: Db) -> None:
    recorder = TurnRecorder(db.sessions, SECRET, max_pending=2)  # not started: nothing drains
    for _ in range(5):
        recorder.record(turn())
    assert recorder.dropped == 3
    recorder.start()
    recorder.close()
    assert db.scalar("SELECT count(*) FROM turns") == 2


def test_the_recorder_on_an_unreachable_database(caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    recorder = TurnRecorder(make_session_factory(engine), SECRET, linger_seconds=0)
    recorder.start()
    try:
        with caplog.at_level(logging.WARNING, logger="store.analytics"):
            recorder.record(turn())
            recorder.flush()
        assert recorder.failed == 1 and "turns not recorded" in caplog.text
    finally:
        recorder.close()
        engine.dispose()
