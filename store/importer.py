"""Import records from a one-stop system's CSV export (columns: docs/records-import.md).

Every row is checked first. Any bad row rejects the whole file (nothing is written) unless
``skip_bad`` is set, in which case the good rows are imported and the bad ones reported. The
write is one transaction, keyed on the record code: importing a file again updates the
records and adds a status event only where the status changed.

The export carries the applicant's phone and ID numbers; only keyed hashes of their last 4
digits are kept. Every column not listed in the docs (names, addresses…) is ignored.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import (
    ImportRejected,
    Problem,
    RecordCodeDefect,
    RecordCodeInvalid,
    StoreUnavailable,
)
from helpdesk.settings import Settings
from store.codes import parse_record_code
from store.hashing import last4, verification_hash
from store.models import Record, RecordStatusEvent
from store.status import VN_TZ, RecordStatus, utc_now
from store.vocabulary import Channel, ResultDelivery

IMPORT_SOURCE = "import"
T = TypeVar("T")
REQUIRED = ("code", "procedure_code", "receiving_commune", "channel", "received_at", "status")
OPTIONAL = (
    "receiving_unit_code",
    "due_at",
    "finished_at",
    "missing_documents",
    "result_delivery",
    "collect_at",
    "applicant_phone",
    "applicant_id",
    "status_note",
)
MAX_DOCUMENTS = 30
MAX_DOCUMENT_CHARS = 300
_PROCEDURE_CODE = re.compile(r"^\d\.\d{6}$")


def _key(text: str) -> str:
    """Header or value without accents, lower case, words joined by underscores."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


# Vietnamese column names that one-stop exports use, besides the English ones.
HEADER_ALIASES: dict[str, str] = {
    **{name: name for name in REQUIRED + OPTIONAL},
    "ma_ho_so": "code",
    "so_ho_so": "code",
    "ma_thu_tuc": "procedure_code",
    "ma_tthc": "procedure_code",
    "noi_tiep_nhan": "receiving_commune",
    "don_vi_tiep_nhan": "receiving_commune",
    "xa_phuong_tiep_nhan": "receiving_commune",
    "ma_don_vi": "receiving_unit_code",
    "ma_co_quan_tiep_nhan": "receiving_unit_code",
    "kenh_nop": "channel",
    "hinh_thuc_nop": "channel",
    "ngay_tiep_nhan": "received_at",
    "ngay_hen_tra": "due_at",
    "ngay_hen_tra_ket_qua": "due_at",
    "ngay_co_ket_qua": "finished_at",
    "ngay_hoan_thanh": "finished_at",
    "trang_thai": "status",
    "giay_to_can_bo_sung": "missing_documents",
    "hinh_thuc_nhan_ket_qua": "result_delivery",
    "noi_nhan_ket_qua": "collect_at",
    "so_dien_thoai": "applicant_phone",
    "dien_thoai": "applicant_phone",
    "so_cccd": "applicant_id",
    "so_can_cuoc": "applicant_id",
    "so_dinh_danh": "applicant_id",
    "so_giay_to": "applicant_id",
    "ghi_chu": "status_note",
}

STATUS_ALIASES: dict[str, RecordStatus] = {
    **{s.value: s for s in RecordStatus},
    # the names one-stop systems show, as the citizen reads them
    "moi_tiep_nhan": RecordStatus.RECEIVED,
    "dang_xu_ly": RecordStatus.PROCESSING,
    "cho_bo_sung_ho_so": RecordStatus.WAITING_SUPPLEMENT,
    "dung_xu_ly": RecordStatus.PAUSED,
    "cho_thuc_hien_nghia_vu_tai_chinh": RecordStatus.WAITING_PAYMENT,
    "cho_tra_ket_qua": RecordStatus.RESULT_READY,
    "da_tra_ket_qua": RecordStatus.DONE,
    "tu_choi": RecordStatus.REJECTED,
    "da_huy": RecordStatus.CANCELLED,
    "tiep_nhan": RecordStatus.RECEIVED,
    "dang_giai_quyet": RecordStatus.PROCESSING,
    "cho_bo_sung": RecordStatus.WAITING_SUPPLEMENT,
    "yeu_cau_bo_sung": RecordStatus.WAITING_SUPPLEMENT,
    "tam_dung": RecordStatus.PAUSED,
    "yeu_cau_thuc_hien_nghia_vu_tai_chinh": RecordStatus.WAITING_PAYMENT,
    "cho_nop_phi": RecordStatus.WAITING_PAYMENT,
    "da_co_ket_qua": RecordStatus.RESULT_READY,
    "hoan_thanh": RecordStatus.DONE,
    "da_hoan_thanh": RecordStatus.DONE,
    "tu_choi_giai_quyet": RecordStatus.REJECTED,
    "khong_giai_quyet": RecordStatus.REJECTED,
    "huy": RecordStatus.CANCELLED,
    "rut_ho_so": RecordStatus.CANCELLED,
}

CHANNEL_ALIASES: dict[str, Channel] = {
    **{c.value: c for c in Channel},
    "truc_tiep": Channel.IN_PERSON,
    "truc_tuyen": Channel.ONLINE,
    "buu_chinh": Channel.POSTAL,
    "qua_buu_chinh": Channel.POSTAL,
    "dich_vu_buu_chinh": Channel.POSTAL,
}

DELIVERY_ALIASES: dict[str, ResultDelivery] = {
    **{d.value: d for d in ResultDelivery},
    "truc_tuyen": ResultDelivery.ONLINE,
    "truc_tiep": ResultDelivery.COUNTER,
    "tai_quay": ResultDelivery.COUNTER,
    "tai_bo_phan_mot_cua": ResultDelivery.COUNTER,
    "buu_chinh": ResultDelivery.POST,
    "buu_dien": ResultDelivery.POST,
    "qua_buu_dien": ResultDelivery.POST,
    "qua_buu_chinh": ResultDelivery.POST,
}


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    code: str
    procedure_code: str
    receiving_commune: str
    receiving_unit_code: str | None
    channel: str
    received_at: datetime
    due_at: datetime | None
    finished_at: datetime | None
    status: RecordStatus
    missing_documents: list[str]
    result_delivery: str | None
    collect_at: str | None
    phone_hash: str | None
    id_hash: str | None
    status_note: str | None

    def fields(self) -> dict[str, Any]:
        """The values a record takes from this row."""
        return {
            "procedure_code": self.procedure_code,
            "receiving_commune": self.receiving_commune,
            "receiving_unit_code": self.receiving_unit_code,
            "channel": self.channel,
            "received_at": self.received_at,
            "due_at": self.due_at,
            "finished_at": self.finished_at,
            "status": self.status.value,
            "missing_documents": self.missing_documents,
            "result_delivery": self.result_delivery,
            "collect_at": self.collect_at,
            "phone_hash": self.phone_hash,
            "id_hash": self.id_hash,
        }


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did. ``problems`` lists the rows left out (only with ``skip_bad``)."""

    file: str
    rows: int
    created: int
    updated: int
    unchanged: int
    status_changes: int
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged


class _RowError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def import_records_csv(
    path: Path | str,
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    skip_bad: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Validate and import a CSV export of records, in one transaction.

    Args:
        path: The CSV file (UTF-8, comma or semicolon separated, header on line 1).
        session_factory: Sessions on the (migrated) record store.
        settings: Provides ``secret_key`` for the verification hashes.
        skip_bad: Import the good rows even if some are bad (they are reported).
        now: The import time (timezone-aware); defaults to the clock.

    Returns:
        Counts of created, updated and unchanged records, and the rows left out.

    Raises:
        ImportRejected: The file cannot be read, lacks required columns, or has bad rows while
            ``skip_bad`` is off; ``problems`` names each line and reason. Nothing was written.
        StoreUnavailable: The database cannot be reached.
    """
    path = Path(path)
    now = now or utc_now()
    rows, problems = parse_records_csv(path, settings.secret_key.get_secret_value(), now=now)
    # The file as a whole (unreadable, not UTF-8, bad header) cannot be partly imported.
    fatal = [p for p in problems if p.field == "file" or p.line in (None, 0, 1)]
    if fatal or (problems and not skip_bad):
        raise ImportRejected(problems=problems, imported=0)
    try:
        with session_factory.begin() as session:
            created, updated, unchanged, changes = _write(session, rows, path.name, now)
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"import of {path.name} failed; nothing was written: {exc}") from exc
    return ImportReport(
        file=str(path),
        rows=len(rows) + len(problems),
        created=created,
        updated=updated,
        unchanged=unchanged,
        status_changes=changes,
        problems=tuple(problems),
    )


def parse_records_csv(
    path: Path, secret: str, *, now: datetime | None = None
) -> tuple[list[_Row], list[Problem]]:
    """Read and check every row; returns the good rows and a problem for each bad one."""
    now = now or utc_now()
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Problem(name, "file", f"cannot read the file: {exc.strerror or exc}", line=0)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [
            Problem(name, "file", "not UTF-8 text; save the export as 'CSV UTF-8'", line=line)
        ]
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], [Problem(name, "file", "the file is empty; expected a header line", line=1)]
    columns, header_problems = _map_header(name, header)
    if header_problems:
        return [], header_problems

    rows: list[_Row] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader cannot go on past this point: the file as a whole is rejected.
            problems.append(Problem(name, "file", f"unreadable CSV: {exc}", line=line))
            break
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.append(
                Problem(
                    name, "row", f"expected {len(header)} fields, found {len(values)}", line=line
                )
            )
            continue
        cells = {field_name: values[i].strip() for field_name, i in columns.items()}
        try:
            row = _parse_row(cells, line, secret, now)
        except _RowError as exc:
            problems.append(
                Problem(name, exc.field, exc.message, code=cells["code"][:64] or None, line=line)
            )
            continue
        if row.code in seen:
            problems.append(
                Problem(
                    name,
                    "code",
                    f"duplicate record code (already on line {seen[row.code]})",
                    code=row.code,
                    line=line,
                )
            )
            continue
        seen[row.code] = line
        rows.append(row)
    return rows, problems


def _map_header(name: str, header: list[str]) -> tuple[dict[str, int], list[Problem]]:
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for index, title in enumerate(header):
        field_name = HEADER_ALIASES.get(_key(title))
        if field_name is None:
            continue  # not ours: names, addresses and the like are never read
        if field_name in columns:
            problems.append(Problem(name, title, f"a second column for {field_name}", line=1))
        columns[field_name] = index
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        problems.append(
            Problem(name, "header", "missing required column(s): " + ", ".join(missing), line=1)
        )
    if "applicant_phone" not in columns and "applicant_id" not in columns:
        problems.append(
            Problem(name, "header", "needs an applicant_phone or applicant_id column", line=1)
        )
    return columns, problems


def _parse_row(cells: dict[str, str], line: int, secret: str, now: datetime) -> _Row:
    try:
        code = parse_record_code(cells["code"]).canonical
    except RecordCodeDefect as exc:
        raise _RowError("code", exc.message) from None
    except RecordCodeInvalid as exc:
        raise _RowError("code", str(exc)) from None

    procedure_code = cells["procedure_code"]
    if not _PROCEDURE_CODE.match(procedure_code):
        raise _RowError("procedure_code", f"expected a code like 1.001193, got {procedure_code!r}")
    commune = cells["receiving_commune"]
    if not commune or len(commune) > 200:
        raise _RowError("receiving_commune", "required, at most 200 characters")
    unit = cells.get("receiving_unit_code") or None
    if unit is not None and len(unit) > 32:
        raise _RowError("receiving_unit_code", "at most 32 characters")
    channel = _choice("channel", cells["channel"], CHANNEL_ALIASES)
    status = _choice("status", cells["status"], STATUS_ALIASES)

    received_at = _when("received_at", cells["received_at"], end_of_day=False)
    if received_at is None:
        raise _RowError("received_at", "required")
    if received_at > now + timedelta(days=1):
        raise _RowError("received_at", "is in the future")
    due_at = _when("due_at", cells.get("due_at", ""), end_of_day=True)
    if due_at is not None and due_at < received_at:
        raise _RowError("due_at", "is before received_at")
    finished_at = _when("finished_at", cells.get("finished_at", ""), end_of_day=False)
    if finished_at is not None and finished_at < received_at.replace(hour=0, minute=0):
        raise _RowError("finished_at", "is before received_at")

    delivery_text = cells.get("result_delivery", "")
    delivery = (
        _choice("result_delivery", delivery_text, DELIVERY_ALIASES) if delivery_text else None
    )
    collect_at = cells.get("collect_at") or None
    if collect_at is not None and len(collect_at) > 500:
        raise _RowError("collect_at", "at most 500 characters")

    phone4 = _last4("applicant_phone", cells.get("applicant_phone", ""))
    id4 = _last4("applicant_id", cells.get("applicant_id", ""))
    if phone4 is None and id4 is None:
        raise _RowError(
            "applicant_phone", "applicant_phone or applicant_id is needed to verify lookups"
        )
    return _Row(
        line=line,
        code=code,
        procedure_code=procedure_code,
        receiving_commune=commune,
        receiving_unit_code=unit,
        channel=channel.value,
        received_at=received_at,
        due_at=due_at,
        finished_at=finished_at,
        status=status,
        missing_documents=_documents(cells.get("missing_documents", "")),
        result_delivery=delivery.value if delivery else None,
        collect_at=collect_at,
        phone_hash=verification_hash(secret, code, phone4) if phone4 else None,
        id_hash=verification_hash(secret, code, id4) if id4 else None,
        status_note=(cells.get("status_note") or None),
    )


def _choice(field_name: str, value: str, aliases: dict[str, T]) -> T:
    found = aliases.get(_key(value))
    if found is None:
        allowed = ", ".join(sorted({str(v) for v in aliases.values()}))
        raise _RowError(field_name, f"unknown value {value[:40]!r}; expected one of {allowed}")
    return found


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_DATETIME_FORMATS = tuple(f"{d} {t}" for d in _DATE_FORMATS for t in ("%H:%M", "%H:%M:%S"))


def _when(field_name: str, value: str, *, end_of_day: bool) -> datetime | None:
    """ISO 8601 or dd/mm/yyyy [HH:MM[:SS]]; times without an offset are Vietnam time.

    A date without a time is the start of that day, or its end for a due date (a promise to
    return "on 3 July" is kept until the end of 3 July).
    """
    if not value:
        return None
    parsed: datetime | None = None
    has_time = True
    try:
        parsed = datetime.fromisoformat(value)
        has_time = "T" in value or " " in value or ":" in value
    except ValueError:
        for fmt in _DATETIME_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            for fmt in _DATE_FORMATS:
                try:
                    parsed, has_time = datetime.strptime(value, fmt), False
                    break
                except ValueError:
                    continue
    if parsed is None:
        raise _RowError(field_name, f"not a date: {value[:40]!r}; use 2025-07-01 or 01/07/2025")
    if not has_time:
        parsed = datetime.combine(parsed.date(), time(23, 59, 59) if end_of_day else time(0, 0))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    if not date(2000, 1, 1) <= parsed.date() <= date(2099, 12, 31):
        raise _RowError(field_name, f"date out of range: {value[:40]!r}")
    return parsed


def _last4(field_name: str, value: str) -> str | None:
    if not value:
        return None
    digits = last4(value)
    if digits is None:
        raise _RowError(field_name, "needs at least 4 digits (the full number or its last 4)")
    return digits


def _documents(value: str) -> list[str]:
    if not value:
        return []
    if value.startswith("["):
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            raise _RowError("missing_documents", "starts with [ but is not a JSON list") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise _RowError("missing_documents", "the JSON must be a list of strings")
    else:
        items = re.split(r"[;|\n]", value)
    documents = [" ".join(i.split()) for i in items if i.strip()]
    if len(documents) > MAX_DOCUMENTS:
        raise _RowError("missing_documents", f"more than {MAX_DOCUMENTS} documents")
    if any(len(d) > MAX_DOCUMENT_CHARS for d in documents):
        raise _RowError("missing_documents", f"a document name over {MAX_DOCUMENT_CHARS} chars")
    return documents


def _event_time(row: _Row, now: datetime) -> datetime:
    if row.status is RecordStatus.RECEIVED:
        return row.received_at
    if row.status.has_result and row.finished_at is not None:
        return row.finished_at
    return now


def _write(
    session: Session, rows: list[_Row], file_name: str, now: datetime
) -> tuple[int, int, int, int]:
    existing: dict[str, Record] = {}
    codes = [row.code for row in rows]
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for found in session.scalars(select(Record).where(Record.code.in_(chunk))):
            existing[found.code] = found
    created = updated = unchanged = changes = 0
    for row in rows:
        values = row.fields()
        note = row.status_note or f"Nhập từ tệp {file_name}"
        record = existing.get(row.code)
        if record is None:
            new = Record(code=row.code, source=IMPORT_SOURCE, created_at=now, updated_at=now)
            for name, value in values.items():
                setattr(new, name, value)
            new.events = [
                RecordStatusEvent(status=row.status.value, at=_event_time(row, now), note=note)
            ]
            session.add(new)
            created += 1
            continue
        differs = {name for name, value in values.items() if getattr(record, name) != value}
        if not differs and record.source == IMPORT_SOURCE:
            unchanged += 1
            continue
        if "status" in differs:
            session.add(
                RecordStatusEvent(
                    record_id=record.id,
                    status=row.status.value,
                    at=_event_time(row, now),
                    note=note,
                )
            )
            changes += 1
        for name in differs:
            setattr(record, name, values[name])
        record.source = IMPORT_SOURCE
        record.updated_at = now
        updated += 1
    return created, updated, unchanged, changes
