"""Catalogue releases in the database: staging, one claim per release, publish, rollback, audit."""

from __future__ import annotations

import pytest

from helpdesk.errors import ReleaseRefused
from store.catalogue_releases import SHIPPED, CatalogueReleases
from tests.store.conftest import Db


def _stage(releases: CatalogueReleases, problems: int = 0, origin: str = "a.yaml") -> int:
    return releases.stage(
        actor="admin1",
        origin=origin,
        base_id=None,
        content_hash="f" * 64,
        procedures=5,
        report={"problems": [], "diff": []},
        problems=problems,
        archive=b"PK-zip-bytes",
        client="127.0.0.1",
    )


def _audit(db: Db) -> list[tuple[str, str, str | None]]:
    rows = db.rows("SELECT action, subject, reason FROM audit_log ORDER BY id")
    return [(r[0], r[1], r[2]) for r in rows]


def test_nothing_published_means_the_shipped_files(db: Db) -> None:
    assert CatalogueReleases(db.sessions).live() == SHIPPED


def test_publish_then_rollback_moves_one_pointer_with_audit_rows(db: Db) -> None:
    releases = CatalogueReleases(db.sessions)
    first = _stage(releases)
    assert releases.get(first).state == "staged"  # type: ignore[union-attr]
    assert releases.archive(first) == b"PK-zip-bytes"

    releases.start_build(first)
    live = releases.publish(first, "admin1", "127.0.0.1")
    assert (live.release_id, live.previous_id, live.version) == (first, None, 1)
    second = _stage(releases, origin="b.yaml")
    releases.start_build(second)
    releases.publish(second, "admin2")

    other_replica = CatalogueReleases(db.replica())
    seen = other_replica.live()
    assert (seen.release_id, seen.previous_id, seen.version) == (second, first, 2)
    assert seen.changed_by == "admin2"

    back = other_replica.rollback("admin1", expected_version=2)
    assert (back.release_id, back.previous_id, back.version) == (first, second, 3)
    assert releases.live().release_id == first
    assert [row[0] for row in _audit(db)] == [
        "catalogue_stage",
        "catalogue_publish",
        "catalogue_stage",
        "catalogue_publish",
        "catalogue_rollback",
    ]
    assert _audit(db)[-1] == (
        "catalogue_rollback",
        f"catalogue:#{first}",
        f"thay cho: bản số {second}",
    )
    assert releases.get(second).published_by == "admin2"  # type: ignore[union-attr]


def test_rolling_back_the_first_publish_returns_to_the_shipped_files(db: Db) -> None:
    releases = CatalogueReleases(db.sessions)
    release = _stage(releases)
    releases.start_build(release)
    releases.publish(release, "admin1")
    back = releases.rollback("admin1")
    assert (back.release_id, back.previous_id) == (None, release)
    assert _audit(db)[-1][1] == "catalogue:shipped"


def test_a_rollback_from_a_stale_page_or_with_nothing_published_is_refused(db: Db) -> None:
    releases = CatalogueReleases(db.sessions)
    with pytest.raises(ReleaseRefused, match="nothing has been published"):
        releases.rollback("admin1")
    release = _stage(releases)
    releases.start_build(release)
    releases.publish(release, "admin1")
    with pytest.raises(ReleaseRefused, match="changed since"):
        releases.rollback("admin1", expected_version=0)
    assert releases.live().release_id == release


def test_only_one_claim_wins_and_an_invalid_release_is_never_claimed(db: Db) -> None:
    releases = CatalogueReleases(db.sessions)
    invalid = _stage(releases, problems=3)
    assert releases.get(invalid).state == "invalid"  # type: ignore[union-attr]
    with pytest.raises(ReleaseRefused):
        releases.start_build(invalid)
    with pytest.raises(ReleaseRefused):
        releases.publish(invalid, "admin1")

    release = _stage(releases)
    releases.start_build(release)
    with pytest.raises(ReleaseRefused):
        CatalogueReleases(db.replica()).start_build(release)  # a second admin, another replica


def test_a_failed_build_can_be_tried_again(db: Db) -> None:
    releases = CatalogueReleases(db.sessions)
    release = _stage(releases)
    releases.start_build(release)
    releases.build_failed(release, "IndexUnavailable: disk full")
    info = releases.get(release)
    assert info is not None and (info.state, info.build_error) == (
        "failed",
        "IndexUnavailable: disk full",
    )
    assert releases.live() == SHIPPED
    releases.start_build(release)
    assert releases.publish(release, "admin1").version == 1


def test_release_rows_can_be_audited_but_the_log_still_refuses_changes(db: Db) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    releases = CatalogueReleases(db.sessions)
    _stage(releases)
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'x'"))
