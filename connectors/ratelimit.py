"""Fixed-window rate limiting behind one small interface: in memory, or shared in Redis."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether one more hit is allowed, and if not, when the window resets."""

    allowed: bool
    count: int
    retry_after: int = 0


def _decide(count: int, limit: int, window_end: float, now: float) -> Decision:
    if count <= limit:
        return Decision(True, count)
    return Decision(False, count, max(1, math.ceil(window_end - now)))


class RateLimiter(Protocol):
    """Counts hits per key in fixed windows."""

    async def hit(self, key: str, limit: int, window: int = WINDOW_SECONDS) -> Decision:
        """Count one hit on ``key``; refuse it if the window already holds ``limit`` hits."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MemoryRateLimiter:
    """Counters in this process (the default; one replica only).

    Args:
        clock: Seconds, monotonic or wall-clock; injectable for tests.
        max_keys: Expired counters are swept when there are more keys than this.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        self._clock = clock
        self._max_keys = max_keys
        self._counters: dict[str, tuple[int, int]] = {}  # key -> (window index, count)

    async def hit(self, key: str, limit: int, window: int = WINDOW_SECONDS) -> Decision:
        now = self._clock()
        index = int(now // window)
        seen_index, count = self._counters.get(key, (index, 0))
        count = count + 1 if seen_index == index else 1
        self._counters[key] = (index, count)
        if len(self._counters) > self._max_keys:
            self._sweep(index)
        return _decide(count, limit, (index + 1) * window, now)

    def _sweep(self, index: int) -> None:
        stale = [k for k, (seen, _) in self._counters.items() if seen < index]
        for key in stale:
            del self._counters[key]

    async def close(self) -> None:
        self._counters.clear()


class RedisRateLimiter:
    """Counters in Redis (``INCR`` + ``EXPIRE`` per window), shared by every replica.

    If Redis fails, the hit is allowed and the failure logged: an outage of the limiter
    must not silence the helpdesk.

    Args:
        redis: An asyncio Redis client.
        prefix: Key prefix; everything this limiter writes starts with it.
        clock: Wall-clock seconds (replicas must agree on window boundaries).
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str = "helpdesk:rate:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, prefix: str = "helpdesk:rate:") -> RedisRateLimiter:
        redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return cls(redis, prefix)

    async def hit(self, key: str, limit: int, window: int = WINDOW_SECONDS) -> Decision:
        now = self._clock()
        index = int(now // window)
        name = f"{self._prefix}{key}:{index}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning("rate limiter unavailable, allowing: %s", type(exc).__name__)
            return Decision(True, 0)
        return _decide(int(count), limit, (index + 1) * window, now)

    async def close(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    """Redis when ``settings.redis_url`` is set (several replicas), else in memory."""
    if redis_url:
        return RedisRateLimiter.from_url(redis_url)
    return MemoryRateLimiter()
