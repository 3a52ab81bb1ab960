"""Counting failed lookups in the database, so that every replica enforces the same limits.

A failure is stored once per key it counts against (a keyed hash, see
:func:`store.hashing.key_hash`), with its time. A :class:`Limit` says how many failures of one
key are allowed within a sliding window; the key is over its limit while that many failures
are younger than the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from store.db import SQLITE_IMMEDIATE
from store.models import LookupFailure


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
    """

    def __init__(self, keep: timedelta) -> None:
        self.keep = max(keep, timedelta(seconds=1))

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
        recent = session.scalars(
            select(LookupFailure.at)
            .where(LookupFailure.key_hash == limit.key, LookupFailure.at > now - limit.window)
            .order_by(LookupFailure.at.desc())
            .limit(allowed)
        ).all()
        if len(recent) < allowed:
            return None
        # Below the limit again once the oldest of the last `allowed` failures leaves the window.
        wait = (recent[-1] + limit.window - now).total_seconds()
        return max(1, math.ceil(wait))

    def record_failure(self, session: Session, keys: Iterable[str], now: datetime) -> None:
        """Count one failure for each key, and forget failures older than ``keep``."""
        session.add_all(LookupFailure(key_hash=key, at=now) for key in dict.fromkeys(keys))
        session.execute(delete(LookupFailure).where(LookupFailure.at <= now - self.keep))

    def failures(self, session: Session, key: str, now: datetime, window: timedelta) -> int:
        """How many failures of ``key`` are younger than ``window``."""
        return (
            session.scalar(
                select(func.count())
                .select_from(LookupFailure)
                .where(LookupFailure.key_hash == key, LookupFailure.at > now - window)
            )
            or 0
        )
