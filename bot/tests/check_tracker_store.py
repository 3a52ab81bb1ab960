"""bot.tracker_store.CachedSQLTrackerStore against Rasa's own SQLTrackerStore.

Run in the Rasa environment:
    PYTHONPATH=. .venv-rasa/bin/python bot/tests/check_tracker_store.py            # SQLite
    PYTHONPATH=. .venv-rasa/bin/python bot/tests/check_tracker_store.py --postgres \
        postgresql://postgres@127.0.0.1:5432/some_empty_database
Prints one line per check and exits 1 when any fails.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import CachedSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, ask_fee]
slots:
  procedure:
    type: text
    mappings: [{type: custom}]
"""
)


def events_of(tracker: DialogueStateTracker | None) -> list[dict[str, Any]]:
    assert tracker is not None
    return [e.as_dict() for e in tracker.events]


def user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.99})


async def scenario(config: dict[str, Any], report: Callable[[str, bool], None]) -> None:
    ours = CachedSQLTrackerStore(DOMAIN, cache_size=2, **config)
    other_replica = CachedSQLTrackerStore(DOMAIN, **config)
    rasa = SQLTrackerStore(DOMAIN, **config)

    tracker = await ours.get_or_create_tracker("c1")
    tracker.update(user("lệ phí khai sinh", "ask_fee"))
    tracker.update(SlotSet("procedure", "1.001193"))
    tracker.update(ActionExecuted("action_answer_fee"))
    tracker.update(BotUttered("Miễn lệ phí."))
    await ours.save(tracker)
    report(
        "rows read back by Rasa's store", events_of(await rasa.retrieve("c1")) == events_of(tracker)
    )
    kept = await ours.retrieve("c1")
    report("unchanged conversation served from memory", kept is tracker)
    report("slot restored", kept is not None and kept.get_slot("procedure") == "1.001193")

    # another replica adds a message: the first must not serve its stale copy
    theirs = await other_replica.retrieve("c1")
    assert theirs is not None
    theirs.update(user("còn thời gian?", "ask_fee"))
    await other_replica.save(theirs)
    fresh = await ours.retrieve("c1")
    report("another replica's rows are seen", events_of(fresh) == events_of(theirs))
    report("rebuilt tracker is a new object", fresh is not tracker)

    # changed but never saved (an action failed half-way): the stored state comes back
    assert fresh is not None
    fresh.update(user("bị lỗi giữa chừng", "greet"))
    again = await ours.retrieve("c1")
    report("unsaved changes are not served", events_of(again) == events_of(theirs))

    # saving a tracker the store did not hand out counts the stored rows, as Rasa does
    assert again is not None
    outside = DialogueStateTracker.from_dict("c1", events_of(again), DOMAIN.slots)
    outside.update(ActionExecuted("action_listen"))
    await ours.save(outside)
    report(
        "saving a foreign copy adds only new rows",
        events_of(await rasa.retrieve("c1")) == events_of(outside),
    )

    # the memory holds at most cache_size conversations, least recently used dropped first
    for sender in ("c2", "c3"):
        await ours.get_or_create_tracker(sender)
    report("cache bounded", len(ours._kept) == 2 and "c1" not in ours._kept)
    report(
        "dropped conversation rebuilt from rows",
        events_of(await ours.retrieve("c1")) == events_of(outside),
    )
    report("unknown conversation is None", await ours.retrieve("nobody") is None)
    if config["dialect"] == "sqlite":
        with ours.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        report("SQLite writes ahead (WAL)", mode == "wal")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database")
    args = parser.parse_args()
    failures: list[str] = []

    def report(name: str, ok: bool) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
        if not ok:
            failures.append(name)

    if args.postgres:
        url = urlsplit(args.postgres)
        config: dict[str, Any] = {
            "dialect": "postgresql",
            "host": url.hostname,
            "port": url.port or 5432,
            "db": url.path.lstrip("/"),
            "username": url.username or "postgres",
            "password": url.password or "",
        }
        asyncio.run(scenario(config, report))
    else:
        with tempfile.TemporaryDirectory() as folder:
            db = str(Path(folder) / "tracker.db")
            asyncio.run(scenario({"dialect": "sqlite", "db": db}, report))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
