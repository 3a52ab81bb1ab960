"""Rate limiting: the in-memory backend, and the Redis backend against a real Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from connectors.ratelimit import MemoryRateLimiter, RedisRateLimiter, make_rate_limiter
from connectors.web.app import create_app
from tests.connectors.conftest import Upstream, make_settings

REDIS_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Clock:
    def __init__(self, now: float = 1_000_040.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_memory_counts_per_key_and_window() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    assert [(await limiter.hit("a", 2)).allowed for _ in range(3)] == [True, True, False]
    assert (await limiter.hit("b", 2)).allowed
    refused = await limiter.hit("a", 2)
    assert refused.retry_after == 40  # 1_000_040 is 20 s into its minute
    clock.now += 40
    assert (await limiter.hit("a", 2)).allowed


async def test_memory_sweeps_expired_keys() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock, max_keys=3)
    for key in "abc":
        await limiter.hit(key, 5)
    clock.now += 60
    await limiter.hit("d", 5)
    assert set(limiter._counters) == {"d"}


def test_backend_follows_settings() -> None:
    assert isinstance(make_rate_limiter(None), MemoryRateLimiter)
    assert isinstance(make_rate_limiter("redis://127.0.0.1:6379/0"), RedisRateLimiter)


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:  # no server: skip, saying why
        await client.aclose()
        pytest.skip(
            f"Redis not reachable at {REDIS_URL} ({type(exc).__name__}); "
            "set HELPDESK_TEST_REDIS_URL"
        )
    prefix = f"helpdesk-test:{uuid.uuid4().hex}:"
    yield client, prefix
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.mark.redis
async def test_redis_fixed_window(redis: tuple[Redis, str]) -> None:
    client, prefix = redis
    clock = Clock()
    limiter = RedisRateLimiter(Redis.from_url(REDIS_URL), prefix=prefix, clock=clock)
    decisions = [await limiter.hit("conversation:abc", 3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after == 40
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    assert len(keys) == 1
    assert 0 < await client.ttl(keys[0]) <= 61  # counters expire on their own
    clock.now += 40
    assert (await limiter.hit("conversation:abc", 3)).allowed
    await limiter.close()


@pytest.mark.redis
async def test_redis_counts_are_shared_by_replicas(redis: tuple[Redis, str]) -> None:
    _, prefix = redis
    one = RedisRateLimiter(Redis.from_url(REDIS_URL), prefix=prefix)
    two = RedisRateLimiter(Redis.from_url(REDIS_URL), prefix=prefix)
    results = [(await (one if n % 2 else two).hit("address:x", 4)).allowed for n in range(6)]
    assert results == [True, True, True, True, False, False]
    await one.close()
    await two.close()


async def test_redis_outage_allows_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    limiter = RedisRateLimiter(dead, prefix="helpdesk-test:")
    assert (await limiter.hit("k", 1)).allowed
    assert (await limiter.hit("k", 1)).allowed
    assert "rate limiter unavailable" in caplog.text
    await limiter.close()


@pytest.mark.redis
def test_two_gateways_share_the_conversation_limit(
    tmp_path: Path, redis: tuple[Redis, str]
) -> None:
    _, prefix = redis
    upstream = Upstream()
    settings = make_settings(tmp_path, chat_rate_per_minute=2, redis_url=REDIS_URL)
    apps = [
        create_app(
            settings,
            load_knowledge=False,
            http_transport=httpx.MockTransport(upstream),
            rate_limiter=RedisRateLimiter(Redis.from_url(REDIS_URL), prefix=prefix),
        )
        for _ in range(2)
    ]
    body = {"conversation_id": "web-shared-conversation", "text": "xin chào"}
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        codes = [
            first.post("/api/chat", json=body).status_code,
            second.post("/api/chat", json=body).status_code,
            first.post("/api/chat", json=body).status_code,
        ]
    assert codes == [200, 200, 429]
