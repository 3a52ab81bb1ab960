"""Staff sign-in and sign-out, with lock-outs shared by every replica.

Failed sign-ins are counted in the database twice: per username typed (a keyed hash of it,
whether or not the account exists, see :func:`store.hashing.sign_in_key`) and per client
address (a keyed hash too, :func:`store.hashing.sign_in_address_key`). After
``staff_signin_max_failures`` failures within ``staff_signin_window_seconds`` that username is
refused, right password or not, until the oldest of them leaves the window; after
``staff_signin_address_max_failures`` failures within the same window that address is refused
the same way, whatever username it types, so that one client cannot try a few passwords on
each of many usernames. An unknown username, a wrong password and a disabled account get the
same answer after the same argon2 work, and an unknown username is locked exactly like a known
one, so neither the answer nor the lock tells whether an account exists. A successful sign-in
clears the username's failures, not the address's (signing in to one account of one's own
must not reset the count of guesses at the others).
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
from store.hashing import log_hash, sign_in_address_key, sign_in_key
from store.models import SignInFailure, StaffAccount, StaffSession
from store.staff_sessions import SessionLimits, close, open_session, token_hash
from store.status import utc_now
from store.throttle import FailureThrottle, Limit

logger = logging.getLogger(__name__)


class SignInOutcome(StrEnum):
    SIGNED_IN = "signed_in"
    REFUSED = "refused"  # unknown username, wrong password or disabled account: one answer
    LOCKED = "locked"  # too many failures with this username or from this address


class LockScope(StrEnum):
    """What a lock-out holds: the username typed, or the client address it came from."""

    USERNAME = "username"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class SignInResult:
    outcome: SignInOutcome
    account: Account | None = None
    token: str | None = field(default=None, repr=False)
    retry_after_seconds: int | None = None
    locked_by: LockScope | None = None  # the address when both hold


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """``max_failures`` failed sign-ins with one username within ``window`` lock it;
    ``address_max_failures`` from one client address within ``window`` lock that address."""

    max_failures: int
    window: timedelta
    address_max_failures: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            max_failures=max(1, settings.staff_signin_max_failures),
            window=timedelta(seconds=max(1, settings.staff_signin_window_seconds)),
            address_max_failures=max(1, settings.staff_signin_address_max_failures),
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

        ``client`` is the address the attempt came from; its failures are limited as well
        (without one, as from the command line, only the username's are). The audit log gets
        ``sign_in``, or ``sign_in_failed`` for an account that exists (what was typed for an
        unknown one is not kept).

        Raises:
            StoreUnavailable: The database cannot be reached.
        """
        now = now or utc_now()
        folded = fold_username(username)
        key = sign_in_key(self._secret, folded)
        limits = self._limits_of(key, client)
        tag = log_hash(self._secret, folded)
        try:
            with self._sessions.begin() as session:
                self.throttle.lock(session, [limit.key for limit, _ in limits])
                locked = self._locked(session, limits, now)
                if locked is not None:
                    logger.info(
                        "staff sign-in locked user=%s by=%s retry_after=%s",
                        tag,
                        locked.locked_by,
                        locked.retry_after_seconds,
                    )
                    return locked
                row = find_account(session, folded)
                matched = verify_password(row.password_hash if row else None, password)
                if row is None or not matched or row.disabled:
                    return self._failed(session, row, limits, client, now, tag)
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

    def _limits_of(self, key: str, client: str | None) -> list[tuple[Limit, LockScope]]:
        """The limits an attempt counts against: its username's, and its address's."""
        window = self.limits.window
        limits = [(Limit(key, self.limits.max_failures, window), LockScope.USERNAME)]
        if client:
            address = sign_in_address_key(self._secret, client)
            limits.append(
                (Limit(address, self.limits.address_max_failures, window), LockScope.ADDRESS)
            )
        return limits

    def _locked(
        self, session: Session, limits: list[tuple[Limit, LockScope]], now: datetime
    ) -> SignInResult | None:
        """The answer when any limit is reached: wait until every one of them is lifted."""
        waits = [
            (wait, scope)
            for limit, scope in limits
            if (wait := self.throttle.retry_after(session, limit, now)) is not None
        ]
        if not waits:
            return None
        scopes = {scope for _, scope in waits}
        by = LockScope.ADDRESS if LockScope.ADDRESS in scopes else LockScope.USERNAME
        return SignInResult(
            SignInOutcome.LOCKED,
            retry_after_seconds=max(wait for wait, _ in waits),
            locked_by=by,
        )

    def _failed(
        self,
        session: Session,
        row: StaffAccount | None,
        limits: list[tuple[Limit, LockScope]],
        client: str | None,
        now: datetime,
        tag: str,
    ) -> SignInResult:
        self.throttle.record_failure(session, [limit.key for limit, _ in limits], now)
        if row is not None:
            audit.append(
                session,
                actor=row.username,
                action="sign_in_failed",
                subject=audit.user_subject(row.username),
                client=client,
                now=now,
            )
        locked = self._locked(session, limits, now)
        logger.info(
            "staff sign-in refused user=%s locked=%s",
            tag,
            locked.locked_by if locked is not None else None,
        )
        return locked or SignInResult(SignInOutcome.REFUSED)

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
