"""Statuses and deadline classes: labels in both languages, classes from due date and now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.messages import text
from store.status import VN_TZ, DeadlineClass, RecordStatus, deadline_class, record_deadline

DUE = datetime(2025, 7, 10, 17, 0, tzinfo=VN_TZ)


def test_nine_statuses_with_both_labels_and_explanations() -> None:
    assert [s.value for s in RecordStatus] == [
        "received",
        "processing",
        "waiting_supplement",
        "paused",
        "waiting_payment",
        "result_ready",
        "done",
        "rejected",
        "cancelled",
    ]
    for status in RecordStatus:
        for lang in ("vi", "en"):
            assert text(f"record.status.{status.value}.label", lang)
            assert text(f"record.status.{status.value}.explanation", lang).endswith(".")
    assert text("record.status.waiting_supplement.label", "vi") == "Chờ bổ sung hồ sơ"
    assert text("record.status.done.label", "vi") == "Đã trả kết quả"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (DUE + timedelta(minutes=1), DeadlineClass.OVERDUE),
        (DUE + timedelta(days=3), DeadlineClass.OVERDUE),
        (DUE - timedelta(hours=8), DeadlineClass.DUE_TODAY),
        (DUE, DeadlineClass.DUE_TODAY),
        (DUE - timedelta(days=1), DeadlineClass.ON_TIME),
    ],
)
def test_open_record_against_now(now: datetime, expected: DeadlineClass) -> None:
    assert deadline_class(DUE, now) is expected


def test_due_today_uses_the_vietnamese_calendar_day() -> None:
    # 23:30 UTC on the 9th is already 06:30 on the 10th in Vietnam: due today.
    now = datetime(2025, 7, 9, 23, 30, tzinfo=UTC)
    assert deadline_class(DUE, now) is DeadlineClass.DUE_TODAY


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (DUE + timedelta(hours=1), DeadlineClass.OVERDUE),
        (DUE - timedelta(hours=3), DeadlineClass.ON_TIME),
        (DUE - timedelta(days=2), DeadlineClass.EARLY),
    ],
)
def test_finished_record_against_its_finish_time(
    finished: datetime, expected: DeadlineClass
) -> None:
    later = DUE + timedelta(days=30)
    assert deadline_class(DUE, later, finished) is expected


def test_no_deadline_for_rejected_cancelled_or_undated() -> None:
    now = DUE + timedelta(days=5)
    assert record_deadline(RecordStatus.REJECTED, DUE, None, now) is None
    assert record_deadline(RecordStatus.CANCELLED, DUE, None, now) is None
    assert record_deadline(RecordStatus.PROCESSING, None, None, now) is None
    assert record_deadline(RecordStatus.PROCESSING, DUE, None, now) is DeadlineClass.OVERDUE
    early = DUE - timedelta(days=1)
    assert record_deadline(RecordStatus.DONE, DUE, early, now) is DeadlineClass.EARLY


def test_deadline_labels() -> None:
    assert text(f"record.deadline.{DeadlineClass.OVERDUE.value}", "vi") == "quá hạn"
    assert text(f"record.deadline.{DeadlineClass.EARLY.value}", "en") == "early"
