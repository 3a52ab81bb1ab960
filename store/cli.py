"""``helpdesk records …``: migrate, seed demo data, import an export, look a record up;
``helpdesk users …``: staff accounts for the staff pages (each change in the audit log)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from store.vocabulary import StaffRole

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from helpdesk.settings import Settings

EXIT_NOT_FOUND = 1
EXIT_INVALID = 2
EXIT_REFUSED = 3
EXIT_UNAVAILABLE = 4

records_app = typer.Typer(
    help="Application records (hồ sơ): status lookups, demo data, imports from one-stop systems.",
    no_args_is_help=True,
    add_completion=False,
)


def _open() -> tuple[Settings, Engine, sessionmaker[Session]]:
    from helpdesk.settings import get_settings
    from store.db import make_engine, make_session_factory

    settings = get_settings()
    engine = make_engine(settings.database_url)
    return settings, engine, make_session_factory(engine)


def _unavailable(exc: Exception) -> typer.Exit:
    typer.echo(f"The record store is unavailable: {exc}", err=True)
    typer.echo("(A new store needs `helpdesk records migrate` first.)", err=True)
    return typer.Exit(EXIT_UNAVAILABLE)


@records_app.command("migrate")
def migrate_command() -> None:
    """Create or upgrade the record store's tables (Alembic migrations to head)."""
    from helpdesk.errors import StoreUnavailable
    from store.db import current_revision, migrate

    _, engine, _ = _open()
    try:
        migrate(engine)
        typer.echo(f"Record store at revision {current_revision(engine)}.")
    except StoreUnavailable as exc:
        raise _unavailable(exc) from exc
    finally:
        engine.dispose()


@records_app.command("seed-demo")
def seed_demo_command() -> None:
    """Replace the demo records (every status, some overdue) and print a few to try."""
    from helpdesk.errors import StoreUnavailable
    from store.db import migrate
    from store.demo import seed_demo

    settings, engine, sessions = _open()
    try:
        migrate(engine)
        seeded = seed_demo(sessions, settings)
    except StoreUnavailable as exc:
        raise _unavailable(exc) from exc
    finally:
        engine.dispose()
    typer.echo(f"Seeded {len(seeded.records)} demo records.")
    if seeded.skipped_codes:
        typer.echo(f"Left out {len(seeded.skipped_codes)} demo code(s) used by real records.")
    typer.echo("Try (demo data: the last 4 digits of the phone or of the ID number):")
    for demo in seeded.samples():
        flag = " (overdue)" if demo.overdue else ""
        typer.echo(
            f"  helpdesk records lookup {demo.code} --verify {demo.phone_last4}"
            f"    # {demo.status.value}{flag}, ID digits {demo.id_last4}"
        )


@records_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV export to import."),
    ],
    skip_bad: Annotated[
        bool,
        typer.Option("--skip-bad", help="Import the good rows even if some rows are bad."),
    ] = False,
) -> None:
    """Import records from a one-stop system's CSV export (see docs/records-import.md)."""
    from helpdesk.errors import ImportRejected, StoreUnavailable
    from store.db import migrate
    from store.importer import import_records_csv

    settings, engine, sessions = _open()
    try:
        migrate(engine)
        report = import_records_csv(file, sessions, settings, skip_bad=skip_bad)
    except ImportRejected as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        typer.echo(
            f"{len(exc.problems)} problem(s); nothing was imported."
            + ("" if skip_bad else " Fix them, or use --skip-bad to import the good rows."),
            err=True,
        )
        raise typer.Exit(1) from exc
    except StoreUnavailable as exc:
        raise _unavailable(exc) from exc
    finally:
        engine.dispose()
    for problem in report.problems:
        typer.echo(f"skipped {problem}", err=True)
    typer.echo(
        f"Imported {report.imported} record(s) from {file.name}: {report.created} new, "
        f"{report.updated} updated, {report.unchanged} unchanged, "
        f"{report.status_changes} status change(s); {len(report.problems)} bad row(s) skipped."
    )
    if report.problems and report.imported == 0:
        raise typer.Exit(1)


@records_app.command("lookup")
def lookup_command(
    code: Annotated[str, typer.Argument(help="The record code (mã hồ sơ).")],
    verify: Annotated[
        str,
        typer.Option(
            "--verify",
            help="Last 4 digits of the applicant's phone or ID number, or both "
            '(8 digits, "1234 5678").',
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    conversation: Annotated[
        str, typer.Option("--conversation", help="Conversation id failures are counted against.")
    ] = "cli",
) -> None:
    """Look a record up as the assistant would.

    Exit codes: 0 found, 1 not found (or wrong digits), 2 invalid code or digits,
    3 refused after too many failures, 4 store unavailable.
    """
    from helpdesk.errors import LookupRefused, StoreUnavailable
    from store.lookup import RecordLookup
    from store.outcomes import LookupOutcome
    from store.replies import refused_text, result_text

    settings, engine, sessions = _open()
    try:
        result = RecordLookup(sessions, settings).lookup(code, verify, conversation)
    except LookupRefused as exc:
        vi, en = (
            refused_text(exc.retry_after_seconds, exc.scope, lang, settings.hotline)
            for lang in ("vi", "en")
        )
        if as_json:
            payload = {
                "outcome": "refused",
                "retry_after_seconds": exc.retry_after_seconds,
                "scope": exc.scope,
                "message_vi": vi,
                "message_en": en,
            }
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            typer.echo(vi)
        raise typer.Exit(EXIT_REFUSED) from exc
    except StoreUnavailable as exc:
        raise _unavailable(exc) from exc
    finally:
        engine.dispose()
    vi, en = (
        result_text(result, lang, settings.hotline, settings.hotline_hours(lang))
        for lang in ("vi", "en")
    )
    if as_json:
        payload = result.to_dict() | {"message_vi": vi, "message_en": en}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        typer.echo(vi)
    exit_codes = {
        LookupOutcome.FOUND: 0,
        LookupOutcome.NOT_FOUND: EXIT_NOT_FOUND,
        LookupOutcome.INVALID_CODE: EXIT_INVALID,
        LookupOutcome.INVALID_DIGITS: EXIT_INVALID,
    }
    if exit_codes[result.outcome]:
        raise typer.Exit(exit_codes[result.outcome])


users_app = typer.Typer(
    help="Staff accounts for the staff pages: create, disable, set a new password, list.",
    no_args_is_help=True,
    add_completion=False,
)

PASSWORD_STDIN = typer.Option(
    "--password-stdin",
    help="Read the password from the first line of standard input instead of a hidden prompt.",
)


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _account_change(change: str, run: Callable[[], None]) -> None:
    """Run one account change; report the domain's refusal as a clear line and exit code."""
    from helpdesk.errors import AccountError, AccountNotFound, StoreUnavailable

    try:
        run()
    except AccountNotFound as exc:
        typer.echo(f"Cannot {change}: {exc}.", err=True)
        raise typer.Exit(EXIT_NOT_FOUND) from exc
    except AccountError as exc:
        typer.echo(f"Cannot {change}: {exc}.", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    except StoreUnavailable as exc:
        raise _unavailable(exc) from exc


@users_app.command("create")
def create_user_command(
    username: Annotated[str, typer.Argument(help="Sign-in name: a–z, 0–9, '.', '_', '-'.")],
    role: Annotated[
        StaffRole,
        typer.Option(
            "--role", help="staff: the staff pages; admin: also the audit log.", show_default=False
        ),
    ],
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Create a staff account (the first admin too). The password is asked for twice."""
    from store.accounts import check_password, check_username, create_account
    from store.db import migrate

    settings, engine, sessions = _open()

    def run() -> None:
        check_username(username)
        password = _read_password(password_stdin)
        check_password(password, settings)
        migrate(engine)
        account = create_account(sessions, settings, username, role, password)
        typer.echo(f"Created {account.role.value} account {account.username!r}.")

    try:
        _account_change("create the account", run)
    finally:
        engine.dispose()


@users_app.command("disable")
def disable_user_command(
    username: Annotated[str, typer.Argument(help="The account to disable.")],
) -> None:
    """Disable an account: it can no longer sign in, and its open sessions end now."""
    from store.accounts import disable_account
    from store.db import migrate

    _, engine, sessions = _open()

    def run() -> None:
        migrate(engine)
        account = disable_account(sessions, username)
        typer.echo(f"Disabled account {account.username!r}; its sessions have ended.")

    try:
        _account_change("disable the account", run)
    finally:
        engine.dispose()


@users_app.command("reset-password")
def reset_password_command(
    username: Annotated[str, typer.Argument(help="The account to give a new password.")],
    password_stdin: Annotated[bool, PASSWORD_STDIN] = False,
) -> None:
    """Set a new password: the account's sessions end and a sign-in lock on it is lifted."""
    from store.accounts import check_password, reset_password
    from store.db import migrate

    settings, engine, sessions = _open()

    def run() -> None:
        password = _read_password(password_stdin)
        check_password(password, settings)
        migrate(engine)
        account = reset_password(sessions, settings, username, password)
        note = " (the account stays disabled)" if account.disabled else ""
        typer.echo(f"New password set for {account.username!r}; its sessions have ended{note}.")

    try:
        _account_change("set the password", run)
    finally:
        engine.dispose()


@users_app.command("list")
def list_users_command() -> None:
    """List the accounts: username, role, and whether disabled."""
    from store.accounts import list_accounts
    from store.db import migrate

    _, engine, sessions = _open()

    def run() -> None:
        migrate(engine)
        for account in list_accounts(sessions):
            state = "disabled" if account.disabled else "active"
            typer.echo(f"{account.username}\t{account.role.value}\t{state}")

    try:
        _account_change("list the accounts", run)
    finally:
        engine.dispose()
