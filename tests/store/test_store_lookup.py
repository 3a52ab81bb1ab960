"""Status lookups: answers, neutral failures, and rate limits that every replica shares."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

import store.lookup as lookup_module
from helpdesk.errors import LookupRefused, StoreUnavailable
from store.answer import LookupOutcome, RecordAnswer
from store.db import make_engine, make_session_factory
from store.hashing import verification_hash
from store.lookup import RecordLookup, normalise_digits
from store.models import Record
from store.status import DeadlineClass, RecordStatus

if TYPE_CHECKING:
    from conftest import Db

NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # the conftest's reference time

CODE = "000.00.12.H12-250701-0001"
PHONE, ID4 = "5678", "2345"
AddRecord = Callable[..., Record]


def _lookup(db: Db, sessions: Any = None, **overrides: Any) -> RecordLookup:
    settings = db.settings.model_copy(update=overrides) if overrides else db.settings
    return RecordLookup(sessions or db.sessions, settings)


def test_found_with_phone_or_id_digits(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for digits in (PHONE, ID4, " 56 78 "):
        result = lookup.lookup("000.00.12.h12 250701 0001", digits, "conv-1", now=NOW)
        assert result.outcome is LookupOutcome.FOUND
        assert result.record is not None
        assert result.record.code == CODE
        assert result.record.status is RecordStatus.PROCESSING
        assert result.record.deadline is DeadlineClass.ON_TIME
        assert not result.record.overdue
        assert "Đang xử lý" in result.message_vi


def test_answer_holds_only_public_facts(db: Db, add_record: AddRecord) -> None:
    add_record(CODE, status=RecordStatus.WAITING_SUPPLEMENT, missing_documents=["Giấy chứng sinh"])
    result = _lookup(db).lookup(CODE, PHONE, "conv-1", now=NOW)
    assert result.record is not None
    assert {f.name for f in fields(RecordAnswer)} == {
        "code",
        "procedure_code",
        "status",
        "received_on",
        "due_on",
        "deadline",
        "missing_documents",
        "result_delivery",
        "collect_at",
    }
    assert result.record.missing_documents == ("Giấy chứng sinh",)
    payload = str(result.to_dict())
    assert "Giấy chứng sinh" in result.message_vi
    for secret_bit in (PHONE, ID4, "hash", "Phường An Xuyên, Tỉnh Cà Mau"):
        assert secret_bit not in payload
        assert secret_bit not in result.message_vi


def test_missing_documents_shown_only_while_waiting_for_them(db: Db, add_record: AddRecord) -> None:
    add_record(CODE, status=RecordStatus.PROCESSING, missing_documents=["Giấy chứng sinh"])
    result = _lookup(db).lookup(CODE, PHONE, "conv-1", now=NOW)
    assert result.record is not None and result.record.missing_documents == ()


def test_overdue_record_says_so_and_names_the_hotline(db: Db, add_record: AddRecord) -> None:
    add_record(CODE, due_at=NOW - timedelta(days=2))
    result = _lookup(db).lookup(CODE, PHONE, "conv-1", now=NOW)
    assert result.record is not None
    assert result.record.overdue and result.record.deadline is DeadlineClass.OVERDUE
    assert "quá hạn" in result.message_vi and "1800 1096" in result.message_vi
    assert result.to_dict()["record"]["overdue"] is True


def test_unknown_code_and_wrong_digits_get_the_same_answer(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    wrong_digits = lookup.lookup(CODE, "0000", "conv-1", now=NOW)
    unknown_code = lookup.lookup("000.00.12.H12-250701-0002", PHONE, "conv-2", now=NOW)
    assert wrong_digits.outcome is LookupOutcome.NOT_FOUND
    assert wrong_digits == unknown_code
    assert wrong_digits.to_dict() == unknown_code.to_dict()
    assert wrong_digits.record is None and wrong_digits.reason is None


def test_unknown_code_path_does_the_same_hashing_work(
    db: Db, add_record: AddRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_record(CODE)
    calls: list[str] = []
    real_hash, real_matches = lookup_module.verification_hash, lookup_module.matches

    def counting_hash(*args: Any, **kwargs: Any) -> str:
        calls.append("hmac")
        return real_hash(*args, **kwargs)

    def counting_matches(*args: Any) -> bool:
        calls.append("compare")
        return real_matches(*args)

    monkeypatch.setattr(lookup_module, "verification_hash", counting_hash)
    monkeypatch.setattr(lookup_module, "matches", counting_matches)
    lookup = _lookup(db)
    lookup.lookup(CODE, "0000", "conv-1", now=NOW)
    known = list(calls)
    calls.clear()
    lookup.lookup("000.00.12.H12-250701-0009", "0000", "conv-2", now=NOW)
    assert calls == known == ["hmac", "compare", "compare"]


def test_only_hashes_of_the_digits_are_stored(db: Db, add_record: AddRecord) -> None:
    add_record(CODE, phone=PHONE, id_number=ID4)
    (phone_hash, id_hash) = db.rows("SELECT phone_hash, id_hash FROM records")[0]
    secret = db.settings.secret_key.get_secret_value()
    assert phone_hash == verification_hash(secret, CODE, PHONE)
    assert id_hash == verification_hash(secret, CODE, ID4)
    for value in (phone_hash, id_hash):
        assert len(value) == 64 and int(value, 16) >= 0
        assert PHONE not in value[:4] and value not in (PHONE, ID4)
    # Another key gives other hashes: without the key the digits cannot be tested offline.
    assert verification_hash("another-key", CODE, PHONE) != phone_hash


def test_record_without_any_second_factor_is_never_found(db: Db, add_record: AddRecord) -> None:
    add_record(CODE, phone=None, id_number=None)
    result = _lookup(db).lookup(CODE, PHONE, "conv-1", now=NOW)
    assert result.outcome is LookupOutcome.NOT_FOUND


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "empty"),
        ("000.00.12.H12-251301-0001", "impossible_date"),
        ("000.00.12.H12-250701-001", "bad_sequence"),
        ("hồ sơ của tôi", "invalid_characters"),
        ("x" * 10_240, "too_long"),
    ],
)
def test_malformed_codes_get_the_reason_and_are_not_counted(db: Db, code: str, reason: str) -> None:
    lookup = _lookup(db)
    for _ in range(8):
        result = lookup.lookup(code, PHONE, "conv-1", now=NOW)
        assert result.outcome is LookupOutcome.INVALID_CODE
        assert result.reason == reason
        assert result.record is None
    assert db.scalar("SELECT count(*) FROM lookup_failures") == 0


@pytest.mark.parametrize("digits", ["", "123", "12345", "abcd", "12 3", "1" * 10_240, "١٢٣٤"])
def test_bad_second_factor_is_asked_again_and_not_counted(
    db: Db, add_record: AddRecord, digits: str
) -> None:
    add_record(CODE)
    result = _lookup(db).lookup(CODE, digits, "conv-1", now=NOW)
    assert result.outcome is LookupOutcome.INVALID_DIGITS
    assert db.scalar("SELECT count(*) FROM lookup_failures") == 0


def test_normalise_digits() -> None:
    assert normalise_digits(" 12 34 ") == "1234"
    assert normalise_digits("１２３４") == "1234"
    assert normalise_digits("12-34") is None
    assert normalise_digits("x" * 100) is None


def test_brute_force_on_one_code_locks_it_even_for_the_right_digits(
    db: Db, add_record: AddRecord
) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for attempt in range(5):  # each from a new conversation: only the code is counted 5 times
        wrong = f"{attempt:04d}"
        assert lookup.lookup(CODE, wrong, f"attacker-{attempt}", now=NOW).outcome is (
            LookupOutcome.NOT_FOUND
        )
    later = NOW + timedelta(minutes=10)
    with pytest.raises(LookupRefused) as refused:
        lookup.lookup(CODE, PHONE, "the-real-applicant", now=later)
    assert refused.value.retry_after_seconds == 3600 - 600
    # Other codes are not affected for other conversations.
    other = lookup.lookup("000.00.12.H12-250701-0002", PHONE, "someone-else", now=later)
    assert other.outcome is LookupOutcome.NOT_FOUND
    # Once the window has passed, the right digits work again.
    after = NOW + timedelta(seconds=3600)
    assert lookup.lookup(CODE, PHONE, "the-real-applicant", now=after).found


def test_enumeration_from_one_conversation_is_locked(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for sequence in range(2, 7):
        probe = f"000.00.12.H12-250701-{sequence:04d}"
        assert lookup.lookup(probe, "1234", "prober", now=NOW).outcome is LookupOutcome.NOT_FOUND
    with pytest.raises(LookupRefused):
        lookup.lookup(CODE, PHONE, "prober", now=NOW + timedelta(seconds=1))
    with pytest.raises(LookupRefused):
        lookup.lookup("000.00.12.H12-250701-0099", "1234", "prober", now=NOW)
    # A different conversation is not locked, and the existing record was never revealed.
    assert lookup.lookup(CODE, PHONE, "honest", now=NOW).found


def test_refused_attempts_are_not_counted_so_the_lock_ends(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for _ in range(5):
        lookup.lookup(CODE, "0000", "c", now=NOW)
    for minute in range(1, 30):
        with pytest.raises(LookupRefused):
            lookup.lookup(CODE, "0000", "c", now=NOW + timedelta(minutes=minute))
    assert lookup.lookup(CODE, PHONE, "c", now=NOW + timedelta(hours=1)).found


def test_rate_limit_is_shared_by_two_replicas(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    replica_a = _lookup(db, db.replica())
    replica_b = _lookup(db, db.replica())
    for attempt in range(5):
        replica = replica_a if attempt % 2 == 0 else replica_b
        assert replica.lookup(CODE, "0000", f"c{attempt}", now=NOW).outcome is (
            LookupOutcome.NOT_FOUND
        )
    for replica in (replica_a, replica_b):
        with pytest.raises(LookupRefused):
            replica.lookup(CODE, PHONE, "new", now=NOW + timedelta(seconds=5))


def test_conversation_limit_is_shared_by_two_replicas(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    replica_a = _lookup(db, db.replica())
    replica_b = _lookup(db, db.replica())
    for sequence in range(2, 7):
        replica = replica_a if sequence % 2 else replica_b
        replica.lookup(f"000.00.12.H12-250701-{sequence:04d}", "1234", "prober", now=NOW)
    with pytest.raises(LookupRefused):
        replica_a.lookup(CODE, PHONE, "prober", now=NOW)
    with pytest.raises(LookupRefused):
        replica_b.lookup(CODE, PHONE, "prober", now=NOW)


def test_limits_come_from_settings(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db, lookup_max_failures=2, lookup_window_seconds=60)
    lookup.lookup(CODE, "0000", "a", now=NOW)
    lookup.lookup(CODE, "0001", "b", now=NOW)
    with pytest.raises(LookupRefused) as refused:
        lookup.lookup(CODE, PHONE, "c", now=NOW)
    assert refused.value.retry_after_seconds == 60
    assert lookup.lookup(CODE, PHONE, "c", now=NOW + timedelta(seconds=60)).found


def test_old_failures_are_forgotten(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    lookup.lookup(CODE, "0000", "a", now=NOW)
    lookup.lookup(CODE, "0000", "a", now=NOW + timedelta(hours=2))
    # Only the new failure's two keys remain; the hour-old ones were pruned.
    assert db.scalar("SELECT count(*) FROM lookup_failures") == 2
    assert db.scalar("SELECT count(DISTINCT key_hash) FROM lookup_failures") == 2


def test_failure_keys_are_hashes(db: Db) -> None:
    _lookup(db).lookup(CODE, "0000", "telegram:123456789", now=NOW)
    keys = [row[0] for row in db.rows("SELECT key_hash FROM lookup_failures")]
    assert len(keys) == 2
    for key in keys:
        assert len(key) == 64 and CODE not in key and "123456789" not in key


def test_logs_hold_nothing_personal(
    db: Db, add_record: AddRecord, caplog: pytest.LogCaptureFixture
) -> None:
    add_record(CODE)
    caplog.set_level(logging.DEBUG, logger="store")
    lookup = _lookup(db)
    lookup.lookup(CODE, PHONE, "telegram:123456789", now=NOW)
    lookup.lookup(CODE, "9876", "telegram:123456789", now=NOW)
    lookup.lookup("000.00.12.H12-251301-0001", "9876", "telegram:123456789", now=NOW)
    text = caplog.text
    assert "record lookup" in text
    for personal in (PHONE, "9876", CODE, "250701", "123456789"):
        assert personal not in text


def test_unreachable_store_is_reported(settings_for: Callable[..., Any]) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=1"
    engine = make_engine(url)
    try:
        lookup = RecordLookup(make_session_factory(engine), settings_for(url))
        with pytest.raises(StoreUnavailable):
            lookup.lookup(CODE, PHONE, "conv-1", now=NOW)
    finally:
        engine.dispose()


def test_naive_now_and_missing_conversation_are_programming_errors(db: Db) -> None:
    lookup = _lookup(db)
    with pytest.raises(ValueError):
        lookup.lookup(CODE, PHONE, "", now=NOW)
    with pytest.raises(ValueError):
        lookup.lookup(CODE, PHONE, "c", now=NOW.replace(tzinfo=None))


def test_concurrent_attempts_on_two_replicas_never_exceed_the_limit(
    db: Db, add_record: AddRecord
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    add_record(CODE)
    replicas = [_lookup(db, db.replica()), _lookup(db, db.replica())]

    def attempt(i: int) -> str:
        try:
            return replicas[i % 2].lookup(CODE, f"{i:04d}", f"c{i}", now=NOW).outcome.value
        except LookupRefused:
            return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(1, 17)))
    assert outcomes.count("not_found") == 5
    assert outcomes.count("refused") == 11
