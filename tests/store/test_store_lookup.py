"""Status lookups: answers, the second factor (4 or 8 digits), neutral failures.

The limits on failed lookups are tested in ``test_store_lookup_limits.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

import store.lookup as lookup_module
from helpdesk.errors import StoreUnavailable
from store.db import make_engine, make_session_factory
from store.hashing import verification_hash
from store.lookup import Factor, RecordLookup, normalise_digits, parse_factor
from store.models import Record
from store.outcomes import LookupOutcome, LookupResult, RecordAnswer
from store.replies import result_text
from store.status import DeadlineClass, RecordStatus

if TYPE_CHECKING:
    from conftest import Db

NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # the conftest's reference time

CODE = "000.00.12.H12-250701-0001"
PHONE, ID4 = "5678", "2345"
AddRecord = Callable[..., Record]


def _said(result: LookupResult, lang: str) -> str:
    """What the citizen reads for ``result`` (the default hotline and hours)."""
    return result_text(result, lang, "1800 1096", "7:30–17:00")


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
        assert "Đang xử lý" in _said(result, "vi")


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
    assert "Giấy chứng sinh" in _said(result, "vi")
    for secret_bit in (PHONE, ID4, "hash", "Phường An Xuyên, Tỉnh Cà Mau"):
        assert secret_bit not in payload
        assert secret_bit not in _said(result, "vi")


def test_missing_documents_shown_only_while_waiting_for_them(db: Db, add_record: AddRecord) -> None:
    add_record(CODE, status=RecordStatus.PROCESSING, missing_documents=["Giấy chứng sinh"])
    result = _lookup(db).lookup(CODE, PHONE, "conv-1", now=NOW)
    assert result.record is not None and result.record.missing_documents == ()


def test_overdue_record_says_so_and_names_the_hotline(db: Db, add_record: AddRecord) -> None:
    add_record(CODE, due_at=NOW - timedelta(days=2))
    result = _lookup(db).lookup(CODE, PHONE, "conv-1", now=NOW)
    assert result.record is not None
    assert result.record.overdue and result.record.deadline is DeadlineClass.OVERDUE
    assert "quá hạn" in _said(result, "vi") and "1800 1096" in _said(result, "vi")
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


def test_both_factors_open_the_record_in_either_order(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for digits in (
        f"{PHONE} {ID4}",
        f"{ID4} {PHONE}",
        f"{PHONE}.{ID4}",
        f"{ID4}-{PHONE}",
        f"{PHONE}{ID4}",
        Factor((ID4, PHONE)),
    ):
        result = lookup.lookup(CODE, digits, "conv-1", source="src-1", now=NOW)
        assert result.found, digits
        assert result.record is not None and result.record.code == CODE


@pytest.mark.parametrize(
    "digits",
    [f"{PHONE} 0000", f"0000 {ID4}", f"{PHONE} {PHONE}", f"{ID4} {ID4}", "2356 4578"],
)
def test_both_factors_must_both_match(db: Db, add_record: AddRecord, digits: str) -> None:
    add_record(CODE)
    result = _lookup(db).lookup(CODE, digits, "conv-1", now=NOW)
    assert result.outcome is LookupOutcome.NOT_FOUND
    assert db.scalar("SELECT count(*) FROM lookup_failures") == 3  # counted like any failure


@pytest.mark.parametrize(("phone", "id_number"), [(PHONE, None), (None, ID4)])
def test_record_lacking_one_factor_cannot_be_opened_with_both(
    db: Db, add_record: AddRecord, phone: str | None, id_number: str | None
) -> None:
    add_record(CODE, phone=phone, id_number=id_number)
    lookup = _lookup(db)
    both = lookup.lookup(CODE, f"{PHONE} {ID4}", "conv-1", now=NOW)
    unknown = lookup.lookup("000.00.12.H12-250701-0002", f"{PHONE} {ID4}", "conv-2", now=NOW)
    assert both.outcome is LookupOutcome.NOT_FOUND
    assert both == unknown  # nothing tells that the record exists but lacks a factor
    assert "1800 1096" in _said(both, "vi") and "1800 1096" in _said(both, "en")
    # The factor it has still opens it alone.
    assert lookup.lookup(CODE, phone or id_number or "", "conv-3", now=NOW).found


def test_unknown_code_and_wrong_digits_get_the_same_answer_with_both_factors(
    db: Db, add_record: AddRecord
) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    wrong_digits = lookup.lookup(CODE, "0000 1111", "conv-1", now=NOW)
    unknown_code = lookup.lookup("000.00.12.H12-250701-0002", f"{PHONE} {ID4}", "conv-2", now=NOW)
    assert wrong_digits.outcome is LookupOutcome.NOT_FOUND
    assert wrong_digits.to_dict() == unknown_code.to_dict()
    assert "8 chữ số" in _said(wrong_digits, "vi") and "8 digits" in _said(wrong_digits, "en")


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

    calls.clear()
    lookup.lookup(CODE, "0000 1111", "conv-3", now=NOW)
    known = list(calls)
    calls.clear()
    lookup.lookup("000.00.12.H12-250701-0009", "0000 1111", "conv-4", now=NOW)
    assert calls == known == ["hmac", "hmac", *["compare"] * 4]


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


@pytest.mark.parametrize(
    "digits",
    [
        "",
        "123",
        "12345",
        "1234567",
        "123456789",
        "0912 345 678",
        "abcd",
        "12 3",
        "12/34",
        "1234, 5678",
        "1" * 10_240,
        "١٢٣٤",
    ],
)
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
    assert normalise_digits("12-34") == "1234"
    for both in ("1234 5678", "1234.5678", "1234-5678", "1234 – 5678", "12345678", " 12 34 56 78 "):
        assert normalise_digits(both) == "1234 5678", both
    # What it returns is accepted again as it is: the action server keeps it in a slot.
    assert normalise_digits(normalise_digits("1234.5678") or "") == "1234 5678"
    for bad in ("x" * 100, "123", "12345", "1234 567", "1234 5678 9", "1234/5678", "١٢٣٤"):
        assert normalise_digits(bad) is None, bad


def test_parse_factor() -> None:
    one = parse_factor("12 34")
    assert one is not None and one.groups == ("1234",) and not one.both
    two = parse_factor("5678-1234")
    assert two is not None and two.groups == ("5678", "1234") and two.both
    assert str(two) == "5678 1234"
    assert "5678" not in repr(two) and "1234" not in repr(two)  # never in a log line
    assert parse_factor(None) is None  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Factor(("12a4",))
    with pytest.raises(ValueError):
        Factor(("1234", "5678", "9012"))  # type: ignore[arg-type]


def test_failure_keys_are_hashes(db: Db) -> None:
    lookup = _lookup(db)
    lookup.lookup(CODE, "0000", "telegram:123456789", now=NOW)
    lookup.lookup(CODE, "0000 1111", "web-abcdefgh", source="client-203.0.113.7", now=NOW)
    rows = db.rows("SELECT key_hash FROM lookup_failures")
    keys = [row[0] for row in rows]
    # Each failure counts against the code with its asker, the asker, and the code.
    assert len(keys) == 6 and len(set(keys)) == 5
    secret = db.settings.secret_key.get_secret_value()
    for key in keys:
        assert len(key) == 64 and int(key, 16) >= 0
        for revealing in (CODE, "250701", "123456789", "203.0.113.7", "0000", "1111"):
            assert revealing not in key
        assert key != verification_hash(secret, CODE, "0000")


def test_logs_hold_nothing_personal(
    db: Db, add_record: AddRecord, caplog: pytest.LogCaptureFixture
) -> None:
    add_record(CODE)
    caplog.set_level(logging.DEBUG, logger="store")
    lookup = _lookup(db)
    lookup.lookup(CODE, PHONE, "telegram:123456789", now=NOW)
    lookup.lookup(CODE, "9876", "telegram:123456789", now=NOW)
    lookup.lookup(CODE, f"{PHONE} {ID4}", "tg-1", source="tg-user-123456789", now=NOW)
    lookup.lookup(CODE, "9876 5432", "tg-1", source="tg-user-123456789", now=NOW)
    lookup.lookup("000.00.12.H12-251301-0001", "9876", "telegram:123456789", now=NOW)
    text = caplog.text
    assert "record lookup" in text
    for personal in (PHONE, ID4, "9876", "5432", CODE, "250701", "123456789"):
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


def test_a_found_record_names_its_procedure(db: Db, add_record: AddRecord) -> None:
    record = add_record(CODE)
    result = _lookup(db).lookup(CODE, PHONE, "conv-1", now=NOW)
    vi = result_text(result, "vi", "1800 1096", "7:30–17:00", "Đăng ký khai sinh")
    en = result_text(result, "en", "1800 1096", "7:30–17:00", "Birth registration")
    assert f"thủ tục “Đăng ký khai sinh”, mã {record.procedure_code}" in vi
    assert f"“Birth registration”, procedure {record.procedure_code}" in en
    # without a name (the catalogue cannot say it now) the code alone is given
    assert f"thủ tục {record.procedure_code}" in _said(result, "vi")
    # every line of the English answer is English: status, dates, what happens next
    assert "- Status: Processing." in en and "- Received on: 01 Jul 2025." in en
