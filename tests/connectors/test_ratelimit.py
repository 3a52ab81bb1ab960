"""Rate limiting: the moving window in memory and in a real Redis, and which address counts.

The storages of the ``limits`` library stamp each hit with ``time.time()``; the tests replace
that clock (in the two storage modules only) so that window edges are exact, not slept for.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import limits.aio.storage.memory
import limits.aio.storage.redis.redispy
import pytest
import uvicorn
from fastapi.testclient import TestClient
from limits.aio.storage import MemoryStorage, RedisStorage
from redis.asyncio import Redis
from uvicorn.main import main as uvicorn_command

from connectors.privacy import address_tag, client_network
from connectors.ratelimit import (
    MovingWindowLimiter,
    make_rate_limiter,
    memory_limiter,
    redis_limiter,
)
from connectors.web.app import create_app
from helpdesk.settings import Settings
from helpdesk_cli.run import services_for
from tests.connectors.conftest import Upstream, make_settings

REDIS_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WINDOW = 60
EDGE = 1_000_080.0  # a multiple of 60: where a fixed one-minute window would start afresh


class Clock:
    """``time.time`` for the limiter and for the ``limits`` storages."""

    def __init__(self, now: float = EDGE - 30) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(limits.aio.storage.memory, "time", fake)
    monkeypatch.setattr(limits.aio.storage.redis.redispy, "time", fake)
    return fake


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of its own on the local Redis; its keys are deleted afterwards."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:  # no server: skip, saying why
        await client.aclose()
        pytest.skip(
            f"Redis not reachable at {REDIS_URL} ({type(exc).__name__}); "
            "set HELPDESK_TEST_REDIS_URL"
        )
    prefix = f"helpdesk-test:{uuid.uuid4().hex}"
    yield prefix
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def burst(limiter: MovingWindowLimiter, key: str, limit: int, n: int) -> list[bool]:
    return [(await limiter.hit(key, limit, WINDOW)).allowed for _ in range(n)]


async def check_window_edge(limiter: MovingWindowLimiter, clock: Clock) -> None:
    """``limit`` hits just before a minute's edge, then ``limit`` more just after it."""
    clock.now = EDGE - 0.5
    assert await burst(limiter, "address:a", 3, 3) == [True, True, True]
    clock.now = EDGE + 0.5
    # A fixed window would start counting afresh here and let 3 more through (6 in 1 s).
    assert await burst(limiter, "address:a", 3, 3) == [False, False, False]
    refused = await limiter.hit("address:a", 3, WINDOW)
    assert refused.retry_after == math.ceil(EDGE - 0.5 + WINDOW - clock.now)  # 59 s
    assert await burst(limiter, "address:b", 3, 1) == [True]  # other keys are not affected
    clock.now = EDGE - 0.5 + WINDOW + 0.01  # the first burst has left the window
    assert await burst(limiter, "address:a", 3, 4) == [True, True, True, False]


async def test_memory_refuses_a_double_burst_around_a_window_edge(clock: Clock) -> None:
    limiter = MovingWindowLimiter(MemoryStorage(), clock=clock)
    await check_window_edge(limiter, clock)
    await limiter.close()


@pytest.mark.redis
async def test_redis_refuses_a_double_burst_around_a_window_edge(
    clock: Clock, redis_prefix: str
) -> None:
    limiter = redis_limiter(REDIS_URL, prefix=redis_prefix)
    limiter._clock = clock  # Retry-After from the same clock as the storage's stamps
    await check_window_edge(limiter, clock)
    await limiter.close()


@pytest.mark.redis
async def test_redis_counts_are_shared_by_replicas(clock: Clock, redis_prefix: str) -> None:
    one = redis_limiter(REDIS_URL, prefix=redis_prefix)
    two = redis_limiter(REDIS_URL, prefix=redis_prefix)
    results = [(await (one if n % 2 else two).hit("address:x", 4)).allowed for n in range(6)]
    assert results == [True, True, True, True, False, False]
    await one.close()
    await two.close()


async def test_redis_outage_allows_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    dead = redis_limiter("redis://127.0.0.1:1/0", prefix="helpdesk-test")
    assert (await dead.hit("k", 1)).allowed
    assert (await dead.hit("k", 1)).allowed
    assert "rate limiter unavailable, allowing: ConnectionError" in caplog.text
    await dead.close()


def test_backend_follows_settings() -> None:
    assert isinstance(memory_limiter().storage, MemoryStorage)
    assert isinstance(make_rate_limiter(None).storage, MemoryStorage)  # type: ignore[attr-defined]
    shared = make_rate_limiter("redis://127.0.0.1:6379/0")
    assert isinstance(shared.storage, RedisStorage)  # type: ignore[attr-defined]


@pytest.mark.redis
def test_two_gateways_share_the_conversation_limit(tmp_path: Path, redis_prefix: str) -> None:
    settings = make_settings(tmp_path, chat_rate_per_minute=2, redis_url=REDIS_URL)
    upstream = Upstream(settings.internal_token("rasa"))
    apps = [
        create_app(
            settings,
            load_knowledge=False,
            http_transport=httpx.MockTransport(upstream),
            rate_limiter=redis_limiter(REDIS_URL, prefix=redis_prefix),
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


# ------------------------------------------------------------------ which address counts


@pytest.fixture
def proxy_settings(tmp_path: Path) -> Iterator[Settings]:
    yield make_settings(tmp_path, ip_rate_per_minute=2, chat_rate_per_minute=100)


async def statuses(
    settings: Settings, calls: list[tuple[str, str | None]]
) -> tuple[list[int], Upstream]:
    """POST /api/chat once per (peer address, X-Forwarded-For or None), to one gateway."""
    upstream = Upstream(settings.internal_token("rasa"))
    app = create_app(settings, load_knowledge=False, http_transport=httpx.MockTransport(upstream))
    codes = []
    async with app.router.lifespan_context(app):
        for n, (peer, forwarded) in enumerate(calls):
            transport = httpx.ASGITransport(app=app, client=(peer, 40_000))
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
                response = await client.post(
                    "/api/chat",
                    json={"conversation_id": f"web-conversation-{n}", "text": "xin chào"},
                    headers={"X-Forwarded-For": forwarded} if forwarded else {},
                )
            codes.append(response.status_code)
    return codes, upstream


ROTATING = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]


async def test_a_spoofed_forwarded_for_does_not_change_the_counted_address(
    proxy_settings: Settings,
) -> None:
    """No trusted proxy (the default): a local client rotating X-Forwarded-For is one client."""
    codes, upstream = await statuses(proxy_settings, [("127.0.0.1", a) for a in ROTATING])
    assert codes == [200, 200, 429]
    secret = proxy_settings.secret_key.get_secret_value()
    assert {m["source"] for m in upstream.rasa.metadata} == {address_tag(secret, "127.0.0.1")}


async def test_an_untrusted_peer_cannot_speak_for_others(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ip_rate_per_minute=2, trusted_proxies=["10.0.0.5"])
    codes, _ = await statuses(settings, [("198.51.100.20", a) for a in ROTATING])
    assert codes == [200, 200, 429]


async def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ip_rate_per_minute=2, trusted_proxies=["10.0.0.0/8"])
    codes, upstream = await statuses(settings, [("10.0.0.5", a) for a in ROTATING])
    assert codes == [200, 200, 200]  # three clients behind the proxy, one message each
    secret = settings.secret_key.get_secret_value()
    assert [m["source"] for m in upstream.rasa.metadata] == [
        address_tag(secret, address) for address in ROTATING
    ]
    # What a client writes itself stays left of what the proxy appended: only the latter counts.
    spoofed = [("10.0.0.5", f"{fake}, 203.0.113.9") for fake in ROTATING]
    codes, _ = await statuses(settings, spoofed)
    assert codes == [200, 200, 429]


async def test_one_ipv6_client_is_its_slash_64(proxy_settings: Settings) -> None:
    peers = ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:2::1", "2001:db8:0:1:abcd::3"]
    codes, _ = await statuses(proxy_settings, [(peer, None) for peer in peers])
    assert codes == [200, 200, 200, 429]  # the third is another /64; the fourth is not


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:0:1:2:3:4:5", "2001:db8:0:1::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_client_network(address: str, counted: str) -> None:
    assert client_network(address) == counted


def test_the_gateway_as_helpdesk_run_starts_it_ignores_a_local_forwarded_for(
    tmp_path: Path,
) -> None:
    """uvicorn started with ``helpdesk run``'s own options, over real HTTP on 127.0.0.1.

    uvicorn's default believes X-Forwarded-For from any client on 127.0.0.1; the command must
    turn that off (the app applies the header itself, from trusted proxies only).
    """
    settings = make_settings(tmp_path, ip_rate_per_minute=2, chat_rate_per_minute=100)
    services = services_for(settings, tmp_path / "endpoints.yml")
    command = next(service.command for service in services if service.name == "gateway")
    options = uvicorn_command.make_context("uvicorn", command[1:]).params
    upstream = Upstream(settings.internal_token("rasa"))
    app = create_app(settings, load_knowledge=False, http_transport=httpx.MockTransport(upstream))
    config = uvicorn.Config(
        app,
        proxy_headers=options["proxy_headers"],
        forwarded_allow_ips=options["forwarded_allow_ips"],
        log_level="warning",
        loop="asyncio",
    )
    with serve(config) as url:
        codes = [
            httpx.post(
                f"{url}/api/chat",
                json={"conversation_id": f"web-conversation-{n}", "text": "xin chào"},
                headers={"X-Forwarded-For": address},
            ).status_code
            for n, address in enumerate(ROTATING)
        ]
    assert codes == [200, 200, 429]


@contextmanager
def serve(config: uvicorn.Config) -> Iterator[str]:
    """Run ``config``'s app (lifespan included) on a free 127.0.0.1 port, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(1000):
            if server.started or not thread.is_alive():
                break
            time.sleep(0.01)
        assert server.started, "the gateway did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
