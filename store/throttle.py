"""Counting failures in the database, so that every replica enforces the same limits.

A failure (a record lookup, a staff sign-in) is stored once per key it counts against (a keyed
hash, see :func:`store.hashing.key_hash`), with its time. A :class:`Limit` says how many
failures of one key are allowed within a sliding window; the key is over its limit while that
many failures are younger than the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from store.db import SQLITE_IMMEDIATE
from store.models import LookupFailure, SignInFailure

FailureTable = type[LookupFailure] | type[SignInFailure]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_failures`` failures of ``key`` within a sliding ``window``."""

    key: str
    max_failures: int
    window: timedelta


class FailureThrottle:
    """Failures per key, shared through the database.

    Args:
        keep: How long a failure is kept: the longest window any :class:`Limit` uses.
        table: Where the failures are counted: record lookups' or staff sign-ins'.
    """

    def __init__(self, keep: timedelta, table: FailureTable = LookupFailure) -> None:
        self.keep = max(keep, timedelta(seconds=1))
        self.table = table

    def lock(self, session: Session, keys: Iterable[str]) -> None:
        """Serialise concurrent attempts on the same keys until the transaction ends.

        Must be the first thing done in the session's transaction. On PostgreSQL this takes
        transaction-scoped advisory locks (sorted, so that two attempts never wait on each
        other in opposite order); on SQLite the transaction begins with the write lock.
        """
        if session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={SQLITE_IMMEDIATE: True})
            return
        for key in sorted(set(keys)):
            session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
            )

    def retry_after(self, session: Session, limit: Limit, now: datetime) -> int | None:
        """Seconds until ``limit.key`` is below its limit again, or None if it is below now."""
        allowed = max(1, limit.max_failures)
        table = self.table
        recent = session.scalars(
            select(table.at)
            .where(table.key_hash == limit.key, table.at > now - limit.window)
            .order_by(table.at.desc())
            .limit(allowed)
        ).all()
        if len(recent) < allowed:
            return None
        # Below the limit again once the oldest of the last `allowed` failures leaves the window.
        wait = (recent[-1] + limit.window - now).total_seconds()
        return max(1, math.ceil(wait))

    def record_failure(self, session: Session, keys: Iterable[str], now: datetime) -> None:
        """Count one failure for each key, and forget failures older than ``keep``."""
        table = self.table
        session.add_all(table(key_hash=key, at=now) for key in dict.fromkeys(keys))
        session.execute(delete(table).where(table.at <= now - self.keep))

    def forget(self, session: Session, key: str) -> None:
        """Drop every failure of ``key`` (a sign-in that succeeded, a password reset)."""
        session.execute(delete(self.table).where(self.table.key_hash == key))

    def failures(self, session: Session, key: str, now: datetime, window: timedelta) -> int:
        """How many failures of ``key`` are younger than ``window``."""
        table = self.table
        return (
            session.scalar(
                select(func.count())
                .select_from(table)
                .where(table.key_hash == key, table.at > now - window)
            )
            or 0
        )
