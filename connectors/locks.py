"""One asyncio lock per key (a conversation id), so one conversation's turns stay in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class KeyedLocks:
    """Locks created on demand and dropped when nobody holds or waits for them.

    ``asyncio.Lock`` wakes waiters first-in first-out, so turns of one conversation reach Rasa
    in the order they arrived in this process. Across replicas, Rasa's own lock store
    (``RedisLockStore`` in ``bot/endpoints.yml``) keeps them in order.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the lock of ``key`` for the duration of the ``async with`` block."""
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]
