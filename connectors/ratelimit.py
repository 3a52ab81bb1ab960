"""Rate limiting with the ``limits`` library: a moving window, in memory or shared in Redis.

A moving window counts the hits of the last ``window`` seconds at every moment, so a client
cannot send ``limit`` hits at the end of one minute and ``limit`` more at the start of the
next (a fixed window lets about twice the limit through at its boundary).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
REDIS_PREFIX = "helpdesk:rate"
REDIS_TIMEOUT = 1.0


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one more hit is allowed, and if not, in how many seconds one will be."""

    allowed: bool
    retry_after: int = 0


class RateLimiter(Protocol):
    """Counts hits per key in a moving window."""

    async def hit(self, key: str, limit: int, window: int = WINDOW_SECONDS) -> Decision:
        """Count one hit on ``key``; refuse it if the last ``window`` s hold ``limit`` hits."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MovingWindowLimiter:
    """``limits``' moving-window strategy over one of its async storages.

    A refused hit is not counted. If the storage fails (Redis down or slow), the hit is
    allowed and the failure logged: an outage of the limiter must not silence the helpdesk.

    Args:
        storage: ``MemoryStorage()`` (one replica) or a ``RedisStorage`` (shared).
        clock: Wall-clock seconds, for Retry-After; the storages stamp hits with
            ``time.time()`` too.
        on_close: Awaited by :meth:`close` (closing the Redis connection pool).
    """

    def __init__(
        self,
        storage: Storage,
        *,
        clock: Callable[[], float] = time.time,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._storage = storage
        self._strategy = MovingWindowRateLimiter(storage)
        self._clock = clock
        self._on_close = on_close

    @property
    def storage(self) -> Storage:
        return self._storage

    async def hit(self, key: str, limit: int, window: int = WINDOW_SECONDS) -> Decision:
        item = RateLimitItemPerSecond(limit, window)
        try:
            if await self._strategy.hit(item, key):
                return Decision(True)
            stats = await self._strategy.get_window_stats(item, key)
        except StorageError as exc:
            logger.warning(
                "rate limiter unavailable, allowing: %s", type(exc.storage_error).__name__
            )
            return Decision(True)
        # reset_time: when the oldest hit still in the window leaves it, freeing one place
        return Decision(False, max(1, math.ceil(stats.reset_time - self._clock())))

    async def close(self) -> None:
        if self._on_close is not None:
            await self._on_close()
        if isinstance(self._storage, MemoryStorage) and self._storage.timer is not None:
            # the storage's background pass over expired hits; it ends quietly when cancelled
            self._storage.timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._storage.timer


def memory_limiter() -> MovingWindowLimiter:
    """Counts in this process (the default; one replica only)."""
    return MovingWindowLimiter(MemoryStorage())


def _storage_uri(url: str) -> str:
    """``limits``' async storage URI for a Redis URL (``redis://`` → ``async+redis://``)."""
    if url.startswith("unix://"):
        return "async+redis+unix://" + url.removeprefix("unix://")
    return "async+" + url


def redis_limiter(url: str, prefix: str = REDIS_PREFIX) -> MovingWindowLimiter:
    """Counts in Redis at ``url`` (``settings.redis_url``), shared by every replica.

    Uses the ``redis`` package's asyncio client (``implementation="redispy"``); connecting
    and each command time out after a second, then the hit is allowed.
    """
    # our own pool, so that close() can release it (the storage has no close of its own)
    pool = ConnectionPool.from_url(
        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )
    storage = RedisStorage(
        _storage_uri(url),
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix=prefix,
        # handed on to redis.asyncio.Redis(connection_pool=...); limits types options narrowly
        connection_pool=pool,  # type: ignore[arg-type]
    )
    return MovingWindowLimiter(storage, on_close=pool.aclose)


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    """Redis when ``settings.redis_url`` is set (several replicas), else in memory."""
    if redis_url:
        return redis_limiter(redis_url)
    return memory_limiter()
