"""Live handoff in the record store: the inbox, one claim per conversation across replicas,
messages cleaned and resumable, every officer's step in the audit log; and office hours."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.exc import IntegrityError

from helpdesk.errors import FeedbackInvalid
from offices.hours import office_hours, parse_opening_hours
from store.audit import newest
from store.handoff import (
    DEFAULT_WAIT,
    DELIVERY_GRACE,
    DELIVERY_RETRY,
    MAX_DELIVERY_TRIES,
    active_live,
    answer_step,
    claim_live,
    conversation_subject,
    end_live,
    expected_wait,
    finish_delivery,
    live_inbox,
    live_messages,
    messages_after,
    open_handoff,
    open_handoffs,
    open_live,
    record_turn,
    staff_reply,
    take_deliveries,
)
from store.models import LiveHandoff
from store.personal import public_digits

if TYPE_CHECKING:
    from conftest import Db

NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam, a Thursday
SECRET = "test-secret-key-not-for-production"
CONVERSATION = "web-abcdef123456"
RECORD = "000.00.12.H12-250701-0001"


def _open(db: Db, conversation: str = CONVERSATION, now: datetime = NOW, **kw: object) -> int:
    view, created = open_live(
        db.sessions,
        conversation_id=conversation,
        channel=str(kw.pop("channel", "web")),
        language="vi",
        state=str(kw.pop("state", "waiting")),
        transcript=[
            ("citizen", f"hồ sơ {RECORD} của tôi, số 0912345678, 4 số cuối 5678"),
            ("bot", "Vui lòng chờ."),
        ],
        procedure_code="1.001193",
        now=now,
        **kw,  # type: ignore[arg-type]
    )
    assert created
    return view.id


def test_a_conversation_enters_the_inbox_with_its_transcript_cleaned(db: Db) -> None:
    handoff = _open(db)
    (view,) = live_inbox(db.sessions)
    assert (view.id, view.state, view.procedure_code, view.after_hours) == (
        handoff,
        "waiting",
        "1.001193",
        False,
    )
    citizen, bot = live_messages(db.sessions, handoff)
    assert (citizen.author, bot.author) == ("citizen", "bot")
    assert "0001" not in citizen.text and "0912345678" not in citizen.text
    assert "5678" not in citizen.text
    assert "000.00.12.H12-250701-" in citizen.text  # the head of the code stays readable


def test_asking_twice_does_not_queue_twice(db: Db) -> None:
    handoff = _open(db)
    again, created = open_live(
        db.sessions, conversation_id=CONVERSATION, channel="web", language="vi", state="waiting"
    )
    assert (again.id, created) == (handoff, False)
    assert db.scalar("SELECT count(*) FROM handoff_conversations") == 1


def test_the_database_refuses_two_active_handoffs_of_one_conversation(db: Db) -> None:
    _open(db)
    with pytest.raises(IntegrityError), db.sessions.begin() as session:
        session.add(
            LiveHandoff(
                conversation_id=CONVERSATION,
                channel="web",
                language="vi",
                state="claimed",
                after_hours=False,
                created_at=NOW,
                updated_at=NOW,
            )
        )


def test_two_replicas_claiming_at_once_one_wins(db: Db) -> None:
    handoffs = [_open(db, f"web-race{n:08d}") for n in range(5)]
    replicas = [db.replica(), db.replica()]
    for handoff in handoffs:
        barrier = threading.Barrier(2)

        def claim(n: int, handoff: int = handoff, barrier: threading.Barrier = barrier) -> bool:
            barrier.wait()
            won = claim_live(
                replicas[n],
                handoff,
                actor=f"officer{n}",
                secret=SECRET,
                notice="Cán bộ đã nhận.",
                now=NOW,
            )
            return won is not None

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(claim, [0, 1]))
        assert sorted(results) == [False, True]
        claimed_by = db.scalar(
            "SELECT claimed_by FROM handoff_conversations WHERE id = :i", i=handoff
        )
        assert claimed_by == f"officer{results.index(True)}"
    claims = db.scalar("SELECT count(*) FROM audit_log WHERE action = 'handoff_claim'")
    assert claims == len(handoffs)


def test_only_the_officer_who_claimed_replies_and_every_step_is_audited(db: Db) -> None:
    handoff = _open(db)
    claimed = claim_live(
        db.sessions, handoff, actor="lan", secret=SECRET, notice="Cán bộ Lan đã nhận.", now=NOW
    )
    assert claimed is not None and claimed.claimed_by == "lan"
    assert claim_live(db.sessions, handoff, actor="minh", secret=SECRET, notice="x") is None
    assert staff_reply(db.sessions, handoff, actor="minh", secret=SECRET, text="Chào") is None
    with pytest.raises(FeedbackInvalid):
        staff_reply(db.sessions, handoff, actor="lan", secret=SECRET, text="   ")
    reply = staff_reply(
        db.sessions, handoff, actor="lan", secret=SECRET, text="Anh gọi 0290 3831 234 nhé"
    )
    assert reply is not None and reply.staff == "lan" and "3831" not in reply.text
    ended = end_live(
        db.sessions, handoff, to="returned", actor="lan", secret=SECRET, notice="Trợ lý tiếp tục."
    )
    assert ended is not None and (ended[0].state, ended[1]) == ("returned", "claimed")
    assert active_live(db.sessions, CONVERSATION) is None
    actions = [(e.actor, e.action, e.subject) for e in reversed(newest(db.sessions).events)]
    subject = conversation_subject(SECRET, CONVERSATION)
    assert actions == [
        ("lan", "handoff_claim", subject),
        ("lan", "handoff_reply", subject),
        ("lan", "handoff_return", subject),
    ]
    assert CONVERSATION not in subject


def test_hand_back_needs_a_claim_and_close_ends_any_active_one(db: Db) -> None:
    handoff = _open(db)
    assert (
        end_live(db.sessions, handoff, to="returned", actor="lan", secret=SECRET, notice="x")
        is None
    )
    ended = end_live(
        db.sessions, handoff, to="closed", actor="lan", secret=SECRET, notice="Đã đóng."
    )
    assert ended is not None
    view, before = ended
    assert (view.state, before) == ("closed", "waiting")
    assert (
        end_live(db.sessions, handoff, to="closed", actor="lan", secret=SECRET, notice="x") is None
    )
    # a new request for staff opens a new handoff of the same conversation
    assert _open(db, now=NOW + timedelta(hours=1)) != handoff


def test_the_stream_resumes_after_the_last_message_it_delivered(db: Db) -> None:
    handoff = _open(db)
    claim_live(db.sessions, handoff, actor="lan", secret=SECRET, notice="Cán bộ đã nhận.")
    record_turn(db.sessions, handoff, [("citizen", "Cho tôi hỏi lệ phí")])
    first = staff_reply(db.sessions, handoff, actor="lan", secret=SECRET, text="Miễn lệ phí.")
    second = staff_reply(db.sessions, handoff, actor="lan", secret=SECRET, text="Còn gì nữa không?")
    assert first is not None and second is not None
    seen = messages_after(db.sessions, CONVERSATION, 0)
    assert [m.kind for m in seen] == ["claimed", "text", "text"]  # never the citizen's own
    assert [m.text for m in messages_after(db.sessions, CONVERSATION, first.id)] == [
        "Còn gì nữa không?"
    ]
    assert messages_after(db.sessions, "web-someone-else", 0) == []


def test_outside_hours_the_question_then_the_contact_only_with_consent(db: Db) -> None:
    handoff = _open(db, state="asking", step="question")
    assert live_inbox(db.sessions) == []  # not in the inbox until the question is taken
    asked = answer_step(db.sessions, handoff, step="consent", question="Hỏi về hồ sơ 0912345678")
    assert asked is not None and asked.question is not None and "0912345678" not in asked.question
    done = answer_step(db.sessions, handoff, step=None, state="pending", contact=" 0912 345 678 ")
    assert done is not None and done.contact == "0912 345 678"
    (view,) = live_inbox(db.sessions)
    assert (view.state, view.after_hours) == ("pending", True)
    # a step on a conversation no longer asking changes nothing
    assert answer_step(db.sessions, handoff, step="contact") is None


def test_expected_wait_is_the_median_of_recent_claims(db: Db) -> None:
    assert expected_wait(db.sessions, NOW) == DEFAULT_WAIT
    for n, minutes in enumerate((2, 4, 30)):
        opened = NOW - timedelta(hours=1)
        handoff = _open(db, f"web-wait{n:08d}", now=opened)
        claim_live(
            db.sessions,
            handoff,
            actor="lan",
            secret=SECRET,
            notice="x",
            now=opened + timedelta(minutes=minutes),
        )
    assert expected_wait(db.sessions, NOW) == timedelta(minutes=4)


def test_staff_messages_for_a_platform_wait_until_sent_and_are_retried(db: Db) -> None:
    web = _open(db)
    chat = _open(db, "tg-777002", channel="telegram")
    for handoff_id in (web, chat):
        claim_live(db.sessions, handoff_id, actor="lan", secret=SECRET, notice="Đã nhận.", now=NOW)
    staff_reply(db.sessions, chat, actor="lan", secret=SECRET, text="Chào chị.", now=NOW)
    # the widget reads its stream from the store: nothing of the web conversation is sent
    assert take_deliveries(db.sessions, conversation_id=CONVERSATION, now=NOW) == []
    taken = take_deliveries(db.sessions, conversation_id="tg-777002", now=NOW)
    assert [(o.text, o.tries) for o in taken] == [("Đã nhận.", 1), ("Chào chị.", 1)]
    # taken once: neither this gateway nor another takes them again while they are sent
    assert take_deliveries(db.sessions, conversation_id="tg-777002", now=NOW) == []
    assert take_deliveries(db.sessions, now=NOW + timedelta(seconds=59)) == []
    assert finish_delivery(db.sessions, taken[0], sent=True) == "sent"
    assert finish_delivery(db.sessions, taken[1], sent=False) == "pending"
    later, state = NOW, "pending"
    for tries in range(2, MAX_DELIVERY_TRIES + 1):
        later += DELIVERY_RETRY
        (again,) = take_deliveries(db.sessions, now=later)
        assert (again.id, again.tries) == (taken[1].id, tries)
        state = finish_delivery(db.sessions, again, sent=False)
    assert state == "failed"
    assert take_deliveries(db.sessions, now=later + DELIVERY_RETRY) == []


def test_a_message_never_tried_is_taken_after_the_grace(db: Db) -> None:
    chat = _open(db, "tg-777002", channel="telegram")
    claim_live(db.sessions, chat, actor="lan", secret=SECRET, notice="Đã nhận.", now=NOW)
    assert take_deliveries(db.sessions, now=NOW + DELIVERY_GRACE / 2) == []
    (left,) = take_deliveries(db.sessions, now=NOW + DELIVERY_GRACE)
    assert (left.conversation_id, left.text) == ("tg-777002", "Đã nhận.")


def test_two_replicas_sweeping_at_once_take_each_message_once(db: Db) -> None:
    chat = _open(db, "tg-777002", channel="telegram")
    claim_live(db.sessions, chat, actor="lan", secret=SECRET, notice="Đã nhận.", now=NOW)
    for n in range(20):
        staff_reply(db.sessions, chat, actor="lan", secret=SECRET, text=f"Tin {n}.", now=NOW)
    sessions = [db.replica(), db.replica()]
    barrier = threading.Barrier(2)

    def sweep(k: int) -> list[int]:
        barrier.wait()
        got: list[int] = []
        for _ in range(30):
            got += [o.id for o in take_deliveries(sessions[k], now=NOW + DELIVERY_GRACE, limit=3)]
        return got

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(sweep, range(2))
    assert not set(a) & set(b)
    assert len(a) + len(b) == 21


def test_a_public_number_in_a_staff_reply_stays(db: Db) -> None:
    chat = _open(db, "tg-777002", channel="telegram")
    claim_live(db.sessions, chat, actor="lan", secret=SECRET, notice="Đã nhận.", now=NOW)
    message = staff_reply(
        db.sessions,
        chat,
        actor="lan",
        secret=SECRET,
        text="Gọi 1800 1096 hoặc 0290.3836.111; không gửi 0912345678 hay 5678.",
        public=public_digits(["1800 1096", "0290 3836 111"]),
        now=NOW,
    )
    assert message is not None
    assert message.text == "Gọi 1800 1096 hoặc 0290.3836.111; không gửi *** hay ***."


def test_notes_still_work(db: Db) -> None:
    open_handoff(db.sessions, conversation_id=CONVERSATION, note="Cần gặp cán bộ")
    assert [n.note for n in open_handoffs(db.sessions)] == ["Cần gặp cán bộ"]


# --- office hours (no database) --------------------------------------------------------------


def test_province_hours_with_a_lunch_break() -> None:
    hours = office_hours("7:30", "17:00", "7:00–11:30 và 13:30–17:00, thứ Hai đến thứ Sáu")
    assert hours.source == "province"
    thursday = datetime(2025, 7, 3, tzinfo=UTC)  # 07:00 in Vietnam
    assert hours.is_open(thursday + timedelta(hours=3))  # 10:00
    assert not hours.is_open(thursday + timedelta(hours=5))  # 12:00, lunch
    assert hours.next_opening(thursday + timedelta(hours=5)).strftime("%H:%M") == "13:30"
    friday_evening = datetime(2025, 7, 4, 12, 0, tzinfo=UTC)  # 19:00 Friday
    monday = hours.next_opening(friday_evening)
    assert (monday.weekday(), monday.strftime("%H:%M")) == (0, "07:00")


def test_settings_hours_when_the_province_has_none_or_unreadable() -> None:
    for text in (None, "giờ hành chính"):
        hours = office_hours("7:30", "17:00", text)
        assert hours.source == "settings"
        saturday = datetime(2025, 7, 5, 3, 0, tzinfo=UTC)
        assert not hours.is_open(saturday)
    assert parse_opening_hours("7:30–17:00, thứ Hai đến thứ Bảy")[1] == frozenset(range(6))


def test_the_install_hours_come_first_and_may_run_to_midnight() -> None:
    hours = office_hours(
        "7:30", "17:00", "7:00–11:30, thứ Hai đến thứ Sáu", "0:00–24:00, thứ Hai đến Chủ nhật"
    )
    assert hours.source == "install"
    sunday_late = datetime(2025, 7, 6, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Vietnam
    assert hours.is_open(sunday_late)
    assert hours.is_open(sunday_late + timedelta(seconds=1))  # Monday 00:00
    unreadable = office_hours("7:30", "17:00", None, "25:00–26:00")
    assert unreadable.source == "settings"
