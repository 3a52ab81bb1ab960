"""Rasa's SQL tracker store, with the conversations in use kept in memory between messages.

Rasa 3.6's ``SQLTrackerStore`` rebuilds a conversation for every message: it reads every
event since the session started, parses each one from JSON and replays them all into a new
tracker; to save, it counts those rows again and inserts the new ones through the ORM. On
SQLite it also opens a new database connection for each of these steps, and every commit
waits for the disk twice (rollback journal). In this assistant that was the largest single
cost per message (``py-spy`` under ``bench/rasa_latency.py``).

``CachedSQLTrackerStore`` stores exactly the same rows in the same table, so the database
stays Rasa's own and any Rasa tool reads it. It differs in three ways:

- After a save it keeps the tracker, with the id of the conversation's newest row and the
  number of events stored. ``retrieve`` asks the database for the newest row id (one indexed
  query) and returns the kept tracker when nothing was added since and the tracker has not
  been changed without being saved; otherwise it rebuilds from the database as Rasa does.
  Several Rasa replicas sharing one database therefore never serve a stale conversation:
  a row written by another replica changes the newest id. (Rasa's lock store — Redis when
  configured — already serialises the messages of one conversation across replicas.)
- ``save`` inserts the new events with one multi-row ``INSERT`` (SQLAlchemy Core).
- SQLite keeps one pooled connection per thread and uses write-ahead logging with
  ``synchronous=NORMAL``: a commit no longer waits for the disk; after a power cut the last
  few messages may be missing, the file is never corrupt. PostgreSQL is used as Rasa sets
  it up (its own pool).

Endpoint configuration (``helpdesk run`` writes it)::

    tracker_store:
      type: bot.tracker_store.CachedSQLTrackerStore
      dialect: sqlite
      db: var/rasa-tracker.db
      cache_size: 2000        # conversations kept in memory, least recently used dropped
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 2000


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    newest_id: int | None  # id of the conversation's newest row when the tracker was kept
    stored: int  # events of the tracker that are in the database


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class CachedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that keeps recently used conversations (see the module docstring)."""

    def __init__(
        self, domain: Domain | None = None, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any
    ) -> None:
        super().__init__(domain, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url,
                poolclass=sa.pool.SingletonThreadPool,
                connect_args={"check_same_thread": False},
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._cache_size = max(0, int(cache_size))
        table = self.SQLEvent.__table__
        self._insert = sa.insert(table)
        self._newest = sa.select(sa.func.max(table.c.id)).where(
            table.c.sender_id == sa.bindparam("sender_id")
        )

    def _newest_id(self, session: Any, sender_id: str) -> int | None:
        newest = session.execute(self._newest, {"sender_id": sender_id}).scalar()
        return int(newest) if newest is not None else None

    def _keep(self, sender_id: str, kept: _Kept) -> None:
        if self._cache_size == 0:
            return
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self._cache_size:
            self._kept.popitem(last=False)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's latest session: kept in memory if current, else from the rows."""
        kept = self._kept.get(sender_id)
        with self.session_scope() as session:
            newest = self._newest_id(session, sender_id)
        if kept is not None:
            if kept.newest_id == newest and len(kept.tracker.events) == kept.stored:
                self._kept.move_to_end(sender_id)
                return kept.tracker
            del self._kept[sender_id]
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            # ``newest`` was read first: a row written in between makes the next check miss
            self._keep(sender_id, _Kept(tracker, newest, len(tracker.events)))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Insert the tracker's events that are not stored yet, then keep the tracker."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        kept = self._kept.get(sender_id)
        with self.session_scope() as session:
            if kept is not None and kept.tracker is tracker:
                stored = kept.stored
            else:
                stored = self._event_query(
                    session, sender_id, fetch_events_from_all_sessions=False
                ).count()
            events = list(tracker.events)[stored:]
            rows = []
            for event in events:
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                session.execute(self._insert, rows)
            newest = self._newest_id(session, sender_id)
            session.commit()
        self._keep(sender_id, _Kept(tracker, newest, len(tracker.events)))
        logger.debug(f"Tracker with sender_id '{sender_id}' stored to database")
