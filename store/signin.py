"""Staff sign-in and sign-out, with a lock-out shared by every replica.

Failed sign-ins are counted in the database per username typed (a keyed hash of it, whether
or not the account exists, see :func:`store.hashing.sign_in_key`): after
``staff_signin_max_failures`` failures within ``staff_signin_window_seconds`` that username is
refused, right password or not, until the oldest of them leaves the window. An unknown
username, a wrong password and a disabled account get the same answer after the same argon2
work, and an unknown username is locked exactly like a known one, so neither the answer nor
the lock tells whether an account exists. A successful sign-in clears the username's failures.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import StoreUnavailable
from helpdesk.settings import Settings
from store import audit
from store.accounts import (
    Account,
    find_account,
    fold_username,
    hash_password,
    needs_rehash,
    verify_password,
)
from store.hashing import log_hash, sign_in_key
from store.models import SignInFailure, StaffAccount, StaffSession
from store.staff_sessions import SessionLimits, close, open_session, token_hash
from store.status import utc_now
from store.throttle import FailureThrottle, Limit

logger = logging.getLogger(__name__)


class SignInOutcome(StrEnum):
    SIGNED_IN = "signed_in"
    REFUSED = "refused"  # unknown username, wrong password or disabled account: one answer
    LOCKED = "locked"  # too many failures with this username; nothing was checked


@dataclass(frozen=True, slots=True)
class SignInResult:
    outcome: SignInOutcome
    account: Account | None = None
    token: str | None = field(default=None, repr=False)
    retry_after_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """``max_failures`` failed sign-ins with one username within ``window`` lock it."""

    max_failures: int
    window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            max_failures=max(1, settings.staff_signin_max_failures),
            window=timedelta(seconds=max(1, settings.staff_signin_window_seconds)),
        )


class StaffSignIn:
    """Signs staff in and out against the record store.

    Args:
        session_factory: Sessions on the record store (shared by every replica).
        settings: The secret and the ``staff_*`` limits.
    """

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self._sessions = session_factory
        self._secret = settings.secret_key.get_secret_value()
        self.limits = SignInLimits.from_settings(settings)
        self.session_limits = SessionLimits.from_settings(settings)
        self.throttle = FailureThrottle(self.limits.window, table=SignInFailure)

    def sign_in(
        self,
        username: str,
        password: str,
        *,
        client: str | None = None,
        now: datetime | None = None,
    ) -> SignInResult:
        """Check a username and password; on success open a session and return its token.

        The audit log gets ``sign_in``, or ``sign_in_failed`` for an account that exists
        (what was typed for an unknown one is not kept).

        Raises:
            StoreUnavailable: The database cannot be reached.
        """
        now = now or utc_now()
        folded = fold_username(username)
        key = sign_in_key(self._secret, folded)
        limit = Limit(key, self.limits.max_failures, self.limits.window)
        tag = log_hash(self._secret, folded)
        try:
            with self._sessions.begin() as session:
                self.throttle.lock(session, [key])
                retry_after = self.throttle.retry_after(session, limit, now)
                if retry_after is not None:
                    logger.info("staff sign-in locked user=%s retry_after=%s", tag, retry_after)
                    return SignInResult(SignInOutcome.LOCKED, retry_after_seconds=retry_after)
                row = find_account(session, folded)
                matched = verify_password(row.password_hash if row else None, password)
                if row is None or not matched or row.disabled:
                    return self._failed(session, row, limit, client, now, tag)
                self.throttle.forget(session, key)
                if needs_rehash(row.password_hash):
                    row.password_hash = hash_password(password)
                token = open_session(session, row.id, self.session_limits, now)
                audit.append(
                    session,
                    actor=row.username,
                    action="sign_in",
                    subject=audit.user_subject(row.username),
                    client=client,
                    now=now,
                )
                account = Account.of(row)
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc
        logger.info("staff sign-in user=%s", tag)
        return SignInResult(SignInOutcome.SIGNED_IN, account=account, token=token)

    def _failed(
        self,
        session: Session,
        row: StaffAccount | None,
        limit: Limit,
        client: str | None,
        now: datetime,
        tag: str,
    ) -> SignInResult:
        self.throttle.record_failure(session, [limit.key], now)
        if row is not None:
            audit.append(
                session,
                actor=row.username,
                action="sign_in_failed",
                subject=audit.user_subject(row.username),
                client=client,
                now=now,
            )
        retry_after = self.throttle.retry_after(session, limit, now)
        logger.info("staff sign-in refused user=%s locked=%s", tag, retry_after is not None)
        if retry_after is not None:
            return SignInResult(SignInOutcome.LOCKED, retry_after_seconds=retry_after)
        return SignInResult(SignInOutcome.REFUSED)

    def sign_out(
        self, token: str, *, client: str | None = None, now: datetime | None = None
    ) -> None:
        """End the session of ``token``; the audit log gets ``sign_out``.

        Raises:
            StoreUnavailable: The database cannot be reached.
        """
        now = now or utc_now()
        try:
            with self._sessions.begin() as session:
                username = session.scalar(
                    select(StaffAccount.username)
                    .join(StaffSession, StaffSession.user_id == StaffAccount.id)
                    .where(StaffSession.token_hash == token_hash(token))
                )
                close(session, token)
                if username is not None:
                    audit.append(
                        session,
                        actor=username,
                        action="sign_out",
                        subject=audit.user_subject(username),
                        client=client,
                        now=now,
                    )
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc
