"""``helpdesk users …`` through typer's CliRunner, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from typer.testing import CliRunner

from helpdesk.settings import get_settings
from helpdesk_cli.cli import app
from store import accounts
from store.accounts import verify_password
from store.signin import SignInOutcome, StaffSignIn

if TYPE_CHECKING:
    from conftest import Db

runner = CliRunner()
PASSWORD = "mật khẩu quản trị 2026"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture
def cli_db(db: Db, monkeypatch: pytest.MonkeyPatch) -> Iterator[Db]:
    """The commands read settings from the environment, as in production."""
    monkeypatch.setenv("HELPDESK_DATABASE_URL", db.url)
    monkeypatch.setenv("HELPDESK_SECRET_KEY", db.settings.secret_key.get_secret_value())
    monkeypatch.setenv("HELPDESK_ENVIRONMENT", "test")
    monkeypatch.setenv("HELPDESK_STAFF_PASSWORD_MIN_CHARS", "14")
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def _users(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["users", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _audit(db: Db) -> list[tuple[str, str, str | None]]:
    return [tuple(r) for r in db.rows("SELECT actor, action, subject FROM audit_log ORDER BY id")]


def test_the_first_admin_with_a_hidden_prompt_typed_twice(cli_db: Db) -> None:
    code, out, err = _users("create", "Admin", "--role", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, err
    assert "Created admin account 'admin'" in out
    assert PASSWORD not in out  # the prompt does not echo
    stored = cli_db.scalar("SELECT password_hash FROM staff_users WHERE username = 'admin'")
    assert verify_password(stored, PASSWORD)
    assert cli_db.scalar("SELECT role FROM staff_users") == "admin"
    assert _audit(cli_db) == [("cli", "user_create", "user:admin")]
    result = StaffSignIn(cli_db.sessions, cli_db.settings).sign_in("admin", PASSWORD)
    assert result.outcome is SignInOutcome.SIGNED_IN


def test_a_prompt_whose_two_entries_differ_asks_again(cli_db: Db) -> None:
    typed = f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n"
    code, out, err = _users("create", "lan", "--role", "staff", stdin=typed)
    assert code == 0, err
    assert "do not match" in out + err
    stored = cli_db.scalar("SELECT password_hash FROM staff_users")
    assert verify_password(stored, PASSWORD)


def test_password_from_stdin_and_the_minimum_length(cli_db: Db) -> None:
    code, _, err = _users("create", "lan", "--role", "staff", "--password-stdin", stdin="short\n")
    assert code == 2 and "at least 14 characters" in err
    code, _, err = _users("create", "lan", "--role", "staff", "--password-stdin", stdin="")
    assert code == 2 and "at least 14 characters" in err  # never a default password
    assert cli_db.scalar("SELECT count(*) FROM staff_users") == 0
    code, out, err = _users("create", "lan", "--role", "staff", "--password-stdin", stdin=PASSWORD)
    assert code == 0, err
    assert "Created staff account 'lan'" in out


def test_a_role_is_required_and_checked(cli_db: Db) -> None:
    code, _, err = _users("create", "lan", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and "--role" in err
    code, _, err = _users("create", "lan", "--role", "root", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and "root" in err
    assert cli_db.scalar("SELECT count(*) FROM staff_users") == 0


def test_bad_or_taken_usernames(cli_db: Db) -> None:
    code, _, err = _users(
        "create", "Lan Anh", "--role", "staff", "--password-stdin", stdin=PASSWORD
    )
    assert code == 2 and "username" in err
    code, _, err = _users("create", "cli", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and "reserved" in err
    assert _users("create", "lan", "--role", "staff", "--password-stdin", stdin=PASSWORD)[0] == 0
    code, _, err = _users("create", "LAN", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and "already taken" in err
    assert cli_db.scalar("SELECT role FROM staff_users") == "staff"


def test_disable_and_reset_password(cli_db: Db) -> None:
    _users("create", "lan", "--role", "staff", "--password-stdin", stdin=PASSWORD)
    sign_in = StaffSignIn(cli_db.sessions, cli_db.settings)
    assert sign_in.sign_in("lan", PASSWORD).token

    new = "một mật khẩu mới dài"
    code, out, err = _users("reset-password", "lan", stdin=f"{new}\n{new}\n")
    assert code == 0, err
    assert "New password set for 'lan'" in out
    assert cli_db.scalar("SELECT count(*) FROM staff_sessions") == 0
    assert sign_in.sign_in("lan", PASSWORD).outcome is SignInOutcome.REFUSED
    assert sign_in.sign_in("lan", new).outcome is SignInOutcome.SIGNED_IN
    code, _, err = _users("reset-password", "lan", "--password-stdin", stdin="too short")
    assert code == 2 and "at least 14" in err

    code, out, err = _users("disable", "lan")
    assert code == 0, err
    assert "Disabled account 'lan'" in out
    assert cli_db.scalar("SELECT count(*) FROM staff_sessions") == 0
    assert sign_in.sign_in("lan", new).outcome is SignInOutcome.REFUSED

    code, out, _ = _users("list")
    assert code == 0 and out.split() == ["lan", "staff", "disabled"]

    assert _users("disable", "nobody")[0] == 1
    assert _users("reset-password", "nobody", "--password-stdin", stdin=PASSWORD)[0] == 1
    assert _audit(cli_db) == [
        ("cli", "user_create", "user:lan"),
        ("lan", "sign_in", "user:lan"),
        ("cli", "user_reset_password", "user:lan"),
        ("lan", "sign_in_failed", "user:lan"),
        ("lan", "sign_in", "user:lan"),
        ("cli", "user_disable", "user:lan"),
        ("lan", "sign_in_failed", "user:lan"),
    ]


def test_unreachable_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("HELPDESK_ENVIRONMENT", "test")
    monkeypatch.setenv("HELPDESK_SECRET_KEY", "x" * 40)
    get_settings.cache_clear()
    try:
        code, _, err = _users("disable", "lan")
    finally:
        get_settings.cache_clear()
    assert code == 4 and "unavailable" in err
