"""A record's status and how it stands against its due date (the words: ``helpdesk/messages.yml``,
keys ``record.status.*`` and ``record.deadline.*``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

# Vietnam keeps UTC+7 all year (no daylight saving), so a fixed offset is exact.
VN_TZ = timezone(timedelta(hours=7), "ICT")


class RecordStatus(StrEnum):
    """Statuses seen on one-stop systems (OpenCPS and provincial portals)."""

    RECEIVED = "received"
    PROCESSING = "processing"
    WAITING_SUPPLEMENT = "waiting_supplement"
    PAUSED = "paused"
    WAITING_PAYMENT = "waiting_payment"
    RESULT_READY = "result_ready"
    DONE = "done"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """Still being handled: the due date is compared with today."""
        return self in _OPEN

    @property
    def has_result(self) -> bool:
        """Handling finished with a result: the due date is compared with the finish time."""
        return self in (RecordStatus.RESULT_READY, RecordStatus.DONE)


_OPEN = frozenset(
    {
        RecordStatus.RECEIVED,
        RecordStatus.PROCESSING,
        RecordStatus.WAITING_SUPPLEMENT,
        RecordStatus.PAUSED,
        RecordStatus.WAITING_PAYMENT,
    }
)


class DeadlineClass(StrEnum):
    """How a record stands against its due date (quá hạn / tới hạn / đúng hạn / sớm hạn)."""

    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    ON_TIME = "on_time"
    EARLY = "early"


def local_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in Vietnam."""
    return moment.astimezone(VN_TZ).date()


def deadline_class(
    due_at: datetime, now: datetime, finished_at: datetime | None = None
) -> DeadlineClass:
    """Class a deadline, comparing calendar days in Vietnam time.

    An unfinished record is overdue once ``now`` passes ``due_at``, due today on its due date,
    and on time before. A finished one (``finished_at`` set) is overdue if it finished after
    ``due_at``, on time if it finished on the due date, and early if on an earlier day.

    Args:
        due_at: The promised time (ngày hẹn trả), timezone-aware.
        now: The current time, timezone-aware.
        finished_at: When the result was ready, if it is.

    Returns:
        The deadline class.
    """
    moment = finished_at or now
    if moment > due_at:
        return DeadlineClass.OVERDUE
    same_day = moment.astimezone(VN_TZ).date() == due_at.astimezone(VN_TZ).date()
    if finished_at is None:
        return DeadlineClass.DUE_TODAY if same_day else DeadlineClass.ON_TIME
    return DeadlineClass.ON_TIME if same_day else DeadlineClass.EARLY


def record_deadline(
    status: RecordStatus,
    due_at: datetime | None,
    finished_at: datetime | None,
    now: datetime,
) -> DeadlineClass | None:
    """The deadline class of a record, or None where a deadline no longer applies.

    Rejected and cancelled records, and records without a due date, have none.
    """
    if due_at is None or not (status.is_open or status.has_result):
        return None
    return deadline_class(due_at, now, finished_at if status.has_result else None)


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)
