"""Staff accounts, sign-in, sessions and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from helpdesk.errors import AccessReasonMissing, AccountError, AccountNotFound, RecordCodeInvalid
from store import accounts
from store.accounts import (
    create_account,
    disable_account,
    hash_password,
    list_accounts,
    reset_password,
    verify_password,
)
from store.audit import newest
from store.record_history import open_for_staff
from store.signin import SignInOutcome, StaffSignIn
from store.staff_sessions import resume, token_hash
from store.status import RecordStatus
from store.vocabulary import StaffRole

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import Db

    from store.models import Record

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "đúng-mật-khẩu-2026"
NOW = datetime(2025, 7, 3, 3, 0, tzinfo=UTC)  # the conftest's reference time


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its cheapest parameters: the same code, without 0.3 s per hash."""
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher.from_parameters(CHEAPEST))


def _audit(db: Db) -> list[tuple[str, str, str | None, str | None]]:
    """(actor, action, subject, reason) oldest first."""
    rows = db.rows("SELECT actor, action, subject, reason FROM audit_log ORDER BY id")
    return [tuple(row) for row in rows]


# --- passwords -----------------------------------------------------------------------------


def test_the_production_hasher_is_argon2id_with_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher())
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and "m=65536,t=3,p=4" in first
    assert first != second  # a salt of its own each time
    assert PASSWORD not in first
    assert verify_password(first, PASSWORD) and verify_password(second, PASSWORD)
    assert not verify_password(first, PASSWORD + " ")
    assert not verify_password(first, "")


def test_verification_without_a_hash_or_with_junk_never_matches() -> None:
    assert not verify_password(None, PASSWORD)
    assert not verify_password("not-a-hash", PASSWORD)
    assert not verify_password(hash_password(PASSWORD), PASSWORD * 100)  # over the length cap


def test_password_and_username_rules(db: Db) -> None:
    settings = db.settings.model_copy(update={"staff_password_min_chars": 12})
    with pytest.raises(AccountError, match="at least 12"):
        create_account(db.sessions, settings, "lan", StaffRole.STAFF, "short")
    with pytest.raises(AccountError, match="only spaces"):
        create_account(db.sessions, settings, "lan", StaffRole.STAFF, " " * 12)
    for bad in ("a", "Lan Anh", "-lan", "lan/../x", "x" * 33, "trần"):
        with pytest.raises(AccountError, match="username"):
            create_account(db.sessions, settings, bad, StaffRole.STAFF, PASSWORD)
    with pytest.raises(AccountError, match="reserved"):
        create_account(db.sessions, settings, "CLI", StaffRole.ADMIN, PASSWORD)
    assert db.scalar("SELECT count(*) FROM staff_users") == 0
    assert db.scalar("SELECT count(*) FROM audit_log") == 0


# --- accounts --------------------------------------------------------------------------------


def test_create_disable_reset_each_write_an_audit_row(db: Db) -> None:
    made = create_account(db.sessions, db.settings, " Lan.Nguyen ", StaffRole.ADMIN, PASSWORD)
    assert (made.username, made.role, made.disabled) == ("lan.nguyen", StaffRole.ADMIN, False)
    stored = db.scalar("SELECT password_hash FROM staff_users WHERE username = 'lan.nguyen'")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(AccountError, match="already taken"):
        create_account(db.sessions, db.settings, "LAN.NGUYEN", StaffRole.STAFF, PASSWORD)

    reset_password(db.sessions, db.settings, "lan.nguyen", "một-mật-khẩu-mới")
    assert db.scalar("SELECT password_hash FROM staff_users") != stored
    disabled = disable_account(db.sessions, "lan.nguyen")
    assert disabled.disabled
    with pytest.raises(AccountNotFound):
        disable_account(db.sessions, "nobody")
    with pytest.raises(AccountNotFound):
        reset_password(db.sessions, db.settings, "nobody", PASSWORD)
    assert [a.username for a in list_accounts(db.sessions)] == ["lan.nguyen"]
    assert _audit(db) == [
        ("cli", "user_create", "user:lan.nguyen", "role admin"),
        ("cli", "user_reset_password", "user:lan.nguyen", None),
        ("cli", "user_disable", "user:lan.nguyen", None),
    ]
    everything = " ".join(str(v) for row in db.rows("SELECT * FROM audit_log") for v in row)
    assert PASSWORD not in everything and "một-mật-khẩu-mới" not in everything


# --- sign-in and lock-out -------------------------------------------------------------------


def test_sign_in_opens_a_session_stored_only_as_a_hash(db: Db) -> None:
    create_account(db.sessions, db.settings, "lan", StaffRole.STAFF, PASSWORD)
    result = StaffSignIn(db.sessions, db.settings).sign_in("LAN", PASSWORD, client="10.0.0.7")
    assert result.outcome is SignInOutcome.SIGNED_IN and result.token
    assert result.account is not None and result.account.username == "lan"
    assert db.scalar("SELECT token_hash FROM staff_sessions") == token_hash(result.token)
    assert (
        db.scalar("SELECT count(*) FROM staff_sessions WHERE token_hash = :t", t=result.token) == 0
    )
    assert _audit(db)[-1] == ("lan", "sign_in", "user:lan", None)
    assert db.scalar("SELECT client FROM audit_log ORDER BY id DESC LIMIT 1") == "10.0.0.7"


def test_unknown_user_wrong_password_and_disabled_account_get_one_answer(db: Db) -> None:
    create_account(db.sessions, db.settings, "lan", StaffRole.STAFF, PASSWORD)
    create_account(db.sessions, db.settings, "minh", StaffRole.STAFF, PASSWORD)
    disable_account(db.sessions, "minh")
    sign_in = StaffSignIn(db.sessions, db.settings)
    answers = [
        sign_in.sign_in("nobody", PASSWORD),
        sign_in.sign_in("lan", "wrong password!"),
        sign_in.sign_in("minh", PASSWORD),
    ]
    assert {(a.outcome, a.token, a.account) for a in answers} == {
        (SignInOutcome.REFUSED, None, None)
    }
    assert db.scalar("SELECT count(*) FROM staff_sessions") == 0
    # what was typed for an unknown username is not kept, not even as a subject
    assert [row[1:3] for row in _audit(db) if row[1] == "sign_in_failed"] == [
        ("sign_in_failed", "user:lan"),
        ("sign_in_failed", "user:minh"),
    ]
    assert "nobody" not in str(db.rows("SELECT * FROM audit_log"))
    assert "nobody" not in str(db.rows("SELECT * FROM sign_in_failures"))


@pytest.mark.parametrize("username", ["lan", "nobody-at-all"])
def test_lock_out_is_shared_by_replicas_and_hides_whether_the_user_exists(
    db: Db, username: str
) -> None:
    settings = db.settings.model_copy(
        update={"staff_signin_max_failures": 3, "staff_signin_window_seconds": 600}
    )
    create_account(db.sessions, settings, "lan", StaffRole.STAFF, PASSWORD)
    one, two = StaffSignIn(db.sessions, settings), StaffSignIn(db.replica(), settings)
    assert one.sign_in(username, "wrong-1", now=NOW).outcome is SignInOutcome.REFUSED
    assert two.sign_in(username, "wrong-2", now=NOW).outcome is SignInOutcome.REFUSED
    third = one.sign_in(username.upper(), "wrong-3", now=NOW + timedelta(seconds=60))
    assert third.outcome is SignInOutcome.LOCKED
    assert third.retry_after_seconds == 540  # until the first failure is 10 minutes old
    # locked on the other replica too, even with the right password
    locked = two.sign_in(username, PASSWORD, now=NOW + timedelta(seconds=120))
    assert (locked.outcome, locked.token) == (SignInOutcome.LOCKED, None)
    assert locked.retry_after_seconds == 480
    # another username is not affected
    assert two.sign_in("someone-else", "x", now=NOW).outcome is SignInOutcome.REFUSED
    # once the oldest failure leaves the window, one more attempt is allowed
    later = NOW + timedelta(seconds=601)
    expected = SignInOutcome.SIGNED_IN if username == "lan" else SignInOutcome.REFUSED
    assert two.sign_in(username, PASSWORD, now=later).outcome is expected


def test_a_successful_sign_in_clears_the_failures(db: Db) -> None:
    settings = db.settings.model_copy(update={"staff_signin_max_failures": 2})
    create_account(db.sessions, settings, "lan", StaffRole.STAFF, PASSWORD)
    sign_in = StaffSignIn(db.sessions, settings)
    assert sign_in.sign_in("lan", "wrong", now=NOW).outcome is SignInOutcome.REFUSED
    assert sign_in.sign_in("lan", PASSWORD, now=NOW).outcome is SignInOutcome.SIGNED_IN
    assert sign_in.sign_in("lan", "wrong", now=NOW).outcome is SignInOutcome.REFUSED


def test_a_password_reset_lifts_the_lock(db: Db) -> None:
    settings = db.settings.model_copy(update={"staff_signin_max_failures": 2})
    create_account(db.sessions, settings, "lan", StaffRole.STAFF, PASSWORD)
    sign_in = StaffSignIn(db.sessions, settings)
    sign_in.sign_in("lan", "wrong", now=NOW)
    assert sign_in.sign_in("lan", "wrong", now=NOW).outcome is SignInOutcome.LOCKED
    reset_password(db.sessions, settings, "lan", "mật-khẩu-mới-2026")
    assert sign_in.sign_in("lan", "mật-khẩu-mới-2026", now=NOW).outcome is SignInOutcome.SIGNED_IN


def test_an_outdated_hash_is_replaced_on_sign_in(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    create_account(db.sessions, db.settings, "lan", StaffRole.STAFF, PASSWORD)
    before = db.scalar("SELECT password_hash FROM staff_users")
    stronger = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", stronger)
    assert StaffSignIn(db.sessions, db.settings).sign_in("lan", PASSWORD).token
    after = db.scalar("SELECT password_hash FROM staff_users")
    assert after != before and "m=1024,t=2,p=1" in after


# --- sessions ----------------------------------------------------------------------------------


def _signed_in(db: Db, **limits: int) -> tuple[StaffSignIn, str]:
    settings = db.settings.model_copy(update=limits)
    create_account(db.sessions, settings, "lan", StaffRole.STAFF, PASSWORD)
    sign_in = StaffSignIn(db.sessions, settings)
    token = sign_in.sign_in("lan", PASSWORD, now=NOW).token
    assert token is not None
    return sign_in, token


def test_a_session_ends_when_idle(db: Db) -> None:
    sign_in, token = _signed_in(db, staff_session_idle_seconds=600)
    limits = sign_in.session_limits
    active = resume(db.sessions, token, limits, NOW + timedelta(seconds=590))
    assert active is not None and active.account.username == "lan"
    # each request moves the idle limit on
    assert resume(db.sessions, token, limits, NOW + timedelta(seconds=1180)) is not None
    assert resume(db.replica(), token, limits, NOW + timedelta(seconds=1770)) is not None
    assert resume(db.sessions, token, limits, NOW + timedelta(seconds=2400)) is None
    assert db.scalar("SELECT count(*) FROM staff_sessions") == 0  # the ended one is gone


def test_a_session_ends_at_its_absolute_limit_however_busy(db: Db) -> None:
    sign_in, token = _signed_in(db, staff_session_idle_seconds=600, staff_session_max_seconds=3600)
    limits = sign_in.session_limits
    for minutes in range(5, 60, 5):
        assert resume(db.sessions, token, limits, NOW + timedelta(minutes=minutes)) is not None
    assert resume(db.sessions, token, limits, NOW + timedelta(minutes=60)) is None


def test_sign_out_disable_and_reset_end_sessions(db: Db) -> None:
    sign_in, token = _signed_in(db)
    limits = sign_in.session_limits
    sign_in.sign_out(token, client="10.0.0.7", now=NOW)
    assert resume(db.sessions, token, limits, NOW) is None
    assert _audit(db)[-1] == ("lan", "sign_out", "user:lan", None)

    token = sign_in.sign_in("lan", PASSWORD, now=NOW).token
    assert token and resume(db.sessions, token, limits, NOW) is not None
    reset_password(db.sessions, db.settings, "lan", "mật-khẩu-mới-2026")
    assert resume(db.sessions, token, limits, NOW) is None

    token = sign_in.sign_in("lan", "mật-khẩu-mới-2026", now=NOW).token
    assert token and resume(db.sessions, token, limits, NOW) is not None
    disable_account(db.sessions, "lan")
    assert resume(db.sessions, token, limits, NOW) is None
    assert sign_in.sign_in("lan", "mật-khẩu-mới-2026", now=NOW).outcome is SignInOutcome.REFUSED


def test_tokens_that_are_not_a_session_are_refused(db: Db) -> None:
    sign_in, token = _signed_in(db)
    limits = sign_in.session_limits
    for junk in ("", "x", token_hash(token), token[:-1] + ("A" if token[-1] != "A" else "B")):
        assert resume(db.sessions, junk, limits, NOW) is None


# --- the audit log ----------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_audit_rows(db: Db) -> None:
    create_account(db.sessions, db.settings, "lan", StaffRole.STAFF, PASSWORD)
    for statement in (
        "UPDATE audit_log SET reason = 'rewritten'",
        "UPDATE audit_log SET actor = 'someone' WHERE id = 1",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert _audit(db) == [("cli", "user_create", "user:lan", "role staff")]


def _calls_on_audit_rows(path: Path) -> list[str]:
    """update()/delete() or session.delete() calls that name AuditEntry or audit_log."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if name in {"update", "delete"} and "AuditEntry" in ast.unparse(node):
            found.append(f"{path.name}: {ast.unparse(node)}")
    source = path.read_text(encoding="utf-8").lower()
    for words in ("update audit_log", "delete from audit_log"):
        if words in source and "migrations" not in path.parts:
            found.append(f"{path.name}: {words}")
    return found


def test_no_code_updates_or_deletes_audit_rows() -> None:
    packages = ("store", "connectors", "helpdesk", "helpdesk_cli", "actions")
    offenders = [
        hit
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        for hit in _calls_on_audit_rows(path)
    ]
    assert offenders == []


def test_the_audit_log_reads_newest_first_a_page_at_a_time(db: Db) -> None:
    for n in range(7):
        create_account(db.sessions, db.settings, f"user{n}", StaffRole.STAFF, PASSWORD)
    first = newest(db.sessions, limit=3)
    assert [e.subject for e in first.events] == ["user:user6", "user:user5", "user:user4"]
    second = newest(db.sessions, before=first.older, limit=3)
    assert [e.subject for e in second.events] == ["user:user3", "user:user2", "user:user1"]
    last = newest(db.sessions, before=second.older, limit=3)
    assert [e.subject for e in last.events] == ["user:user0"] and last.older is None


# --- a record for staff -----------------------------------------------------------------------


def test_staff_see_the_whole_history_and_every_access_is_audited(
    db: Db, add_record: Callable[..., Record]
) -> None:
    add_record(status=RecordStatus.RECEIVED, received_at=NOW - timedelta(days=3))
    with db.sessions.begin() as session:
        from store.models import Record as RecordRow
        from store.models import RecordStatusEvent

        record = session.query(RecordRow).one()
        record.status = RecordStatus.WAITING_SUPPLEMENT.value
        record.missing_documents = ["Bản sao giấy khai sinh"]
        session.add(
            RecordStatusEvent(
                record_id=record.id,
                status=RecordStatus.WAITING_SUPPLEMENT.value,
                at=NOW - timedelta(days=1),
                note="Thiếu giấy khai sinh",
            )
        )
    code, history = open_for_staff(
        db.sessions,
        "000.00.12.h12 250701 0001",
        actor="lan",
        reason="  người nộp hỏi   tại quầy ",
        client="10.0.0.7",
        now=NOW,
    )
    assert code == "000.00.12.H12-250701-0001"
    assert history is not None and history.status is RecordStatus.WAITING_SUPPLEMENT
    assert [s.status for s in history.steps] == [
        RecordStatus.RECEIVED,
        RecordStatus.WAITING_SUPPLEMENT,
    ]
    assert history.steps[-1].note == "Thiếu giấy khai sinh"
    assert history.missing_documents == ("Bản sao giấy khai sinh",)
    assert not hasattr(history, "phone_hash") and not hasattr(history, "id_hash")

    missing_code, missing = open_for_staff(
        db.sessions, "000.00.12.H12-250701-0999", actor="lan", reason="gọi điện hỏi", now=NOW
    )
    assert missing is None
    record_id = db.scalar("SELECT id FROM records WHERE code = :c", c=code)
    assert _audit(db) == [
        ("lan", "record_view", f"record:#{record_id}", "người nộp hỏi tại quầy"),
        ("lan", "record_not_found", "record:…-0999", "gọi điện hỏi"),
    ]
    assert missing_code not in str(db.rows("SELECT * FROM audit_log"))
    assert db.scalar("SELECT client FROM audit_log ORDER BY id LIMIT 1") == "10.0.0.7"


def test_no_history_without_a_reason_or_a_valid_code(
    db: Db, add_record: Callable[..., Record]
) -> None:
    add_record()
    for reason in ("", "   ", "ab", "x" * 301):
        with pytest.raises(AccessReasonMissing):
            open_for_staff(db.sessions, "000.00.12.H12-250701-0001", actor="lan", reason=reason)
    with pytest.raises(RecordCodeInvalid):
        open_for_staff(db.sessions, "???", actor="lan", reason="người nộp hỏi")
    assert db.scalar("SELECT count(*) FROM audit_log") == 0
