"""Limits on failed lookups: who can be locked out, by whom; shared by every replica.

Defaults (conftest settings): 5 failures per (code, asker) and 10 per asker within an hour;
20 failures per code from everybody within a day put the code in the guarded state.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from helpdesk.errors import LookupRefused, RefusalScope
from store.lookup import RecordLookup
from store.models import Record
from store.outcomes import LookupOutcome, LookupResult
from store.replies import refused_text, result_text

if TYPE_CHECKING:
    from conftest import Db

NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # the conftest's reference time

CODE = "000.00.12.H12-250701-0001"
UNKNOWN = "000.00.12.H12-250701-0002"
PHONE, ID4 = "5678", "2345"
BOTH, BOTH_SWAPPED = f"{PHONE} {ID4}", f"{ID4} {PHONE}"
AddRecord = Callable[..., Record]


def _said(result: LookupResult, lang: str) -> str:
    """What the citizen reads for ``result`` (the default hotline and hours)."""
    return result_text(result, lang, "1800 1096", "7:30–17:00")


def refused_texts(
    seconds: int, hotline: str, scope: RefusalScope = "code_source"
) -> tuple[str, str]:
    return refused_text(seconds, scope, "vi", hotline), refused_text(seconds, scope, "en", hotline)


def _lookup(db: Db, sessions: Any = None, **overrides: Any) -> RecordLookup:
    settings = db.settings.model_copy(update=overrides) if overrides else db.settings
    return RecordLookup(sessions or db.sessions, settings)


def _wrong(n: int) -> str:
    """A wrong 4-digit answer for the test record (never 5678 or 2345)."""
    return f"{9000 + n:04d}"


def _refusal(lookup: RecordLookup, *args: Any, **kwargs: Any) -> LookupRefused:
    with pytest.raises(LookupRefused) as refused:
        lookup.lookup(*args, **kwargs)
    return refused.value


def _guard(lookup: RecordLookup, code: str, sources: range = range(20)) -> None:
    """A distributed guess: one wrong answer from each of ``sources`` askers."""
    for n in sources:
        result = lookup.lookup(code, _wrong(n), f"conv-{n}", source=f"bot-{n}", now=NOW)
        assert result.outcome is LookupOutcome.NOT_FOUND


# --- one asker guessing one code ------------------------------------------------------------


def test_stranger_is_refused_but_the_owner_is_not_locked_out(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for n in range(5):  # a new conversation each time: the source is what counts
        result = lookup.lookup(CODE, _wrong(n), f"stranger-conv-{n}", source="stranger", now=NOW)
        assert result.outcome is LookupOutcome.NOT_FOUND
    later = NOW + timedelta(minutes=10)
    refused = _refusal(lookup, CODE, PHONE, "stranger-conv-new", source="stranger", now=later)
    assert refused.scope == "code_source"
    assert refused.retry_after_seconds == 3600 - 600
    # The owner, asking from elsewhere, gets in with the usual 4 digits.
    owner = lookup.lookup(CODE, PHONE, "owner-conv", source="owner", now=later)
    assert owner.found
    # The stranger is refused for that code only.
    other = lookup.lookup(UNKNOWN, PHONE, "stranger-conv-new", source="stranger", now=later)
    assert other.outcome is LookupOutcome.NOT_FOUND
    # Once the hour has passed, the stranger may try that code again.
    after = NOW + timedelta(seconds=3600)
    assert lookup.lookup(CODE, PHONE, "stranger-conv-new", source="stranger", now=after).found


def test_without_a_source_the_conversation_stands_in(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for n in range(5):
        lookup.lookup(CODE, _wrong(n), "conv-a", now=NOW)
    assert _refusal(lookup, CODE, PHONE, "conv-a", now=NOW).scope == "code_source"
    assert lookup.lookup(CODE, PHONE, "conv-b", now=NOW).found
    # A source named like a conversation id is another asker.
    assert lookup.lookup(CODE, PHONE, "conv-x", source="conv-a", now=NOW).found


def test_both_factor_failures_count_like_others(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for n in range(3):
        lookup.lookup(CODE, f"{_wrong(n)} {_wrong(n + 1)}", "c", source="s", now=NOW)
    for n in range(2):
        lookup.lookup(CODE, _wrong(n), "c", source="s", now=NOW)
    assert _refusal(lookup, CODE, BOTH, "c", source="s", now=NOW).scope == "code_source"
    assert _refusal(lookup, CODE, PHONE, "c", source="s", now=NOW).scope == "code_source"


def test_refused_attempts_are_not_counted_so_the_lock_ends(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for n in range(5):
        lookup.lookup(CODE, _wrong(n), "c", now=NOW)
    for minute in range(1, 30):
        refused = _refusal(lookup, CODE, _wrong(0), "c", now=NOW + timedelta(minutes=minute))
        assert refused.scope == "code_source"
    assert db.scalar("SELECT count(*) FROM lookup_failures") == 5 * 3
    assert lookup.lookup(CODE, PHONE, "c", now=NOW + timedelta(hours=1)).found


def test_one_source_alone_cannot_guard_a_code(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for n in range(40):
        try:
            lookup.lookup(CODE, _wrong(n), f"conv-{n}", source="stranger", now=NOW)
        except LookupRefused as exc:
            assert exc.scope == "code_source"
    assert lookup.lookup(CODE, PHONE, "owner", source="owner", now=NOW).found


# --- one asker enumerating codes ------------------------------------------------------------


def test_source_failing_over_many_codes_is_refused(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    for sequence in range(2, 12):  # 10 codes, one try each, each from a new conversation
        probe = f"000.00.12.H12-250701-{sequence:04d}"
        result = lookup.lookup(probe, "1234", f"conv-{sequence}", source="prober", now=NOW)
        assert result.outcome is LookupOutcome.NOT_FOUND
    later = NOW + timedelta(minutes=1)
    refused = _refusal(lookup, CODE, PHONE, "fresh-conv", source="prober", now=later)
    assert refused.scope == "source"
    assert refused.retry_after_seconds == 3600 - 60
    both = _refusal(lookup, CODE, BOTH, "fresh-conv", source="prober", now=later)
    assert both.scope == "source"
    # The existing record was never revealed, and other askers are not affected.
    assert lookup.lookup(CODE, PHONE, "honest", source="honest", now=later).found
    # Nine failures are not enough.
    for sequence in range(2, 11):
        lookup.lookup(f"000.00.12.H12-250701-{sequence:04d}", "1234", "c", source="nine", now=later)
    assert lookup.lookup(CODE, PHONE, "c", source="nine", now=later).found


# --- many askers guessing one code: the guarded state ---------------------------------------


def test_distributed_guess_guards_the_code_but_both_factors_still_work(
    db: Db, add_record: AddRecord
) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    _guard(lookup, CODE, range(19))
    assert lookup.lookup(CODE, PHONE, "owner-conv", source="owner-early", now=NOW).found
    _guard(lookup, CODE, range(19, 20))  # the 20th failure, from the 20th asker
    later = NOW + timedelta(hours=2)
    for digits in (PHONE, ID4):
        refused = _refusal(lookup, CODE, digits, "owner-conv", source="owner", now=later)
        assert refused.scope == "code_guarded"
        assert refused.retry_after_seconds == 86_400 - 2 * 3600
    for digits in (BOTH, BOTH_SWAPPED, f"{PHONE}.{ID4}", f"{ID4}-{PHONE}"):
        result = lookup.lookup(CODE, digits, "owner-conv", source="owner", now=later)
        assert result.found, digits
    # Wrong 8 digits are a failure like any other, never a way in.
    wrong = lookup.lookup(CODE, f"{PHONE} 0000", "x", source="newcomer", now=later)
    assert wrong.outcome is LookupOutcome.NOT_FOUND
    # Once the day has passed, 4 digits work again.
    assert lookup.lookup(
        CODE, PHONE, "owner-conv", source="owner", now=NOW + timedelta(days=1)
    ).found


def test_guarded_refusals_are_not_counted(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    _guard(lookup, CODE)
    rows = db.scalar("SELECT count(*) FROM lookup_failures")
    for _ in range(15):  # more than the asker's own limits
        assert _refusal(lookup, CODE, PHONE, "o", source="owner", now=NOW).scope == "code_guarded"
    assert db.scalar("SELECT count(*) FROM lookup_failures") == rows
    assert lookup.lookup(CODE, BOTH, "o", source="owner", now=NOW).found


def test_an_unknown_code_is_guarded_the_same_way(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(db)
    _guard(lookup, CODE)
    _guard(lookup, UNKNOWN)
    known = _refusal(lookup, CODE, PHONE, "c", source="s", now=NOW)
    unknown = _refusal(lookup, UNKNOWN, PHONE, "c", source="s", now=NOW)
    assert (known.scope, known.retry_after_seconds) == (unknown.scope, unknown.retry_after_seconds)
    assert str(known) == str(unknown)
    wrong = lookup.lookup(CODE, "0000 1111", "c", source="t", now=NOW)
    missing = lookup.lookup(UNKNOWN, BOTH, "c", source="t", now=NOW)
    assert wrong.to_dict() == missing.to_dict()


def test_guarded_record_lacking_a_factor_points_to_the_hotline(
    db: Db, add_record: AddRecord
) -> None:
    add_record(CODE, id_number=None)
    lookup = _lookup(db)
    _guard(lookup, CODE)
    refused = _refusal(lookup, CODE, PHONE, "o", source="owner", now=NOW)
    vi, en = refused_texts(refused.retry_after_seconds, "1800 1096", refused.scope)
    assert "1800 1096" in vi and "1800 1096" in en
    result = lookup.lookup(CODE, BOTH, "o", source="owner", now=NOW)
    assert result.outcome is LookupOutcome.NOT_FOUND
    assert "1800 1096" in _said(result, "vi") and "1800 1096" in _said(result, "en")


# --- settings, pruning, replicas, concurrency -----------------------------------------------


def test_limits_come_from_settings(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    lookup = _lookup(
        db,
        lookup_max_failures=2,
        lookup_max_source_failures=3,
        lookup_max_code_failures=4,
        lookup_window_seconds=60,
        lookup_code_window_seconds=120,
    )
    lookup.lookup(CODE, _wrong(0), "c", source="a", now=NOW)
    lookup.lookup(CODE, _wrong(1), "c", source="a", now=NOW)
    refused = _refusal(lookup, CODE, PHONE, "c", source="a", now=NOW)
    assert (refused.scope, refused.retry_after_seconds) == ("code_source", 60)
    lookup.lookup(UNKNOWN, _wrong(2), "c", source="a", now=NOW)
    refused = _refusal(lookup, UNKNOWN, PHONE, "c", source="a", now=NOW)
    assert (refused.scope, refused.retry_after_seconds) == ("source", 60)
    lookup.lookup(CODE, _wrong(3), "c", source="b", now=NOW)
    lookup.lookup(CODE, _wrong(4), "c", source="c", now=NOW)
    refused = _refusal(lookup, CODE, PHONE, "c", source="d", now=NOW)
    assert (refused.scope, refused.retry_after_seconds) == ("code_guarded", 120)
    assert lookup.lookup(CODE, PHONE, "c", source="a", now=NOW + timedelta(seconds=120)).found


def test_old_failures_are_forgotten(db: Db) -> None:
    lookup = _lookup(db)
    lookup.lookup(CODE, "0000", "a", now=NOW)
    lookup.lookup(CODE, "0000", "a", now=NOW + timedelta(hours=23))
    assert db.scalar("SELECT count(*) FROM lookup_failures") == 6
    # A day after the first failure its three rows are pruned as the third failure is stored.
    lookup.lookup(CODE, "0000", "a", now=NOW + timedelta(hours=24))
    assert db.scalar("SELECT count(*) FROM lookup_failures") == 6
    assert db.scalar("SELECT count(DISTINCT key_hash) FROM lookup_failures") == 3


def test_limits_are_shared_by_two_replicas(db: Db, add_record: AddRecord) -> None:
    add_record(CODE)
    replica_a = _lookup(db, db.replica())
    replica_b = _lookup(db, db.replica())
    for n in range(5):
        replica = replica_a if n % 2 == 0 else replica_b
        replica.lookup(CODE, _wrong(n), f"c{n}", source="stranger", now=NOW)
    for sequence in range(3, 13):
        replica = replica_a if sequence % 2 else replica_b
        replica.lookup(
            f"000.00.12.H12-250701-{sequence:04d}", "1234", "p", source="prober", now=NOW
        )
    for n in range(20):
        replica = replica_a if n % 2 else replica_b
        replica.lookup(UNKNOWN, _wrong(n), f"c{n}", source=f"bot-{n}", now=NOW)
    for replica in (replica_a, replica_b):
        assert _refusal(replica, CODE, PHONE, "x", source="stranger", now=NOW).scope == (
            "code_source"
        )
        assert _refusal(replica, CODE, PHONE, "x", source="prober", now=NOW).scope == "source"
        assert _refusal(replica, UNKNOWN, PHONE, "x", source="s", now=NOW).scope == "code_guarded"
        assert replica.lookup(CODE, PHONE, "x", source="owner", now=NOW).found


def _concurrently(lookup_one: Callable[[int], str], attempts: int) -> list[str]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lookup_one, range(attempts)))


def test_concurrent_attempts_from_one_source_never_exceed_its_limit(
    db: Db, add_record: AddRecord
) -> None:
    add_record(CODE)
    replicas = [_lookup(db, db.replica()), _lookup(db, db.replica())]

    def attempt(i: int) -> str:
        try:
            return replicas[i % 2].lookup(CODE, _wrong(i), f"c{i}", source="s", now=NOW).outcome
        except LookupRefused as exc:
            return exc.scope

    outcomes = _concurrently(attempt, 16)
    assert outcomes.count(LookupOutcome.NOT_FOUND) == 5
    assert outcomes.count("code_source") == 11


def test_concurrent_distributed_guess_never_exceeds_the_code_limit(
    db: Db, add_record: AddRecord
) -> None:
    add_record(CODE)
    replicas = [_lookup(db, db.replica()), _lookup(db, db.replica())]

    def attempt(i: int) -> str:
        try:
            return replicas[i % 2].lookup(CODE, _wrong(i), "c", source=f"bot-{i}", now=NOW).outcome
        except LookupRefused as exc:
            return exc.scope

    outcomes = _concurrently(attempt, 30)
    assert outcomes.count(LookupOutcome.NOT_FOUND) == 20
    assert outcomes.count("code_guarded") == 10


# --- what the refusal says -------------------------------------------------------------------


def test_refusal_keeps_its_old_construction() -> None:
    refused = LookupRefused(90)
    assert refused.retry_after_seconds == 90 and refused.scope == "code_source"
    assert LookupRefused(90, "source").scope == "source"


def test_refusal_texts_say_what_to_do() -> None:
    hotline = "1800 1096"
    for scope in ("code_source", "source"):
        vi, en = refused_texts(600, hotline, scope)
        assert "10 phút" in vi and "10 minutes" in en
        assert hotline in vi and hotline in en
    assert refused_texts(600, hotline) == refused_texts(600, hotline, "code_source")
    assert refused_texts(600, hotline, "code_source") != refused_texts(600, hotline, "source")
    assert "mã hồ sơ này" in refused_texts(600, hotline, "code_source")[0]
    vi, en = refused_texts(86_000, hotline, "code_guarded")
    assert "1234 5678" in vi and "1234 5678" in en
    assert "số điện thoại" in vi and "căn cước" in vi and hotline in vi
    assert "phone" in en and "ID number" in en and hotline in en
    vi, en = refused_texts(5 * 3600, hotline, "source")
    assert "5 giờ" in vi and "5 hours" in en
