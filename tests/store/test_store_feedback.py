"""Feedback ratings and handoff notes: validated, and free of personal numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from helpdesk.errors import FeedbackInvalid
from store.feedback import feedback_summary, normalise_rating, record_feedback
from store.handoff import (
    MAX_NOTE_CHARS,
    close_handoff,
    open_handoff,
    open_handoffs,
    sanitize_note,
)
from store.personal import MASK

if TYPE_CHECKING:
    from conftest import Db

NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "stored"),
    [("up", "up"), ("DOWN", "down"), ("👍", "up"), (1, "1"), (5, "5"), ("3", "3")],
)
def test_ratings(given: str | int, stored: str) -> None:
    assert normalise_rating(given) == stored


@pytest.mark.parametrize("bad", [0, 6, "meh", "", True, "10"])
def test_bad_ratings(bad: str | int) -> None:
    with pytest.raises(FeedbackInvalid):
        normalise_rating(bad)


def test_feedback_is_stored_and_summarised(db: Db) -> None:
    record_feedback(db.sessions, conversation_id="c1", rating="up", procedure_code="1.001193")
    record_feedback(db.sessions, conversation_id="c1", rating=4, message_id="m-17", now=NOW)
    record_feedback(db.sessions, conversation_id="c2", rating="down")
    summary = feedback_summary(db.sessions)
    assert summary.total == 3
    assert summary.by_rating == {"up": 1, "4": 1, "down": 1}
    assert feedback_summary(db.sessions, since=NOW + timedelta(days=365 * 50)).total == 0
    with pytest.raises(FeedbackInvalid):
        record_feedback(db.sessions, conversation_id="", rating="up")
    with pytest.raises(FeedbackInvalid):
        record_feedback(db.sessions, conversation_id="c", rating="up", procedure_code="khai sinh")


@pytest.mark.parametrize(
    ("note", "kept", "removed"),
    [
        ("Gọi lại cho tôi số 0912 345 678 nhé", "Gọi lại cho tôi số", "0912 345 678"),
        ("sđt +84 912.345.678, cccd 001099012345", "sđt", "001099012345"),
        ("CMND 123456789 bị mất", "bị mất", "123456789"),
        ("email nguyenvana@example.com", "email", "nguyenvana@example.com"),
    ],
)
def test_sanitize_removes_phone_id_and_email(note: str, kept: str, removed: str) -> None:
    cleaned = sanitize_note(note)
    assert kept in cleaned and removed not in cleaned
    assert not any(run in cleaned for run in ("912345678", "0912", "345 678"))


def test_sanitize_keeps_amounts_and_short_numbers_but_no_code_or_factor() -> None:
    note = (
        "Hồ sơ 000.00.12.H12-250701-0001 quá hạn 3 ngày; lệ phí 1.500.000 đồng, "
        "tổng 1.500.000.000 đồng; thủ tục 1.004222; số cuối 4821; tôi là Trần Thị Bình"
    )
    assert sanitize_note(note) == (
        "Hồ sơ 000.00.12.H12-250701-**** quá hạn 3 ngày; lệ phí 1.500.000 đồng, "
        "tổng 1.500.000.000 đồng; thủ tục 1.004222; số cuối ***; tôi là ***"
    )


def test_sanitize_trims_long_notes() -> None:
    assert len(sanitize_note("a " * 10_000)) <= MAX_NOTE_CHARS


def test_handoff_notes_open_and_close(db: Db) -> None:
    note = open_handoff(
        db.sessions,
        conversation_id="telegram:42",
        topic="1.004222",
        note="Người dân cần hỗ trợ đăng ký thường trú, SĐT 0912345678",
        now=NOW,
    )
    assert note.status == "open" and MASK in note.note and "0912345678" not in note.note
    stored = db.scalar("SELECT note FROM handoff_notes")
    assert "0912345678" not in stored
    assert [n.id for n in open_handoffs(db.sessions)] == [note.id]
    closed = close_handoff(db.sessions, note.id, now=NOW + timedelta(hours=1))
    assert closed.status == "closed" and closed.closed_at == NOW + timedelta(hours=1)
    assert open_handoffs(db.sessions) == []
    with pytest.raises(FeedbackInvalid):
        close_handoff(db.sessions, 999_999)
    with pytest.raises(FeedbackInvalid):
        open_handoff(db.sessions, conversation_id="c", note="   ")
