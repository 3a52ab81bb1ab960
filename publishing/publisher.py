"""Staging, publishing and rolling back catalogue releases (what the admin pages call).

Publishing a staged release builds its index beside the live one (same index folder, keyed
by content hash, written atomically), and only then moves the live pointer, in the same
transaction as its audit row. Each process swaps when its watcher sees the move.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from helpdesk.errors import ReleaseRefused
from helpdesk.settings import Settings
from knowledge.embed import Embedder
from knowledge.service import Knowledge
from publishing.candidate import Candidate, Upload, prepare
from publishing.live import catalogue_dir_for, open_release
from store.catalogue_releases import CatalogueReleases, LivePointer

logger = logging.getLogger(__name__)


def origin_of(uploads: list[Upload]) -> str:
    return ", ".join(upload.name for upload in uploads)


class Publisher:
    """Release work for one process; ``live`` is the catalogue this process answers with."""

    def __init__(self, settings: Settings, releases: CatalogueReleases) -> None:
        self.settings = settings
        self.releases = releases

    def stage(
        self,
        uploads: list[Upload],
        live: Knowledge,
        pointer: LivePointer,
        actor: str,
        client: str | None = None,
        *,
        drafts: list[str] | None = None,
    ) -> int:
        """Lay the uploads over the live catalogue (or promote its ``drafts`` to entries),
        validate, diff, and keep the result as a release.

        Raises:
            UploadRejected: A file that cannot be read at all, or no such draft (the message
                says which).
        """
        base = catalogue_dir_for(self.settings, self.releases, pointer)
        scratch = Path(tempfile.mkdtemp(prefix="candidate-"))
        origin = "duyệt bản nháp: " + ", ".join(drafts) if drafts else origin_of(uploads)
        try:
            candidate: Candidate = prepare(
                base, live.catalogue, uploads, scratch / "catalogue", drafts
            )
            release_id = self.releases.stage(
                actor=actor,
                origin=origin,
                base_id=pointer.release_id,
                content_hash=candidate.content_hash,
                procedures=len(candidate.catalogue) if candidate.catalogue else 0,
                report=candidate.report(),
                problems=len(candidate.problems),
                archive=candidate.archive(),
                client=client,
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        logger.info("catalogue: release %d staged by an admin", release_id)
        return release_id

    def publish(
        self,
        release_id: int,
        actor: str,
        client: str | None = None,
        embedder: Embedder | None = None,
    ) -> LivePointer:
        """Claim a staged release, build its index, then make it live (blocking).

        Raises:
            ReleaseRefused: The release is invalid, already published or being built.
        """
        self.claim(release_id)
        return self.build_and_publish(release_id, actor, client, embedder)

    def claim(self, release_id: int) -> None:
        """Mark the release as building; only one admin's press wins (ReleaseRefused else)."""
        self.releases.start_build(release_id)

    def build_and_publish(
        self,
        release_id: int,
        actor: str,
        client: str | None = None,
        embedder: Embedder | None = None,
    ) -> LivePointer:
        """Build a claimed release's index beside the live one, then move the live pointer.

        Blocking (minutes for a large change on a small machine): run it off the event loop.
        A failure marks the release ``failed`` with the reason; the live catalogue is untouched.
        """
        try:
            pointer = LivePointer(release_id, None, -1)
            open_release(self.settings, self.releases, pointer, embedder)  # builds and saves
        except Exception as exc:
            logger.exception("catalogue: release %d could not be built", release_id)
            self.releases.build_failed(release_id, f"{type(exc).__name__}: {exc}")
            raise
        published = self.releases.publish(release_id, actor, client)
        logger.info("catalogue: release %d published (version %d)", release_id, published.version)
        return published

    def rollback(
        self,
        actor: str,
        client: str | None = None,
        expected_version: int | None = None,
        embedder: Embedder | None = None,
    ) -> LivePointer:
        """Put the previous release back; its index is made sure of first (normally kept)."""
        pointer = self.releases.live()
        if expected_version is not None and pointer.version != expected_version:
            raise ReleaseRefused("the live catalogue changed since the page was opened")
        if pointer.version == 0:
            raise ReleaseRefused("nothing has been published, nothing to roll back")
        target = LivePointer(pointer.previous_id, None, -1)
        open_release(self.settings, self.releases, target, embedder)
        return self.releases.rollback(actor, client, expected_version=pointer.version)
