"""Catalogue releases in the database: staged uploads, the live pointer, publish and rollback.

Every replica reads the same pointer (:func:`live`), so a publish made on one is seen by all;
a publish or a rollback changes the pointer and writes its audit row in one transaction.
The files themselves travel in the release row (a zip), so a replica on another machine can
unpack exactly what was validated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.errors import ReleaseRefused, StoreUnavailable
from store import audit
from store.models import CatalogueRelease, LiveCatalogue
from store.status import utc_now

_ORIGIN_CHARS = 255


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """A release as the staff pages show it (without its files)."""

    id: int
    created_at: datetime
    created_by: str
    origin: str
    base_id: int | None
    content_hash: str
    procedures: int
    problems: int
    state: str
    report: dict[str, Any]
    published_at: datetime | None
    published_by: str | None
    build_error: str | None

    @classmethod
    def of(cls, row: CatalogueRelease) -> ReleaseInfo:
        return cls(
            row.id,
            row.created_at,
            row.created_by,
            row.origin,
            row.base_id,
            row.content_hash,
            row.procedures,
            row.problems,
            row.state,
            dict(row.report or {}),
            row.published_at,
            row.published_by,
            row.build_error,
        )


@dataclass(frozen=True, slots=True)
class LivePointer:
    """Which release is live (None: the files shipped with the software) and which was before."""

    release_id: int | None
    previous_id: int | None
    version: int
    changed_at: datetime | None = None
    changed_by: str | None = None


SHIPPED = LivePointer(None, None, 0)


def release_subject(release_id: int | None) -> str:
    """The audit subject of a release: ``catalogue:#<id>`` (``catalogue:shipped`` for none)."""
    return f"catalogue:#{release_id}" if release_id is not None else "catalogue:shipped"


def release_label(release_id: int | None) -> str:
    """A release as an admin reads it in the audit log: "bản số 3", "bản kèm phần mềm"."""
    return f"bản số {release_id}" if release_id is not None else "bản kèm phần mềm"


def release_of_subject(subject: str | None) -> tuple[bool, int | None]:
    """(True, id) for a release subject (id None: the shipped files); (False, None) otherwise."""
    if subject == "catalogue:shipped":
        return True, None
    if subject and subject.startswith("catalogue:#") and subject[11:].isdigit():
        return True, int(subject[11:])
    return False, None


class CatalogueReleases:
    """Releases and the live pointer, on the record store's database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def stage(
        self,
        *,
        actor: str,
        origin: str,
        base_id: int | None,
        content_hash: str,
        procedures: int,
        report: dict[str, Any],
        problems: int,
        archive: bytes,
        client: str | None = None,
    ) -> int:
        """Keep an uploaded catalogue with its report; ``invalid`` when it has problems."""
        now = utc_now()
        row = CatalogueRelease(
            created_at=now,
            created_by=actor,
            origin=origin[:_ORIGIN_CHARS],
            base_id=base_id,
            content_hash=content_hash,
            procedures=procedures,
            problems=problems,
            state="invalid" if problems else "staged",
            report=report,
            archive=archive,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                audit.append(
                    session,
                    actor=actor,
                    action="catalogue_stage",
                    subject=release_subject(row.id),
                    reason=origin[:_ORIGIN_CHARS],
                    client=client,
                    now=now,
                )
                return row.id
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def get(self, release_id: int) -> ReleaseInfo | None:
        try:
            with self._sessions() as session:
                row = session.get(CatalogueRelease, release_id)
                return ReleaseInfo.of(row) if row else None
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def archive(self, release_id: int) -> bytes:
        """The release's files (a zip). Raises ReleaseRefused for an unknown release."""
        try:
            with self._sessions() as session:
                data = session.scalar(
                    select(CatalogueRelease.archive).where(CatalogueRelease.id == release_id)
                )
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc
        if data is None:
            raise ReleaseRefused(f"no release {release_id}")
        return bytes(data)

    def recent(self, limit: int = 20) -> list[ReleaseInfo]:
        try:
            with self._sessions() as session:
                rows = session.scalars(
                    select(CatalogueRelease).order_by(CatalogueRelease.id.desc()).limit(limit)
                )
                return [ReleaseInfo.of(row) for row in rows]
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def live(self) -> LivePointer:
        """The live pointer as every replica sees it now."""
        try:
            with self._sessions() as session:
                row = session.get(LiveCatalogue, 1)
                if row is None:
                    return SHIPPED
                return LivePointer(
                    row.release_id, row.previous_id, row.version, row.changed_at, row.changed_by
                )
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def start_build(self, release_id: int) -> None:
        """Mark a staged (or failed) release as building; refused in any other state.

        Only one replica wins when two admins press "publish" at once: the update is
        conditional on the state, and the loser is refused.
        """
        try:
            with self._sessions.begin() as session:
                result = session.execute(
                    update(CatalogueRelease)
                    .where(CatalogueRelease.id == release_id)
                    .where(CatalogueRelease.state.in_(("staged", "failed")))
                    .values(state="building", build_error=None)
                )
                changed = cast("CursorResult[Any]", result).rowcount
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc
        if not changed:
            raise ReleaseRefused(f"release {release_id} cannot be published in its state")

    def build_failed(self, release_id: int, error: str) -> None:
        try:
            with self._sessions.begin() as session:
                session.execute(
                    update(CatalogueRelease)
                    .where(CatalogueRelease.id == release_id)
                    .values(state="failed", build_error=error[:2000])
                )
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def publish(self, release_id: int, actor: str, client: str | None = None) -> LivePointer:
        """Make a built release live; the one live before becomes the rollback target."""
        now = utc_now()
        try:
            with self._sessions.begin() as session:
                row = session.get(CatalogueRelease, release_id)
                if row is None or row.state != "building":
                    raise ReleaseRefused(f"release {release_id} is not ready to publish")
                pointer = self._lock_pointer(session, actor, now)
                previous = pointer.release_id
                pointer.previous_id = previous
                pointer.release_id = release_id
                pointer.version += 1
                pointer.changed_at = now
                pointer.changed_by = actor
                row.state = "published"
                row.published_at = now
                row.published_by = actor
                audit.append(
                    session,
                    actor=actor,
                    action="catalogue_publish",
                    subject=release_subject(release_id),
                    reason=f"trước đó: {release_label(previous)}",
                    client=client,
                    now=now,
                )
                return LivePointer(release_id, previous, pointer.version, now, actor)
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    def rollback(
        self, actor: str, client: str | None = None, *, expected_version: int | None = None
    ) -> LivePointer:
        """Put the previous release back (the shipped files when there was none before).

        The release rolled back from becomes the "previous" one, so a rollback can be undone
        the same way. ``expected_version`` refuses a rollback made from a stale page (someone
        published in between).
        """
        now = utc_now()
        try:
            with self._sessions.begin() as session:
                pointer = self._lock_pointer(session, actor, now)
                if expected_version is not None and pointer.version != expected_version:
                    raise ReleaseRefused("the live catalogue changed since the page was opened")
                if pointer.version == 0:
                    raise ReleaseRefused("nothing has been published, nothing to roll back")
                current, back_to = pointer.release_id, pointer.previous_id
                pointer.release_id, pointer.previous_id = back_to, current
                pointer.version += 1
                pointer.changed_at = now
                pointer.changed_by = actor
                audit.append(
                    session,
                    actor=actor,
                    action="catalogue_rollback",
                    subject=release_subject(back_to),
                    reason=f"thay cho: {release_label(current)}",
                    client=client,
                    now=now,
                )
                return LivePointer(back_to, current, pointer.version, now, actor)
        except SQLAlchemyError as exc:
            raise StoreUnavailable("the record store cannot be reached") from exc

    @staticmethod
    def _lock_pointer(session: Session, actor: str, now: datetime) -> LiveCatalogue:
        """The pointer row, locked for this transaction (made on the first publish)."""
        query = select(LiveCatalogue).where(LiveCatalogue.id == 1).with_for_update()
        row = session.scalar(query)
        if row is not None:
            return row
        try:
            with session.begin_nested():
                session.add(
                    LiveCatalogue(
                        id=1,
                        release_id=None,
                        previous_id=None,
                        version=0,
                        changed_at=now,
                        changed_by=actor,
                    )
                )
        except IntegrityError:  # another replica made it first
            pass
        row = session.scalar(query)
        assert row is not None
        return row
