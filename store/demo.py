"""Demo records for trying status lookups: every status, some overdue, dates relative to today.

The set is deterministic (a fixed random seed) and seeding is idempotent: the previous demo
records are replaced, so running it twice leaves the same records. Real (imported) records
are never touched; a demo code that clashes with one is left out.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.settings import Settings
from store.hashing import verification_hash
from store.models import Record, RecordStatusEvent
from store.status import VN_TZ, DeadlineClass, RecordStatus, record_deadline, utc_now
from store.vocabulary import Channel, ResultDelivery

DEMO_SOURCE = "demo"
DEMO_SEED = 20250701

S = RecordStatus

# (receiving commune, agency code of its one-stop unit); agency codes are made up for the demo.
COMMUNES: tuple[tuple[str, str], ...] = (
    ("Phường An Xuyên, Tỉnh Cà Mau", "000.31.12.H12"),
    ("Xã Phục Hòa, Tỉnh Cao Bằng", "000.07.04.H04"),
    ("Phường Ba Đình, Thành phố Hà Nội", "000.01.01.H26"),
    ("Phường Sài Gòn, Thành phố Hồ Chí Minh", "000.02.29.H29"),
    ("Phường Hải Châu, Thành phố Đà Nẵng", "000.03.32.H32"),
)

MISSING: dict[str, tuple[str, ...]] = {
    "1.004222": (
        "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp (bản sao hoặc bản điện tử)",
        "Ý kiến đồng ý của chủ hộ ghi trong Tờ khai thay đổi thông tin cư trú (CT01)",
    ),
    "1.013978": (
        "Mảnh trích đo bản đồ địa chính thửa đất",
        "Bản sao giấy tờ về quyền sử dụng đất",
    ),
    "1.000894": ("Giấy xác nhận tình trạng hôn nhân của bên nữ (bản chính)",),
    "1.001612": (
        "Bản sao hợp đồng thuê địa điểm kinh doanh",
        "Giấy đề nghị đăng ký hộ kinh doanh có chữ ký của chủ hộ kinh doanh",
    ),
}


@dataclass(frozen=True, slots=True)
class _Spec:
    procedure: str
    status: RecordStatus
    received_ago: int  # working days before today
    due_in: int  # working days from today (negative: in the past)
    finished_ago: int | None = None
    delivery: ResultDelivery | None = None


_C, _O, _P = ResultDelivery.COUNTER, ResultDelivery.ONLINE, ResultDelivery.POST

SPECS: tuple[_Spec, ...] = (
    _Spec("1.004222", S.RECEIVED, 0, 7),
    _Spec("1.000656", S.RECEIVED, 0, 1),
    _Spec("2.000815", S.RECEIVED, 0, 0),
    _Spec("1.013978", S.RECEIVED, 1, 19),
    _Spec("1.004194", S.RECEIVED, 5, -2),  # overdue before anyone picked it up
    _Spec("1.004873", S.PROCESSING, 1, 2),
    _Spec("1.013225", S.PROCESSING, 8, 7),
    _Spec("1.013978", S.PROCESSING, 25, -5),  # overdue
    _Spec("1.004222", S.PROCESSING, 9, -2),  # overdue
    _Spec("2.001035", S.PROCESSING, 2, 0),  # due today
    _Spec("1.014063", S.PROCESSING, 3, 4),
    _Spec("1.004222", S.WAITING_SUPPLEMENT, 3, 4),
    _Spec("1.013978", S.WAITING_SUPPLEMENT, 6, 14),
    _Spec("1.000894", S.WAITING_SUPPLEMENT, 1, 1),
    _Spec("1.001612", S.WAITING_SUPPLEMENT, 5, -2),  # overdue
    _Spec("1.013225", S.PAUSED, 10, 5),
    _Spec("1.013978", S.PAUSED, 15, 5),
    _Spec("1.004873", S.PAUSED, 4, -1),  # overdue
    _Spec("1.013978", S.WAITING_PAYMENT, 18, 2),
    _Spec("1.004222", S.WAITING_PAYMENT, 4, 3),
    _Spec("1.001612", S.WAITING_PAYMENT, 2, 1),
    _Spec("1.001193", S.RESULT_READY, 0, 0, 0, _C),
    _Spec("1.014063", S.RESULT_READY, 7, 0, 1, _P),  # early
    _Spec("1.004873", S.RESULT_READY, 3, 0, 0, _O),
    _Spec("2.001035", S.RESULT_READY, 5, -3, 1, _C),  # finished late
    _Spec("1.001193", S.DONE, 6, -6, 6, _C),
    _Spec("2.000815", S.DONE, 2, -2, 2, _C),
    _Spec("1.000656", S.DONE, 4, -3, 4, _O),  # early
    _Spec("1.004194", S.DONE, 8, -5, 6, _O),  # early
    _Spec("1.013225", S.DONE, 30, -12, 8, _P),  # finished late
    _Spec("1.004222", S.REJECTED, 12, -5, 7),
    _Spec("1.013225", S.REJECTED, 20, -2, 4),
    _Spec("1.001612", S.REJECTED, 6, -3, 4),
    _Spec("1.000894", S.CANCELLED, 9, -8, 8),
    _Spec("1.004194", S.CANCELLED, 5, -2, 3),
    _Spec("1.013978", S.CANCELLED, 40, -10, 20),
)

_NOTES: dict[RecordStatus, str] = {
    S.RECEIVED: "Tiếp nhận hồ sơ",
    S.PROCESSING: "Chuyển cán bộ thụ lý",
    S.WAITING_SUPPLEMENT: "Đề nghị bổ sung hồ sơ",
    S.PAUSED: "Tạm dừng giải quyết",
    S.WAITING_PAYMENT: "Thông báo nghĩa vụ tài chính",
    S.RESULT_READY: "Có kết quả, chờ trả",
    S.DONE: "Đã trả kết quả",
    S.REJECTED: "Từ chối giải quyết, có văn bản nêu lý do",
    S.CANCELLED: "Hủy hồ sơ",
}


@dataclass(frozen=True, slots=True)
class DemoRecord:
    """One seeded record and the digits that unlock it (demo data, safe to print)."""

    code: str
    procedure_code: str
    status: RecordStatus
    receiving_commune: str
    phone_last4: str
    id_last4: str
    overdue: bool


@dataclass(frozen=True, slots=True)
class DemoSeed:
    records: tuple[DemoRecord, ...]
    skipped_codes: tuple[str, ...]

    def samples(self) -> list[DemoRecord]:
        """One record per status (in status order), for printing."""
        first: dict[RecordStatus, DemoRecord] = {}
        for record in self.records:
            first.setdefault(record.status, record)
        return [first[s] for s in RecordStatus if s in first]


def _working_days(today: date) -> Callable[[date], bool]:
    import holidays

    years = range(today.year - 1, today.year + 2)
    vn_holidays = holidays.country_holidays("VN", years=list(years))
    return lambda day: day.weekday() < 5 and day not in vn_holidays


def _shift(today: date, days: int, is_working: Callable[[date], bool]) -> date:
    """The ``days``-th working day after (or before, if negative) ``today``; 0 is today."""
    day, step, left = today, (1 if days > 0 else -1), abs(days)
    while left:
        day += timedelta(days=step)
        if is_working(day):
            left -= 1
    return day


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VN_TZ)


def _collect_at(delivery: ResultDelivery, commune: str) -> str:
    unit = commune.split(",")[0]
    if delivery is ResultDelivery.COUNTER:
        return f"Bộ phận Một cửa, Trung tâm Phục vụ hành chính công {unit}"
    if delivery is ResultDelivery.ONLINE:
        return "Tải bản điện tử trên Cổng Dịch vụ công quốc gia, mục Quản lý hồ sơ"
    return "Gửi qua dịch vụ bưu chính công ích đến địa chỉ đã đăng ký khi nộp hồ sơ"


def build_demo_records(
    secret: str, now: datetime
) -> list[tuple[Record, list[RecordStatusEvent], DemoRecord]]:
    """The demo records for ``now``, not yet stored (deterministic for a given day)."""
    rng = random.Random(DEMO_SEED)
    today = now.astimezone(VN_TZ).date()
    is_working = _working_days(today)
    taken: set[str] = set()
    built: list[tuple[Record, list[RecordStatusEvent], DemoRecord]] = []
    for index, spec in enumerate(SPECS):
        commune, agency = COMMUNES[index % len(COMMUNES)]
        received_day = _shift(today, -spec.received_ago, is_working)
        received_at = min(
            _at(received_day, rng.randint(7, 10), rng.choice((0, 15, 30, 45))),
            now - timedelta(minutes=30),
        )
        due_day = _shift(today, spec.due_in, is_working)
        due_at = _at(due_day, 17, 0)
        if spec.due_in == 0:  # "due today" must still be ahead of now
            due_at = max(due_at, min(now + timedelta(hours=1), _at(due_day, 23, 59)))
        due_at = max(due_at, received_at + timedelta(hours=1))
        finished_at = None
        if spec.finished_ago is not None:
            finished_day = _shift(today, -spec.finished_ago, is_working)
            finished_at = min(_at(finished_day, 15, rng.randint(0, 59)), now - timedelta(minutes=5))
            if finished_at <= received_at:
                finished_at = received_at + (now - received_at) / 2

        sequence = f"{rng.randint(1, 80):04d}"
        code = f"{agency}-{received_at.astimezone(VN_TZ):%y%m%d}-{sequence}"
        while code in taken:
            sequence = f"{int(sequence) + 1:04d}"
            code = f"{agency}-{received_at.astimezone(VN_TZ):%y%m%d}-{sequence}"
        taken.add(code)

        channel = rng.choice((Channel.IN_PERSON, Channel.IN_PERSON, Channel.ONLINE, Channel.POSTAL))
        delivery = spec.delivery or rng.choice(tuple(ResultDelivery))
        phone4, id4 = f"{rng.randrange(10_000):04d}", f"{rng.randrange(10_000):04d}"
        missing = MISSING.get(spec.procedure, ()) if spec.status is S.WAITING_SUPPLEMENT else ()
        record = Record(
            code=code,
            procedure_code=spec.procedure,
            receiving_commune=commune,
            receiving_unit_code=agency,
            channel=channel.value,
            received_at=received_at,
            due_at=due_at,
            finished_at=finished_at,
            status=spec.status.value,
            missing_documents=list(missing),
            result_delivery=delivery.value,
            collect_at=_collect_at(delivery, commune),
            phone_hash=verification_hash(secret, code, phone4),
            id_hash=verification_hash(secret, code, id4),
            source=DEMO_SOURCE,
            created_at=now,
            updated_at=now,
        )
        events = _history(spec.status, received_at, finished_at, now)
        deadline = record_deadline(spec.status, due_at, finished_at, now)
        overdue = deadline is DeadlineClass.OVERDUE
        demo = DemoRecord(code, spec.procedure, spec.status, commune, phone4, id4, overdue)
        built.append((record, events, demo))
    return built


def _history(
    status: RecordStatus, received_at: datetime, finished_at: datetime | None, now: datetime
) -> list[RecordStatusEvent]:
    """A plausible path through the statuses, ending in ``status``."""
    path = [S.RECEIVED]
    if status not in (S.RECEIVED, S.CANCELLED):
        path.append(S.PROCESSING)
    if status is S.DONE:
        path.append(S.RESULT_READY)
    if status not in path:
        path.append(status)
    end = finished_at or (received_at + (now - received_at) * 2 / 3)
    step = (end - received_at) / max(1, len(path) - 1)
    events = [
        RecordStatusEvent(status=s.value, at=received_at + step * i, note=_NOTES[s])
        for i, s in enumerate(path)
    ]
    if status is S.DONE and finished_at is not None:
        events[-2].at = finished_at
        events[-1].at = min(finished_at + timedelta(hours=2), now)
    return events


def seed_demo(
    session_factory: sessionmaker[Session], settings: Settings, *, now: datetime | None = None
) -> DemoSeed:
    """Replace the demo records with a fresh set for today, in one transaction.

    Args:
        session_factory: Sessions on the (migrated) record store.
        settings: Provides ``secret_key`` for the verification hashes.
        now: The reference time (timezone-aware); defaults to the clock.

    Returns:
        The seeded records with their demo digits, and codes left out because a real record
        already uses them.
    """
    now = now or utc_now()
    built = build_demo_records(settings.secret_key.get_secret_value(), now)
    codes = [record.code for record, _, _ in built]
    seeded: list[DemoRecord] = []
    skipped: list[str] = []
    with session_factory.begin() as session:
        session.execute(delete(Record).where(Record.source == DEMO_SOURCE))
        real = set(session.scalars(select(Record.code).where(Record.code.in_(codes))).all())
        for record, events, demo in built:
            if record.code in real:
                skipped.append(record.code)
                continue
            record.events = events
            session.add(record)
            seeded.append(demo)
    return DemoSeed(records=tuple(seeded), skipped_codes=tuple(skipped))
