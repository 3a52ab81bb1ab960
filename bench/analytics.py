"""The analytics dashboard over a month of synthetic traffic, on SQLite and on PostgreSQL.

100,000 turns over the last 30 days (``--turns``, ``--days``) are made up and written through
the recorder's own path (``store.analytics.record_turns``: hashing, cleaning, one transaction
per 5,000 rows): about 25,000 conversations on the four channels, busier in office hours;
questions about the real catalogue's procedures (a few asked far more than the rest), 15 %
of them missed (thousands of different phrasings, for the work queue), small talk, buttons,
ratings (90 % thumbs up) and 3 % of conversations handed to staff, with their waits in the
live handoff's table. Then the whole dashboard page, ``GET /staff/analytics?days=30`` (every
turn of the database in its period) and ``?days=7``, is requested through the gateway app in
this process (Starlette's TestClient: routing, the signed-in officer, every query, the
template), and the work queue's CSV; each timed ``--requests`` times after one warm-up, the
median reported. Goal: the 30-day page in ≤ 1 s.

SQLite is a file in a temporary folder; PostgreSQL a scratch database created on the server
of ``--postgres`` (default: the local trust-auth server, as the tests use) and dropped at the
end; it is timed right after loading and again after ``VACUUM ANALYZE`` (what autovacuum
does to a table that grew).

Usage: python bench/analytics.py [--turns 100000] [--requests 7] [--skip-postgres] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "bench-secret-key-not-for-production-use"
BATCH = 5_000
CHANNELS = (("web", 0.5), ("telegram", 0.2), ("zalo", 0.2), ("messenger", 0.1))
ASKS = ("cần giấy tờ gì", "lệ phí bao nhiêu", "mất bao lâu", "nộp ở đâu", "làm online được không")
MISSED_WORDS = (
    "con tôi",
    "bị mất",
    "ở nước ngoài",
    "quá hạn",
    "sai tên",
    "nhà thuê",
    "đất ông bà",
    "không có hộ khẩu",
    "chưa đủ tuổi",
    "ủy quyền",
    "người già",
    "bản gốc",
    "xin lại",
    "có cần đi cùng",
    "thứ bảy",
    "bao giờ xong",
)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in weighted], [w for _, w in weighted])[0]


def synthetic_traffic(turns: int, days: int, now: datetime, seed: int = 2026) -> Iterator[Any]:
    """Turns (``TurnEvent``) and handoffs (``LiveHandoff``) of a made-up month, in time order
    within each conversation."""
    from knowledge.catalogue import load_catalogue
    from store.analytics import Period, TurnEvent, TurnFacts
    from store.models import LiveHandoff
    from store.status import VN_TZ

    rng = random.Random(seed)
    catalogue = load_catalogue(ROOT / "knowledge" / "catalogue")
    procedures = sorted(catalogue.procedures.values(), key=lambda p: p.code)
    rng.shuffle(procedures)
    popularity = [1 / (rank + 1) ** 1.1 for rank in range(len(procedures))]
    missed = [
        f"{rng.choice(procedures).name.lower()} {rng.choice(MISSED_WORDS)} {rng.choice(ASKS)}"
        for _ in range(3_000)
    ]
    start = Period.last_days(days, now).start  # midnight in Vietnam, ``days`` days ago
    span = (now - start).total_seconds()
    made = 0
    serial = 0
    while made < turns:
        serial += 1
        conversation = f"bench-{serial}"
        channel = _pick(rng, CHANNELS)
        language = "en" if rng.random() < 0.07 else "vi"
        # busier in office hours (Vietnam): a random moment, kept or drawn again
        while True:
            at = start + timedelta(seconds=rng.uniform(0, span - 7_200))
            hour = at.astimezone(VN_TZ).hour
            if 7 <= hour < 17 or rng.random() < 0.25:
                break
        length = min(turns - made, max(1, round(rng.expovariate(1 / 4))))
        handed_off = rng.random() < 0.03
        for step in range(length):
            at += timedelta(seconds=rng.uniform(20, 120))
            latency = rng.lognormvariate(math.log(600), 0.5)
            roll = rng.random()
            procedure = rng.choices(procedures, popularity)[0]
            last = step == length - 1
            if last and handed_off:
                said, facts = "/human_handoff", {"intent": "human_handoff", "handoff": True}
            elif roll < 0.60:
                said = f"{procedure.name.lower()} {rng.choice(ASKS)}"
                facts = {
                    "intent": "ask_procedure",
                    "confidence": rng.uniform(0.85, 1.0),
                    "procedure": procedure.code,
                    "answered": True,
                }
            elif roll < 0.72:
                said = rng.choice(missed)
                facts = {"intent": "nlu_fallback", "confidence": 0.8, "answered": False}
            elif roll < 0.85:
                said, facts = "chào bạn", {"intent": "greet", "confidence": 0.99}
            elif roll < 0.95:
                said = '/choose_procedure{"procedure":"' + procedure.code + '"}'
                facts = {
                    "intent": "choose_procedure",
                    "procedure": procedure.code,
                    "answered": True,
                }
            else:
                rating = "up" if rng.random() < 0.9 else "down"
                said = '/feedback{"rating":"' + rating + '"}'
                facts = {"intent": "feedback", "feedback": rating}
            facts["language"] = language
            yield TurnEvent(at, conversation, channel, said, latency, TurnFacts.from_raw(facts))
            made += 1
        if handed_off:
            hour = at.astimezone(VN_TZ).hour
            after_hours = not 7 <= hour < 17
            claimed = None if after_hours else at + timedelta(seconds=rng.expovariate(1 / 240))
            yield LiveHandoff(
                conversation_id=conversation,
                channel=channel,
                language=language,
                state="pending" if after_hours else "closed",
                step=None,
                after_hours=after_hours,
                created_at=at,
                updated_at=claimed or at,
                claimed_at=claimed,
                claimed_by=None if claimed is None else "bench",
                closed_at=claimed,
            )


def fill(url: str, turns: int, days: int, now: datetime) -> dict[str, Any]:
    """Migrate the database at ``url`` and write the synthetic month into it."""
    from store.analytics import TurnEvent, record_turns
    from store.db import make_engine, make_session_factory, migrate

    engine = make_engine(url)
    try:
        migrate(engine)
        sessions = make_session_factory(engine)
        turns_made: list[TurnEvent] = []
        handoffs: list[Any] = []
        for item in synthetic_traffic(turns, days, now):
            (turns_made if isinstance(item, TurnEvent) else handoffs).append(item)
        turns_made.sort(key=lambda event: event.at)  # written as they happen, oldest first
        started = time.perf_counter()
        for first in range(0, len(turns_made), BATCH):
            record_turns(sessions, SECRET, turns_made[first : first + BATCH])
        seconds = time.perf_counter() - started
        written = len(turns_made)
        with sessions.begin() as session:
            session.add_all(handoffs)
    finally:
        engine.dispose()
    return {
        "turns": written,
        "handoffs": len(handoffs),
        "write_turns_per_s": round(written / seconds),
    }


def time_requests(get: Callable[[], Any], requests: int) -> dict[str, float]:
    get()  # warm-up: the first request loads the template and opens connections
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        get()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "max_ms": round(max(samples), 1),
    }


def measure(url: str, requests: int) -> dict[str, Any]:
    """Time the dashboard page and a CSV through the gateway app on the database at ``url``."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from connectors.web.app import create_app
    from connectors.web.auth import StaffUser, require_staff
    from helpdesk.settings import Settings
    from knowledge.catalogue import load_catalogue
    from knowledge.service import Knowledge
    from store.analytics import Period, dashboard
    from store.db import make_engine, make_session_factory

    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as scratch:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=url,
            secret_key=SecretStr(SECRET),
            var_dir=Path(scratch),
            index_dir=Path(scratch) / "index",
            catalogue_poll_seconds=0,
        )
        catalogue = load_catalogue(settings.catalogue_dir)
        knowledge = Knowledge(catalogue, None, Path("x"))  # type: ignore[arg-type]
        app = create_app(settings, knowledge=knowledge)
        app.dependency_overrides[require_staff] = lambda: StaffUser(1, "bench", "admin")
        figures: dict[str, Any] = {}
        with TestClient(app) as client:

            def page(days: int) -> Callable[[], Any]:
                def get() -> Any:
                    response = client.get("/staff/analytics", params={"days": days})
                    assert response.status_code == 200, response.status_code
                    return response

                return get

            def queue_csv() -> Any:
                response = client.get("/staff/analytics/queue.csv", params={"days": 30})
                assert response.status_code == 200, response.status_code
                return response

            figures["page_30_days"] = time_requests(page(30), requests)
            figures["page_7_days"] = time_requests(page(7), requests)
            figures["queue_csv_30_days"] = time_requests(queue_csv, requests)
        engine = make_engine(url)
        try:
            sessions = make_session_factory(engine)
            month = Period.last_days(30)
            figures["queries_30_days"] = time_requests(lambda: dashboard(sessions, month), requests)
            summary = dashboard(sessions, month).summary
            figures["in_period"] = {"turns": summary.turns, "conversations": summary.conversations}
        finally:
            engine.dispose()
    return figures


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A new database on the server of ``admin_url``, dropped on exit."""
    import psycopg
    from sqlalchemy import make_url

    admin = make_url(admin_url)
    libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"helpdesk_bench_analytics_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def vacuum_analyze(url: str) -> None:
    """What PostgreSQL's autovacuum does to a table that grew: statistics for the planner and
    the visibility map that lets it read an index alone."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE turns"))
    finally:
        engine.dispose()


def run(url: str, args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    print(f"filling {url.split('@')[-1]} with {args.turns:,} turns ...", file=sys.stderr)
    written = fill(url, args.turns, args.days, now)
    print("timing the dashboard ...", file=sys.stderr)
    return {**written, **measure(url, args.requests)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests", type=int, default=7, help="timed requests of each kind")
    parser.add_argument(
        "--postgres", default=os.environ.get("HELPDESK_TEST_POSTGRES_URL", DEFAULT_PG)
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    from store.status import utc_now

    now = utc_now()
    result: dict[str, Any] = {"turns": args.turns, "days": args.days, "requests": args.requests}
    with tempfile.TemporaryDirectory(prefix="bench-analytics-db-") as folder:
        result["sqlite"] = run(f"sqlite:///{folder}/analytics.db", args, now)
    if not args.skip_postgres:
        with scratch_postgres(args.postgres) as url:
            result["postgresql"] = run(url, args, now)
            print("VACUUM ANALYZE turns (what autovacuum does), timing again ...", file=sys.stderr)
            vacuum_analyze(url)
            result["postgresql_after_vacuum_analyze"] = measure(url, args.requests)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
