"""Staff accounts: a username, a role (``staff`` or ``admin``), an argon2 password hash.

Accounts are made, disabled and given a new password with the ``helpdesk users`` command;
each change is written to the audit log in the same transaction. An account is disabled,
never deleted, so that the names in the audit log keep meaning someone. Disabling an account
or setting its password ends every session it has.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import AccountError, AccountNotFound, StoreUnavailable
from helpdesk.settings import Settings
from store import audit
from store.hashing import sign_in_key
from store.models import SignInFailure, StaffAccount, StaffSession
from store.status import utc_now
from store.vocabulary import StaffRole

USERNAME_RULE = (
    "2–32 characters: lower-case letters a–z, digits, '.', '_' or '-', first a letter or digit"
)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
RESERVED_USERNAMES = frozenset({audit.CLI_ACTOR})
MAX_PASSWORD_CHARS = 1024
# Longer input is never a username; it is cut before it is folded and hashed.
_MAX_TYPED_USERNAME = 256

PASSWORD_HASHER = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106, low-memory profile)."""


@dataclass(frozen=True, slots=True)
class Account:
    """An account as the rest of the code sees it (never its password hash)."""

    id: int
    username: str
    role: StaffRole
    disabled: bool

    @classmethod
    def of(cls, row: StaffAccount) -> Account:
        return cls(row.id, row.username, StaffRole(row.role), row.disabled)


def fold_username(text: str) -> str:
    """A typed username as it is compared: NFKC, no surrounding spaces, lower case."""
    return unicodedata.normalize("NFKC", text[:_MAX_TYPED_USERNAME]).strip().lower()


def check_username(text: str) -> str:
    """The folded username, if it may name a new account.

    Raises:
        AccountError: It breaks :data:`USERNAME_RULE` or is reserved.
    """
    username = fold_username(text)
    if not _USERNAME.match(username):
        raise AccountError(f"a username has {USERNAME_RULE}")
    if username in RESERVED_USERNAMES:
        raise AccountError(f"the username {username!r} is reserved")
    return username


def check_password(password: str, settings: Settings) -> None:
    """Refuse a password that is too short or too long.

    Raises:
        AccountError: Shorter than ``settings.staff_password_min_chars`` or longer than
            :data:`MAX_PASSWORD_CHARS`.
    """
    least = max(1, settings.staff_password_min_chars)
    if len(password) < least:
        raise AccountError(f"a password needs at least {least} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"a password has at most {MAX_PASSWORD_CHARS} characters")
    if not password.strip():
        raise AccountError("a password cannot be only spaces")


def hash_password(password: str) -> str:
    """The stored form of a password (argon2id, with its own salt and parameters)."""
    return PASSWORD_HASHER.hash(password)


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not a password of anyone")


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; with no stored hash, the same work, then False.

    An unknown username thus takes as long as a wrong password for a known one.
    """
    hasher = PASSWORD_HASHER
    if len(password) > MAX_PASSWORD_CHARS:
        password = ""  # never hash megabytes; still spend the same work
        stored = None
    try:
        ok = hasher.verify(stored or _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and stored is not None


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than today's (rehash on sign-in)."""
    try:
        return PASSWORD_HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def find_account(session: Session, username: str) -> StaffAccount | None:
    """The account of a typed username (folded), or None."""
    folded = fold_username(username)
    return session.scalars(
        select(StaffAccount).where(StaffAccount.username == folded)
    ).one_or_none()


def list_accounts(session_factory: sessionmaker[Session]) -> list[Account]:
    """Every account, by username."""
    with _store(), session_factory() as session:
        rows = session.scalars(select(StaffAccount).order_by(StaffAccount.username)).all()
        return [Account.of(row) for row in rows]


def create_account(
    session_factory: sessionmaker[Session],
    settings: Settings,
    username: str,
    role: StaffRole,
    password: str,
    *,
    actor: str = audit.CLI_ACTOR,
    client: str | None = None,
    now: datetime | None = None,
) -> Account:
    """Make an account; the audit log gets ``user_create`` with its role.

    Raises:
        AccountError: A bad username or password, or the username is taken.
        StoreUnavailable: The database cannot be reached.
    """
    name = check_username(username)
    check_password(password, settings)
    now = now or utc_now()
    row = StaffAccount(
        username=name,
        role=StaffRole(role).value,
        password_hash=hash_password(password),
        disabled=False,
        created_at=now,
        updated_at=now,
    )
    try:
        with _store(), session_factory.begin() as session:
            session.add(row)
            session.flush()
            audit.append(
                session,
                actor=actor,
                action="user_create",
                subject=audit.user_subject(name),
                reason=f"role {row.role}",
                client=client,
                now=now,
            )
            return Account.of(row)
    except IntegrityError as exc:
        raise AccountError(f"the username {name!r} is already taken") from exc


def disable_account(
    session_factory: sessionmaker[Session],
    username: str,
    *,
    actor: str = audit.CLI_ACTOR,
    client: str | None = None,
    now: datetime | None = None,
) -> Account:
    """Disable an account and end its sessions; the audit log gets ``user_disable``.

    Raises:
        AccountNotFound: No such account.
        StoreUnavailable: The database cannot be reached.
    """
    now = now or utc_now()
    with _store(), session_factory.begin() as session:
        row = _existing(session, username)
        row.disabled = True
        row.updated_at = now
        _end_sessions(session, row.id)
        audit.append(
            session,
            actor=actor,
            action="user_disable",
            subject=audit.user_subject(row.username),
            client=client,
            now=now,
        )
        return Account.of(row)


def reset_password(
    session_factory: sessionmaker[Session],
    settings: Settings,
    username: str,
    password: str,
    *,
    actor: str = audit.CLI_ACTOR,
    client: str | None = None,
    now: datetime | None = None,
) -> Account:
    """Give an account a new password, end its sessions and lift a sign-in lock on it.

    The audit log gets ``user_reset_password`` (never the password). A disabled account stays
    disabled.

    Raises:
        AccountError: The password breaks the rules.
        AccountNotFound: No such account.
        StoreUnavailable: The database cannot be reached.
    """
    check_password(password, settings)
    new_hash = hash_password(password)
    now = now or utc_now()
    with _store(), session_factory.begin() as session:
        row = _existing(session, username)
        row.password_hash = new_hash
        row.updated_at = now
        _end_sessions(session, row.id)
        secret = settings.secret_key.get_secret_value()
        session.execute(
            delete(SignInFailure).where(SignInFailure.key_hash == sign_in_key(secret, row.username))
        )
        audit.append(
            session,
            actor=actor,
            action="user_reset_password",
            subject=audit.user_subject(row.username),
            client=client,
            now=now,
        )
        return Account.of(row)


def _existing(session: Session, username: str) -> StaffAccount:
    row = find_account(session, username)
    if row is None:
        raise AccountNotFound(f"no staff account is named {fold_username(username)!r}")
    return row


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


@contextmanager
def _store() -> Iterator[None]:
    """The database's own errors as :class:`StoreUnavailable`; a taken username passes."""
    try:
        yield
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise StoreUnavailable("the record store cannot be reached") from exc
