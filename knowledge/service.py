"""Wiring: from settings to a ready :class:`Searcher` (catalogue, embedder, index)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from helpdesk.errors import IndexUnavailable
from helpdesk.settings import Settings
from knowledge.cache import EmbeddingCache
from knowledge.calibrate import calibrate
from knowledge.catalogue import Catalogue, load_catalogue
from knowledge.dense import set_search_threads
from knowledge.embed import Embedder, make_embedder
from knowledge.index import KnowledgeIndex, build_index, find_index, load_index, save_index
from knowledge.progress import Progress, silent
from knowledge.search import Searcher

logger = logging.getLogger(__name__)


@dataclass
class Knowledge:
    """Everything a component needs to answer from the catalogue."""

    catalogue: Catalogue
    searcher: Searcher
    index_path: Path

    @property
    def index(self) -> KnowledgeIndex:
        return self.searcher.index


def embedder_for(settings: Settings) -> Embedder:
    """The configured embedder; faiss's threads are pinned too, as both share the cores."""
    set_search_threads(settings.search_threads)
    return make_embedder(settings.embedder, settings.embedder_model, settings.embed_threads)


def build_and_save(
    catalogue: Catalogue,
    embedder: Embedder,
    settings: Settings,
    calibrated: bool = True,
    progress: Progress = silent,
) -> tuple[KnowledgeIndex, Path]:
    """Build, calibrate and atomically save the index for ``catalogue``."""
    cache = EmbeddingCache(settings.var_dir / "cache" / "embeddings.sqlite")
    try:
        index = build_index(catalogue, embedder, cache, progress)
    finally:
        cache.close()
    if calibrated:
        started = time.perf_counter()
        index.meta.calibration = calibrate(Searcher(index, embedder), catalogue, progress=progress)
        logger.info("calibrated in %.1f s", time.perf_counter() - started)
    path = save_index(index, settings.index_dir)
    return index, path


def open_knowledge(
    settings: Settings, embedder: Embedder | None = None, build: bool = True
) -> Knowledge:
    """Load the catalogue and its index; build the index first if it is missing or stale.

    A catalogue with errors raises :class:`CatalogueError` before anything is replaced.
    """
    catalogue = load_catalogue(settings.catalogue_dir)
    set_search_threads(settings.search_threads)
    embedder = embedder or embedder_for(settings)
    path = find_index(settings.index_dir, catalogue.content_hash, embedder.model_id)
    try:
        index = load_index(path, embedder.model_id, catalogue.content_hash)
    except IndexUnavailable:
        if not build:
            raise
        logger.warning("index missing or stale; building it for %d procedures", len(catalogue))
        index, path = build_and_save(catalogue, embedder, settings)
    return Knowledge(catalogue, Searcher(index, embedder), path)
