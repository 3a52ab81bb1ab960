"""Counting failed lookups in the database, so that every replica enforces the same limit."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from store.db import SQLITE_IMMEDIATE
from store.models import LookupFailure


class FailureThrottle:
    """At most ``max_failures`` failures per key within a sliding window of ``window_seconds``."""

    def __init__(self, max_failures: int, window_seconds: int) -> None:
        self.max_failures = max(1, max_failures)
        self.window = timedelta(seconds=max(1, window_seconds))

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

    def retry_after(self, session: Session, keys: Iterable[str], now: datetime) -> int | None:
        """Seconds until every key is below the limit again, or None if none is locked."""
        since = now - self.window
        longest = 0.0
        for key in keys:
            recent = session.scalars(
                select(LookupFailure.at)
                .where(LookupFailure.key_hash == key, LookupFailure.at > since)
                .order_by(LookupFailure.at.desc())
                .limit(self.max_failures)
            ).all()
            if len(recent) >= self.max_failures:
                # Unlocked once the oldest of the last max_failures failures leaves the window.
                unlocked_at = recent[-1] + self.window
                longest = max(longest, (unlocked_at - now).total_seconds())
        return max(1, math.ceil(longest)) if longest > 0 else None

    def record_failure(self, session: Session, keys: Iterable[str], now: datetime) -> None:
        """Count one failure for each key, and forget failures older than the window."""
        session.add_all(LookupFailure(key_hash=key, at=now) for key in keys)
        session.execute(delete(LookupFailure).where(LookupFailure.at <= now - self.window))

    def failures(self, session: Session, key: str, now: datetime) -> int:
        """How many failures count against ``key`` now."""
        return (
            session.scalar(
                select(func.count())
                .select_from(LookupFailure)
                .where(LookupFailure.key_hash == key, LookupFailure.at > now - self.window)
            )
            or 0
        )
