"""Demo records: every status, some overdue, deterministic, idempotent, and they work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from store.codes import CodeShape, parse_record_code
from store.demo import COMMUNES, build_demo_records, seed_demo
from store.lookup import RecordLookup
from store.status import RecordStatus

if TYPE_CHECKING:
    from conftest import Db

NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)
PROCEDURES = {
    "1.001193",
    "1.000894",
    "1.000656",
    "1.004873",
    "2.000815",
    "2.001035",
    "1.004222",
    "1.004194",
    "1.014063",
    "1.001612",
    "1.013978",
    "1.013225",
}


def test_seed_covers_every_status_with_overdue_ones(db: Db) -> None:
    seeded = seed_demo(db.sessions, db.settings, now=NOW)
    assert len(seeded.records) >= 30
    assert {r.status for r in seeded.records} == set(RecordStatus)
    statuses = {row[0] for row in db.rows("SELECT DISTINCT status FROM records")}
    assert statuses == {s.value for s in RecordStatus}
    assert sum(r.overdue for r in seeded.records) >= 3
    assert {r.procedure_code for r in seeded.records} == PROCEDURES
    communes = {r.receiving_commune for r in seeded.records}
    assert {"Phường An Xuyên, Tỉnh Cà Mau", "Xã Phục Hòa, Tỉnh Cao Bằng"} <= communes
    for record in seeded.records:
        parsed = parse_record_code(record.code)
        assert parsed.canonical == record.code and parsed.shape is CodeShape.TT01
    # Every record has a history that ends in its status.
    assert (
        db.scalar(
            "SELECT count(*) FROM records r WHERE NOT EXISTS "
            "(SELECT 1 FROM record_status_events e WHERE e.record_id = r.id)"
        )
        == 0
    )


def test_seed_is_idempotent_and_deterministic(db: Db) -> None:
    first = seed_demo(db.sessions, db.settings, now=NOW)
    events = db.scalar("SELECT count(*) FROM record_status_events")
    second = seed_demo(db.sessions, db.settings, now=NOW + timedelta(minutes=5))
    assert first.records == second.records
    assert db.scalar("SELECT count(*) FROM records") == len(first.records)
    assert db.scalar("SELECT count(*) FROM record_status_events") == events


@pytest.mark.parametrize("days", [0, 1, 2, 5, 6, 45, 200])
def test_dates_are_relative_to_now_and_consistent(days: int) -> None:
    now = NOW + timedelta(days=days, hours=days * 5)
    for record, events, _demo in build_demo_records("k", now):
        assert record.received_at <= now
        assert record.due_at is not None and record.due_at >= record.received_at
        if record.finished_at is not None:
            assert record.received_at <= record.finished_at <= now
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert events[-1].status == record.status and events[-1].at <= now


def test_demo_digits_unlock_the_demo_records(db: Db) -> None:
    seeded = seed_demo(db.sessions, db.settings, now=NOW)
    lookup = RecordLookup(db.sessions, db.settings)
    for i, demo in enumerate(seeded.samples()):
        result = lookup.lookup(demo.code, demo.phone_last4, f"demo-{i}", now=NOW)
        assert result.record is not None and result.record.status is demo.status
        assert result.record.overdue is demo.overdue
        by_id = lookup.lookup(demo.code, demo.id_last4, f"demo-id-{i}", now=NOW)
        assert by_id.found


def test_seed_never_touches_real_records(db: Db) -> None:
    (first, *_rest) = build_demo_records(db.settings.secret_key.get_secret_value(), NOW)
    record, _events, _demo = first
    record.source = "import"
    with db.sessions.begin() as session:
        session.add(record)
    seeded = seed_demo(db.sessions, db.settings, now=NOW)
    assert seeded.skipped_codes == (record.code,)
    assert db.scalar("SELECT source FROM records WHERE code = :c", c=record.code) == "import"


def test_communes_are_named_as_after_the_2025_reorganisation() -> None:
    for commune, agency in COMMUNES:
        assert commune.split(" ")[0] in {"Phường", "Xã"}
        assert ", Tỉnh " in commune or ", Thành phố " in commune
        assert parse_record_code(f"{agency}-250701-0001").agency == agency
