"""The live catalogue of a running process, and the swap to a newly published one.

Every process (each gateway worker, each action server) reads the live pointer from the
database (:class:`~store.catalogue_releases.CatalogueReleases`), unpacks that release's files
once under ``var/catalogue/releases/`` and opens its index (built by the publisher beside the
live one, found by content hash). A :class:`CatalogueWatcher` polls the pointer; when it
moves, the new catalogue and index are loaded completely while the old ones keep answering,
then one reference is replaced. A request holds the :class:`Knowledge` it started with, so
nothing in flight sees half of each.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpdesk.errors import HelpdeskError
from helpdesk.settings import Settings
from knowledge.embed import Embedder
from knowledge.service import Knowledge, open_knowledge
from publishing.archive import unpack
from store.catalogue_releases import SHIPPED, CatalogueReleases, LivePointer

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveKnowledge:
    """A loaded catalogue and index, and the pointer version they come from."""

    knowledge: Knowledge
    pointer: LivePointer


def release_dir(settings: Settings, release_id: int, content_hash: str) -> Path:
    return settings.var_dir / "catalogue" / "releases" / f"{release_id}-{content_hash[:16]}"


def release_files(settings: Settings, releases: CatalogueReleases, release_id: int) -> Path:
    """The folder of a release's files on this machine, unpacked from the database once.

    Unpacked beside the final place and renamed into it, so a folder that exists is whole.
    """
    info = releases.get(release_id)
    if info is None:
        raise HelpdeskError(f"no catalogue release {release_id}")
    final = release_dir(settings, release_id, info.content_hash)
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=final.parent))
    try:
        unpack(releases.archive(release_id), staging / "files")
        try:
            os.replace(staging / "files", final)
        except OSError:  # another process unpacked it first
            if not final.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def catalogue_dir_for(
    settings: Settings, releases: CatalogueReleases | None, pointer: LivePointer
) -> Path:
    """The folder the pointer names: a release's files, or the shipped catalogue."""
    if pointer.release_id is None:
        return settings.catalogue_dir
    if releases is None:
        raise HelpdeskError("a published release needs the database to be read")
    return release_files(settings, releases, pointer.release_id)


def open_release(
    settings: Settings,
    releases: CatalogueReleases | None,
    pointer: LivePointer,
    embedder: Embedder | None = None,
) -> LiveKnowledge:
    """Load the catalogue and index the pointer names (building the index if missing)."""
    folder = catalogue_dir_for(settings, releases, pointer)
    scoped = settings.model_copy(update={"catalogue_dir": folder})
    return LiveKnowledge(open_knowledge(scoped, embedder=embedder), pointer)


def open_live(
    settings: Settings, releases: CatalogueReleases | None, embedder: Embedder | None = None
) -> LiveKnowledge:
    """The live catalogue at start-up; the shipped one when the database cannot say."""
    pointer = SHIPPED
    if releases is not None:
        try:
            pointer = releases.live()
        except HelpdeskError:
            logger.warning("catalogue: live release unknown (database down); shipped files used")
    return open_release(settings, releases, pointer, embedder)


class CatalogueWatcher:
    """Polls the live pointer every ``interval`` seconds; loads and swaps on a change.

    ``current`` returns what the process answers with now; ``swap`` receives the new one.
    Runs in a daemon thread, so loading an index never blocks a request.
    """

    def __init__(
        self,
        settings: Settings,
        releases: CatalogueReleases,
        current: Callable[[], LiveKnowledge | None],
        swap: Callable[[LiveKnowledge], None],
        interval: float,
    ) -> None:
        self._settings = settings
        self._releases = releases
        self._current = current
        self._swap = swap
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Look once; load and swap if the pointer moved. True when a swap happened."""
        live = self._current()
        try:
            pointer = self._releases.live()
        except HelpdeskError:
            return False  # the database is away: keep answering with what is loaded
        if live is not None and pointer.version == live.pointer.version:
            return False
        if live is not None and pointer.release_id == live.pointer.release_id:
            self._swap(LiveKnowledge(live.knowledge, pointer))  # same files, newer version
            return False
        embedder = live.knowledge.searcher.embedder if live is not None else None
        try:
            loaded = open_release(self._settings, self._releases, pointer, embedder)
        except Exception:  # keep the old catalogue; try again on the next tick
            logger.exception("catalogue: could not load release %s", pointer.release_id)
            return False
        self._swap(loaded)
        logger.info(
            "catalogue: now release %s (version %d), %d procedures",
            pointer.release_id if pointer.release_id is not None else "shipped",
            pointer.version,
            len(loaded.knowledge.catalogue),
        )
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.check()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="catalogue-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
