"""CSV import: every row checked, all or nothing (or --skip-bad), idempotent on the code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from helpdesk.errors import ImportRejected
from store.hashing import verification_hash
from store.importer import import_records_csv
from store.lookup import RecordLookup

if TYPE_CHECKING:
    from conftest import Db

NOW = datetime(2025, 7, 20, 3, 0, tzinfo=UTC)
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "records.csv"
HEADER = (
    "code,procedure_code,receiving_commune,receiving_unit_code,channel,received_at,due_at,"
    "finished_at,status,missing_documents,result_delivery,collect_at,applicant_phone,"
    "applicant_id,status_note,applicant_name\n"
)
GOOD_1 = (
    '000.00.12.H12-250701-0001,1.001193,"Phường An Xuyên, Tỉnh Cà Mau",000.00.12.H12,'
    "in_person,2025-07-01 08:05,2025-07-01 17:00,,processing,,counter,Quầy số 3,"
    "0912 345 678,001099012345,,Nguyễn Văn A\n"
)
GOOD_2 = (
    '000.00.12.H12-250701-0002,1.004222,"Xã Phục Hòa, Tỉnh Cao Bằng",,online,01/07/2025 09:00,'
    "10/07/2025,,waiting_supplement,Giấy tờ chứng minh chỗ ở hợp pháp; Tờ khai CT01,online,,"
    ",4321,,Trần Thị B\n"
)
BAD_DATE = (
    '000.00.12.H12-251301-0003,1.004222,"Xã Phục Hòa, Tỉnh Cao Bằng",,online,2025-07-01,'
    ",,processing,,,,0988111222,,,\n"
)
BAD_STATUS = (
    '000.00.12.H12-250701-0004,1.004222,"Xã Phục Hòa, Tỉnh Cao Bằng",,online,2025-07-01,'
    ",,sleeping,,,,0988111222,,,\n"
)
NO_FACTOR = (
    '000.00.12.H12-250701-0005,1.004222,"Xã Phục Hòa, Tỉnh Cao Bằng",,online,2025-07-01,'
    ",,processing,,,,,,,\n"
)


def _write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def _count(db: Db, table: str) -> int:
    return int(db.scalar(f"SELECT count(*) FROM {table}"))


def test_good_file_is_imported_with_hashes_only(db: Db, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_1, GOOD_2)
    report = import_records_csv(path, db.sessions, db.settings, now=NOW)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert _count(db, "records") == 2 and _count(db, "record_status_events") == 2

    secret = db.settings.secret_key.get_secret_value()
    rows = db.rows("SELECT code, phone_hash, id_hash FROM records ORDER BY code")
    assert rows[0].phone_hash == verification_hash(secret, rows[0].code, "5678")
    assert rows[0].id_hash == verification_hash(secret, rows[0].code, "2345")
    assert rows[1].phone_hash is None
    assert rows[1].id_hash == verification_hash(secret, rows[1].code, "4321")
    # Nothing personal anywhere in the table: no numbers, no names.
    dump = " ".join(str(v) for row in db.rows("SELECT * FROM records") for v in row)
    for personal in ("0912", "345 678", "001099012345", "Nguyễn Văn A", "Trần Thị B"):
        assert personal not in dump

    lookup = RecordLookup(db.sessions, db.settings)
    found = lookup.lookup("000.00.12.H12-250701-0002", "4321", "c", now=NOW)
    assert found.record is not None
    assert found.record.missing_documents == (
        "Giấy tờ chứng minh chỗ ở hợp pháp",
        "Tờ khai CT01",
    )
    assert found.record.due_on.isoformat() == "2025-07-10"  # type: ignore[union-attr]


def test_one_bad_row_rejects_the_whole_file_with_line_numbers(db: Db, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_1, BAD_DATE, GOOD_2, BAD_STATUS, NO_FACTOR)
    with pytest.raises(ImportRejected) as rejected:
        import_records_csv(path, db.sessions, db.settings, now=NOW)
    problems = rejected.value.problems
    assert [(p.line, p.field) for p in problems] == [
        (3, "code"),
        (5, "status"),
        (6, "applicant_phone"),
    ]
    assert "251301" in problems[0].message
    assert "sleeping" in problems[1].message
    assert str(problems[0]).startswith(f"{path}:3: ")
    assert rejected.value.imported == 0
    assert _count(db, "records") == 0 and _count(db, "record_status_events") == 0


def test_skip_bad_imports_the_good_rows_and_lists_the_bad(db: Db, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_1, BAD_DATE, GOOD_2, BAD_STATUS)
    report = import_records_csv(path, db.sessions, db.settings, skip_bad=True, now=NOW)
    assert report.created == 2 and report.imported == 2
    assert [p.line for p in report.problems] == [3, 5]
    assert report.rows == 4
    codes = [row.code for row in db.rows("SELECT code FROM records ORDER BY code")]
    assert codes == ["000.00.12.H12-250701-0001", "000.00.12.H12-250701-0002"]


def test_reimport_is_idempotent_and_records_status_changes(db: Db, tmp_path: Path) -> None:
    first = _write(tmp_path, GOOD_1, GOOD_2)
    import_records_csv(first, db.sessions, db.settings, now=NOW)
    again = import_records_csv(first, db.sessions, db.settings, now=NOW)
    assert (again.created, again.updated, again.unchanged, again.status_changes) == (0, 0, 2, 0)
    assert _count(db, "records") == 2 and _count(db, "record_status_events") == 2

    # The next export: record 1 is done; record 2 only got a new collect_at.
    done = GOOD_1.replace(",,processing,,counter", ",2025-07-01 16:00,done,,counter")
    moved = GOOD_2.replace("online,,,4321", "online,Cổng Dịch vụ công,,4321")
    second = _write(tmp_path, done, moved, name="export-2.csv")
    report = import_records_csv(second, db.sessions, db.settings, now=NOW)
    assert (report.created, report.updated, report.unchanged, report.status_changes) == (
        0,
        2,
        0,
        1,
    )
    events = db.rows(
        "SELECT e.status FROM record_status_events e JOIN records r ON r.id = e.record_id "
        "WHERE r.code = :code ORDER BY e.id",
        code="000.00.12.H12-250701-0001",
    )
    assert [e.status for e in events] == ["processing", "done"]
    assert _count(db, "record_status_events") == 3
    assert db.scalar("SELECT collect_at FROM records WHERE code LIKE '%0002'") == (
        "Cổng Dịch vụ công"
    )
    # And once more: nothing changes.
    last = import_records_csv(second, db.sessions, db.settings, now=NOW)
    assert (last.updated, last.unchanged, last.status_changes) == (0, 2, 0)
    assert _count(db, "record_status_events") == 3


def test_codes_are_stored_canonical_and_duplicates_are_caught(db: Db, tmp_path: Path) -> None:
    messy = GOOD_1.replace("000.00.12.H12-250701-0001", "000.00.12.h12 250701 0001", 1)
    path = _write(tmp_path, messy, GOOD_1)
    with pytest.raises(ImportRejected) as rejected:
        import_records_csv(path, db.sessions, db.settings, now=NOW)
    (problem,) = rejected.value.problems
    assert problem.line == 3 and "already on line 2" in problem.message


def test_vietnamese_headers_and_values_semicolons(db: Db, tmp_path: Path) -> None:
    header = (
        "Mã hồ sơ;Mã thủ tục;Nơi tiếp nhận;Kênh nộp;Ngày tiếp nhận;Ngày hẹn trả;Trạng thái;"
        "Hình thức nhận kết quả;Số điện thoại;Họ tên người nộp\n"
    )
    row = (
        "H12.22-250704-0107;1.001612;Phường An Xuyên, Tỉnh Cà Mau;Trực tuyến;04/07/2025 10:00;"
        "09/07/2025;Chờ thực hiện nghĩa vụ tài chính;Qua bưu điện;+84 913 000 777;Hoàng Văn E\n"
    )
    path = _write(tmp_path, row, header=header)
    report = import_records_csv(path, db.sessions, db.settings, now=NOW)
    assert report.created == 1
    (record,) = db.rows("SELECT code, channel, status, result_delivery FROM records")
    assert tuple(record) == ("H12.22-250704-0107", "online", "waiting_payment", "post")


@pytest.mark.parametrize(
    ("content", "field", "line"),
    [
        (b"", "file", 1),
        (b"code,procedure_code\n", "header", 1),
        (HEADER.encode() + b"\xff\xfe bad bytes\n", "file", 2),
    ],
)
def test_unreadable_files_are_rejected_even_with_skip_bad(
    db: Db, tmp_path: Path, content: bytes, field: str, line: int
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(ImportRejected) as rejected:
        import_records_csv(path, db.sessions, db.settings, skip_bad=True, now=NOW)
    assert (rejected.value.problems[0].field, rejected.value.problems[0].line) == (field, line)


def test_row_checks(db: Db, tmp_path: Path) -> None:
    rows = [
        GOOD_1.replace("1.001193", "1001193"),  # procedure code
        GOOD_1.replace("in_person", "by pigeon"),  # channel
        GOOD_1.replace("2025-07-01 17:00", "2025-06-01"),  # due before received
        GOOD_1.replace("2025-07-01 08:05", "yesterday"),  # date
        GOOD_1.replace("0912 345 678,001099012345", "12,"),  # too few digits
        GOOD_1.replace(",counter,", ",drone,"),  # delivery
        GOOD_1.rstrip("\n") + ",extra\n",  # field count
        GOOD_1.replace("2025-07-01 08:05", "2099-07-01 08:05").replace(
            "2025-07-01 17:00", "2099-07-02"
        ),  # future
    ]
    path = _write(tmp_path, *rows)
    with pytest.raises(ImportRejected) as rejected:
        import_records_csv(path, db.sessions, db.settings, now=NOW)
    fields = [(p.line, p.field) for p in rejected.value.problems]
    assert fields == [
        (2, "procedure_code"),
        (3, "channel"),
        (4, "due_at"),
        (5, "received_at"),
        (6, "applicant_phone"),
        (7, "result_delivery"),
        (8, "row"),
        (9, "received_at"),
    ]


def test_multiline_fields_keep_line_numbers_right(db: Db, tmp_path: Path) -> None:
    multiline = GOOD_2.replace(
        "Giấy tờ chứng minh chỗ ở hợp pháp; Tờ khai CT01", '"Giấy tờ A\nGiấy tờ B"'
    )
    path = _write(tmp_path, multiline, BAD_STATUS)
    with pytest.raises(ImportRejected) as rejected:
        import_records_csv(path, db.sessions, db.settings, now=NOW)
    assert [p.line for p in rejected.value.problems] == [4]


def test_the_documented_example_imports(db: Db) -> None:
    report = import_records_csv(EXAMPLE, db.sessions, db.settings, now=NOW)
    assert report.created == 5 and not report.problems


def test_broken_csv_quoting_rejects_the_file_even_with_skip_bad(db: Db, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_1, "x" * 200_000 + "\n", GOOD_2)
    with pytest.raises(ImportRejected) as rejected:
        import_records_csv(path, db.sessions, db.settings, skip_bad=True, now=NOW)
    assert [(p.field, p.line) for p in rejected.value.problems] == [("file", 3)]
    assert _count(db, "records") == 0
