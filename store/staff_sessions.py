"""Server-side sessions of signed-in staff, shared by every gateway replica.

The browser holds a random token (its cookie); the database holds only the token's SHA-256,
so a leaked table signs nobody in. A session ends at the first of: its absolute limit
(``staff_session_max_seconds`` after sign-in), ``staff_session_idle_seconds`` without a
request, sign-out, the account being disabled or given a new password.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import StoreUnavailable
from helpdesk.settings import Settings
from store.accounts import Account
from store.models import StaffAccount, StaffSession
from store.status import utc_now

_TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
# last_seen_at is written at most this often: the idle limit is kept to within this much
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """How long a session lives: without a request (``idle``) and at most (``absolute``)."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionLimits:
        return cls(
            idle=timedelta(seconds=max(60, settings.staff_session_idle_seconds)),
            absolute=timedelta(seconds=max(60, settings.staff_session_max_seconds)),
        )


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """A session that is still valid, and whose it is."""

    account: Account
    token: str = field(repr=False)
    created_at: datetime
    expires_at: datetime


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def open_session(session: Session, account_id: int, limits: SessionLimits, now: datetime) -> str:
    """Start a session for an account in ``session``'s transaction; returns its token.

    Sessions that have ended are cleared at the same time.
    """
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    session.execute(
        delete(StaffSession).where(
            (StaffSession.expires_at <= now) | (StaffSession.last_seen_at <= now - limits.idle)
        )
    )
    session.add(
        StaffSession(
            token_hash=token_hash(token),
            user_id=account_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + limits.absolute,
        )
    )
    return token


def resume(
    session_factory: sessionmaker[Session],
    token: str,
    limits: SessionLimits,
    now: datetime | None = None,
) -> ActiveSession | None:
    """The session a cookie's token names, if it is still valid; None otherwise.

    A valid session's ``last_seen_at`` moves to now (at most once a minute); an ended one is
    deleted. A disabled account's sessions are never valid.

    Raises:
        StoreUnavailable: The database cannot be reached.
    """
    if not TOKEN_PATTERN.match(token):
        return None
    now = now or utc_now()
    hashed = token_hash(token)
    try:
        with session_factory() as session:
            found = session.execute(
                select(StaffSession, StaffAccount)
                .join(StaffAccount, StaffAccount.id == StaffSession.user_id)
                .where(StaffSession.token_hash == hashed)
            ).one_or_none()
        if found is None:
            return None
        row, account = found
        ended = row.expires_at <= now or row.last_seen_at <= now - limits.idle
        # Writes start with their statement (no read first), so SQLite takes its write lock
        # at once instead of upgrading a read transaction.
        if ended or account.disabled:
            with session_factory.begin() as session:
                session.execute(delete(StaffSession).where(StaffSession.token_hash == hashed))
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            with session_factory.begin() as session:
                session.execute(
                    update(StaffSession)
                    .where(StaffSession.token_hash == hashed)
                    .values(last_seen_at=now)
                )
        return ActiveSession(Account.of(account), token, row.created_at, row.expires_at)
    except SQLAlchemyError as exc:
        raise StoreUnavailable("the record store cannot be reached") from exc


def close(session: Session, token: str) -> None:
    """End the session of ``token`` (sign-out) in ``session``'s transaction."""
    session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))
